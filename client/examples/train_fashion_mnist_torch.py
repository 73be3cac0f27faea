#!/usr/bin/python3
"""The PyTorch twin of train_fashion_mnist.cc: the blitz's LeNet adapted to
1x28x28 Fashion-MNIST, SGD lr 0.01 momentum 0.9, batch 64, cross_entropy,
inputs as ToTensor + Normalize((0.5,), (0.5,)). Reads the same IDX files
(Debian's dataset-fashion-mnist) without torchvision.

  /usr/bin/python3 client/examples/train_fashion_mnist_torch.py --epochs 2
  # --limit N --steps S --print_loss: the loss curve the integration test's
  # threshold comes from (see tests/integration/training_test.cc)
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 8, path
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data_dir, train, limit=0):
    prefix = "train" if train else "t10k"
    def find(base):
        p = os.path.join(data_dir, base)
        return p + ".gz" if os.path.exists(p + ".gz") else p
    x = read_idx(find(prefix + "-images-idx3-ubyte"))
    y = read_idx(find(prefix + "-labels-idx1-ubyte"))
    if limit:
        x, y = x[:limit], y[:limit]
    x = torch.from_numpy(x.copy()).float().div(255).unsqueeze(1).sub(0.5).div(0.5)
    return x, torch.from_numpy(y.astype(np.int64))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="first N training samples only")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps")
    ap.add_argument("--no_shuffle", action="store_true")
    ap.add_argument("--print_loss", type=int, default=0,
                    help="print the mean loss of every N steps")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data, True, args.limit)
    xte, yte = load(args.data, False)
    net = lenet()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    gen = torch.Generator().manual_seed(args.seed)
    step = 0
    for epoch in range(1, args.epochs + 1):
        order = (torch.arange(len(xtr)) if args.no_shuffle
                 else torch.randperm(len(xtr), generator=gen))
        start, window = time.time(), []
        for i in range(0, len(xtr), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            step += 1
            window.append(loss.item())
            if args.print_loss and step % args.print_loss == 0:
                print(f"step {step} loss {sum(window) / len(window):.4f}")
                window = []
            if args.steps and step >= args.steps:
                break
        secs = time.time() - start
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item()
        n = min(len(xtr), step * 64) if args.steps else len(xtr)
        print(f"epoch {epoch}: test accuracy {100 * acc:.2f}% ({n / secs:.0f} samples/s)")
        sys.stdout.flush()
        if args.steps and step >= args.steps:
            break


if __name__ == "__main__":
    main()
