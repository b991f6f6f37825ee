import sys, gzip, time, json, math, argparse
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
p = argparse.ArgumentParser()
p.add_argument('--arch', required=True); p.add_argument('--lr', type=float, default=0.02)
p.add_argument('--pct', type=float, default=0.2); p.add_argument('--wd', type=float, default=0.01)
p.add_argument('--ls', type=float, default=0.0); p.add_argument('--bs', type=int, default=64)
p.add_argument('--aug', type=int, default=0); p.add_argument('--seed', type=int, default=0)
p.add_argument('--final', type=int, default=0); p.add_argument('--threads', type=int, default=1)
p.add_argument('--div', type=float, default=25.0); p.add_argument('--fdiv', type=float, default=1e4)
p.add_argument('--opt', default='adamw'); p.add_argument('--tag', default='')
a = p.parse_args()
torch.set_num_threads(a.threads)
import os
D=os.environ.get('MNIST_DATA_DIR', '../shared/mnist').rstrip('/') + '/'
def imgs(f):
    with gzip.open(D+f) as g: return np.frombuffer(g.read(), np.uint8, offset=16).reshape(-1,1,28,28)
def labs(f):
    with gzip.open(D+f) as g: return np.frombuffer(g.read(), np.uint8, offset=8).astype(np.int64)
Xtr, Ytr = imgs('train-images-idx3-ubyte.gz'), labs('train-labels-idx1-ubyte.gz')
if a.final: Xte, Yte = imgs('t10k-images-idx3-ubyte.gz'), labs('t10k-labels-idx1-ubyte.gz')
else:
    perm = np.random.RandomState(12345).permutation(60000)
    Xte, Yte = Xtr[perm[50000:]], Ytr[perm[50000:]]; Xtr, Ytr = Xtr[perm[:50000]], Ytr[perm[:50000]]
norm = lambda x: (torch.from_numpy(x.astype(np.float32)/255.) - 0.1307)/0.3081
Xtr, Xte = norm(Xtr), norm(Xte); Ytr, Yte = torch.from_numpy(Ytr), torch.from_numpy(Yte)
torch.manual_seed(a.seed); np.random.seed(a.seed)
from arch import build
model = build(a.arch)
params = sum(p.numel() for p in model.parameters() if p.requires_grad)
macs=[0]
def hook(m,i,o):
    if isinstance(m,nn.Conv2d): macs[0]+=o.numel()*m.in_channels*m.kernel_size[0]*m.kernel_size[1]//m.groups
    elif isinstance(m,nn.Linear): macs[0]+=m.in_features*m.out_features
hs=[m.register_forward_hook(hook) for m in model.modules()]
model.eval();
with torch.no_grad(): model(Xtr[:1])
for h in hs: h.remove()
N=len(Xtr); steps=math.ceil(N/a.bs)
if a.opt=='adamw': opt=torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
else: opt=torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=a.wd)
sch=torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=a.pct, div_factor=a.div, final_div_factor=a.fdiv)
g=torch.Generator().manual_seed(a.seed)
idx=torch.randperm(N, generator=g)
def augment(x):
    B=x.shape[0]
    ang=(torch.rand(B,generator=g)*2-1)*7*math.pi/180; sc=0.93+torch.rand(B,generator=g)*0.14
    tx=(torch.rand(B,generator=g)*2-1)*0.07*2; ty=(torch.rand(B,generator=g)*2-1)*0.07*2
    cos,sin=torch.cos(ang)/sc, torch.sin(ang)/sc
    th=torch.stack([torch.stack([cos,-sin,tx],1),torch.stack([sin,cos,ty],1)],1)
    grid=F.affine_grid(th,x.shape,align_corners=False)
    bg=-0.1307/0.3081
    return F.grid_sample(x-bg,grid,align_corners=False,padding_mode='zeros')+bg
model.train(); t0=time.time(); tl=0
for s in range(steps):
    b=idx[s*a.bs:(s+1)*a.bs]; x=Xtr[b]; y=Ytr[b]
    if a.aug: x=augment(x)
    loss=F.cross_entropy(model(x), y, label_smoothing=a.ls)
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sch.step()
    if not math.isfinite(loss.item()): print('NaN'); break
dt=time.time()-t0
model.eval()
with torch.no_grad():
    acc=sum((model(Xte[i:i+1000]).argmax(1)==Yte[i:i+1000]).sum().item() for i in range(0,len(Xte),1000))/len(Xte)
r=dict(arch=a.arch,lr=a.lr,pct=a.pct,wd=a.wd,ls=a.ls,bs=a.bs,aug=a.aug,seed=a.seed,final=a.final,div=a.div,fdiv=a.fdiv,opt=a.opt,
       params=params,macs=macs[0],acc=acc,sec=round(dt,1),threads=a.threads,tag=a.tag)
print(json.dumps(r)); sys.stdout.flush()
with open('results.jsonl','a') as f: f.write(json.dumps(r)+'\n')
