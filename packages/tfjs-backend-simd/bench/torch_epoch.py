# Optional head-to-head (bench/epoch.ts runs it when /usr/bin/python3 has torch): model C in PyTorch, one epoch-
# equivalent of training steps at batch 64 with torch.set_num_threads(THREADS). Prints one JSON line.
import gzip, json, os, sys, time
import torch
import torch.nn as nn

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 938
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
torch.manual_seed(1)

d = os.environ.get('MNIST_DATA_DIR')
img = d and os.path.join(d, 'train-images-idx3-ubyte.gz')
lab = d and os.path.join(d, 'train-labels-idx1-ubyte.gz')
if img and os.path.exists(img) and os.path.exists(lab):
    x = torch.frombuffer(bytearray(gzip.open(img).read()[16:]), dtype=torch.uint8).view(-1, 1, 28, 28)
    y = torch.frombuffer(bytearray(gzip.open(lab).read()[8:]), dtype=torch.uint8).long()
else:
    x = torch.randint(0, 256, (60000, 1, 28, 28), dtype=torch.uint8)
    y = torch.randint(0, 10, (60000,))

def block(cin, cout, k, pad):
    return [nn.Conv2d(cin, cout, k, padding=pad, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

model = nn.Sequential(
    *block(1, 8, 3, 1), *block(8, 16, 3, 1), nn.MaxPool2d(2),
    *block(16, 8, 1, 0), *block(8, 16, 3, 1), *block(16, 32, 3, 1), nn.MaxPool2d(2),
    *block(32, 16, 1, 0), *block(16, 32, 3, 1), *block(32, 32, 3, 0),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
lossf = nn.CrossEntropyLoss()
n = x.shape[0]
t0 = time.perf_counter()
for s in range(steps):
    off = (s * 64) % (n - 64)
    xb = x[off:off + 64].float() / 255
    opt.zero_grad()
    loss = lossf(model(xb), y[off:off + 64])
    loss.backward()
    opt.step()
dt = time.perf_counter() - t0
print(json.dumps({'seconds': dt, 'steps': steps, 'msPerStep': 1000 * dt / steps, 'loss': loss.item(), 'torch': torch.__version__, 'threads': threads}))
