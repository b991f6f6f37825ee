# Builds a network from a compact spec string; shared by run.py and timing.py.
import re
import torch.nn as nn

# arch spec: tokens separated by '-'
# cN[kK][sS][v][b] conv (no bias) + BN + ReLU ; p maxpool2 ; g GAP ; f flatten ; dN dense+ReLU ; rX dropout ; o dense->10
def build(spec):
    L=[]; c=1; hw=28; flat=None
    for t in spec.split('-'):
        if t[0]=='c':
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
