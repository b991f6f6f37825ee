# PyTorch side of bench/model-c.ts: inference on the 10,000 test images (or random ones) at batch 1000, eval mode,
# torch.no_grad(), torch.set_num_threads(THREADS), for the default network and model C. Prints one JSON line.
import gzip, json, os, sys, time
import torch
import torch.nn as nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
torch.manual_seed(1)
d = os.environ.get('MNIST_DATA_DIR')
img = d and os.path.join(d, 't10k-images-idx3-ubyte.gz')
if img and os.path.exists(img):
    x = torch.frombuffer(bytearray(gzip.open(img).read()[16:]), dtype=torch.uint8).view(-1, 1, 28, 28)
else:
    x = torch.randint(0, 256, (10000, 1, 28, 28), dtype=torch.uint8)
x = (x.float() / 255 - 0.1307) / 0.3081

def block(cin, cout, k, pad):
    return [nn.Conv2d(cin, cout, k, padding=pad, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

models = {
    'default': nn.Sequential(
        *block(1, 8, 3, 1), nn.MaxPool2d(2), *block(8, 16, 3, 1), nn.MaxPool2d(2),
        *block(16, 24, 3, 1), *block(24, 24, 3, 1), nn.Flatten(), nn.Dropout(0.05), nn.Linear(1176, 10)),
    'C': nn.Sequential(
        *block(1, 8, 3, 1), *block(8, 16, 3, 1), nn.MaxPool2d(2),
        *block(16, 8, 1, 0), *block(8, 16, 3, 1), *block(16, 32, 3, 1), nn.MaxPool2d(2),
        *block(32, 16, 1, 0), *block(16, 32, 3, 1), *block(32, 32, 3, 0),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)),
}
out = {'torch': torch.__version__, 'threads': threads, 'images': x.shape[0]}
with torch.no_grad():
    for name, model in models.items():
        model.eval()
        model(x[:1000])  # warm-up
        best = float('inf')
        for _ in range(3):
            t0 = time.perf_counter()
            for i in range(0, x.shape[0], 1000):
                model(x[i:i + 1000])
            best = min(best, time.perf_counter() - t0)
        out[name] = x.shape[0] / best
print(json.dumps(out))
