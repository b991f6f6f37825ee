import os, sys, time, re, math, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]))
from arch import build

cfgs=[(a.split(':')[0], int(a.split(':')[1])) for a in sys.argv[2:]]
X=torch.randn(60000,1,28,28); Y=torch.randint(0,10,(60000,))
res={c:[] for c in cfgs}
for rep in range(1):
  for arch,bs in cfgs:
    torch.manual_seed(0); m=build(arch); m.train()
    opt=torch.optim.AdamW(m.parameters(),lr=0.01,weight_decay=0.01)
    # TIMING_FULL_EPOCH=1: time a whole epoch (60000/bs steps) instead of 120 steps
    n=math.ceil(60000/bs) if os.environ.get('TIMING_FULL_EPOCH')=='1' else 120
    for s in range(n+20):
        if s==20: t0=time.time()
        x=X[(s*bs)%59968:(s*bs)%59968+bs]; y=Y[(s*bs)%59968:(s*bs)%59968+bs]
        loss=F.cross_entropy(m(x),y,label_smoothing=0.05); opt.zero_grad(); loss.backward(); opt.step()
    res[(arch,bs)].append((time.time()-t0)/n*60000/bs); print(arch,bs,round(res[(arch,bs)][-1],1),flush=True)
for (arch,bs),v in res.items(): print(f"{arch} bs{bs}: est s/epoch(60k) {min(v):.1f} (runs {' '.join(f'{x:.1f}' for x in v)})")
