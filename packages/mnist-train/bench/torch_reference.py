# PyTorch side of bench/arch-vs-torch.mjs: one real epoch of model B or C of docs/pytorch-reference.md (its recipe,
# batch 64, shuffled, data in memory normalised with 0.1307 / 0.3081), test accuracy, then inference on the 10,000
# test images at batch 1000 (eval mode, no_grad). Prints one JSON line.
#   /usr/bin/python3 bench/torch_reference.py B|C [seed] [threads]      (MNIST_DATA_DIR: the gzip IDX files)
import gzip, json, os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

name = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch.set_num_threads(threads)
torch.manual_seed(seed)


def idx(file, offset):
    with gzip.open(os.path.join(os.environ['MNIST_DATA_DIR'], file)) as f:
        return torch.frombuffer(bytearray(f.read()[offset:]), dtype=torch.uint8)


def images(file):
    return ((idx(file, 16).view(-1, 1, 28, 28).float() / 255) - 0.1307) / 0.3081


x, y = images('train-images-idx3-ubyte.gz'), idx('train-labels-idx1-ubyte.gz', 8).long()
xt, yt = images('t10k-images-idx3-ubyte.gz'), idx('t10k-labels-idx1-ubyte.gz', 8).long()


def conv_bn_relu(cin, cout, k, pad, bias=False):
    return [nn.Conv2d(cin, cout, k, padding=pad, bias=bias), nn.BatchNorm2d(cout), nn.ReLU()]


if name == 'C':
    # every conv without bias + BatchNorm + ReLU; 22,098 parameters
    model = nn.Sequential(
        *conv_bn_relu(1, 8, 3, 1), *conv_bn_relu(8, 16, 3, 1), nn.MaxPool2d(2),
        *conv_bn_relu(16, 8, 1, 0), *conv_bn_relu(8, 16, 3, 1), *conv_bn_relu(16, 32, 3, 1), nn.MaxPool2d(2),
        *conv_bn_relu(32, 16, 1, 0), *conv_bn_relu(16, 32, 3, 1), *conv_bn_relu(32, 32, 3, 0),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=0.02, weight_decay=0.01)
    max_lr, pct, smoothing = 0.02, 0.2, 0.0
elif name == 'B':
    # three conv3x3 (bias) + BN + ReLU + maxpool2 blocks, dense 252 -> 56 -> 10, dropout 0.15; 21,842 parameters
    model = nn.Sequential(
        *conv_bn_relu(1, 10, 3, 1, True), nn.MaxPool2d(2), *conv_bn_relu(10, 20, 3, 1, True), nn.MaxPool2d(2),
        *conv_bn_relu(20, 28, 3, 1, True), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(252, 56), nn.ReLU(), nn.Dropout(0.15), nn.Linear(56, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01, amsgrad=True)
    max_lr, pct, smoothing = 0.01, 0.25, 0.05
else:
    sys.exit(f'unknown model {name!r}: expected B or C')

batch = 64
steps = (x.shape[0] + batch - 1) // batch
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=steps, pct_start=pct, anneal_strategy='cos')
model.train()
t0 = time.perf_counter()
order = torch.randperm(x.shape[0])
for s in range(steps):
    i = order[s * batch:(s + 1) * batch]
    loss = F.cross_entropy(model(x[i]), y[i], label_smoothing=smoothing)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
train_seconds = time.perf_counter() - t0

model.eval()
with torch.no_grad():
    model(xt[:1000])  # warm-up
    t0 = time.perf_counter()
    correct = 0
    for s in range(0, xt.shape[0], 1000):
        correct += (model(xt[s:s + 1000]).argmax(1) == yt[s:s + 1000]).sum().item()
    infer_seconds = time.perf_counter() - t0

print(json.dumps({
    'model': name, 'params': sum(p.numel() for p in model.parameters()), 'trainSeconds': train_seconds,
    'testAccuracy': correct / xt.shape[0], 'imagesPerSecond': xt.shape[0] / infer_seconds,
    'torch': torch.__version__, 'threads': threads, 'seed': seed}))
