import sys, time, re, math, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]))
def build(spec):
    L=[]; c=1; hw=28; flat=None
    for t in spec.split('-'):
        if t[0]=='c':
            import re
            m=re.fullmatch(r'c(\d+)(?:k(\d+))?(?:s(\d+))?(v?)(n?)', t)
            n,k,s=int(m[1]),int(m[2] or 3),int(m[3] or 1); valid=m[4]=='v'; nobn=m[5]=='n'
            pad=0 if valid else k//2
            if s==2 and not valid: pad=(k-1)//2  # tfjs same w/ stride 2 pads asymmetrically; approx
            L+= [nn.Conv2d(c,n,k,s,pad,bias=nobn)] + ([] if nobn else [nn.BatchNorm2d(n)]) + [nn.ReLU()]
            c=n; hw=(hw+2*pad-k)//s+1
        elif t=='p': L.append(nn.MaxPool2d(2)); hw//=2
        elif t=='g': L+= [nn.AdaptiveAvgPool2d(1), nn.Flatten()]; flat=c
        elif t=='f': L.append(nn.Flatten()); flat=c*hw*hw
        elif t[0]=='d': n=int(t[1:]); L+=[nn.Linear(flat,n), nn.ReLU()]; flat=n
        elif t[0]=='B': n=int(t[1:]); L+=[nn.Linear(flat,n,bias=False), nn.BatchNorm1d(n), nn.ReLU()]; flat=n
        elif t[0]=='r': L.append(nn.Dropout(float(t[1:])))
        elif t=='o': L.append(nn.Linear(flat,10))
    return nn.Sequential(*L)

cfgs=[(a.split(':')[0], int(a.split(':')[1])) for a in sys.argv[2:]]
X=torch.randn(60000,1,28,28); Y=torch.randint(0,10,(60000,))
res={c:[] for c in cfgs}
for rep in range(1):
  for arch,bs in cfgs:
    torch.manual_seed(0); m=build(arch); m.train()
    opt=torch.optim.AdamW(m.parameters(),lr=0.01,weight_decay=0.01)
    n=120
    for s in range(n+20):
        if s==20: t0=time.time()
        x=X[(s*bs)%50000:(s*bs)%50000+bs]; y=Y[(s*bs)%50000:(s*bs)%50000+bs]
        loss=F.cross_entropy(m(x),y,label_smoothing=0.05); opt.zero_grad(); loss.backward(); opt.step()
    res[(arch,bs)].append((time.time()-t0)/n*60000/bs); print(arch,bs,round(res[(arch,bs)][-1],1),flush=True)
for (arch,bs),v in res.items(): print(f"{arch} bs{bs}: est s/epoch(60k) {min(v):.1f} (runs {' '.join(f'{x:.1f}' for x in v)})")
