#!/usr/bin/env python3
"""Runs the engine benchmarks (engine_bench) and the same ops in PyTorch in
one run, with the same thread count, and prints a table of ratios
(tensord time / PyTorch time; below 1 means tensord is faster).

  tests/bench/compare_torch.py [--bench build/tests/bench/engine_bench] [--threads 2]
                               [--rounds 3] [--filter NAME]
"""
import argparse
import json
import os
import subprocess
import sys
import time

def autograd_loop(t):
    def run():
        x = t.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
    return run


def lenet_step(t):
    """The blitz's LeNet, batch 64: forward, cross_entropy, backward (as engine_bench)."""
    F = t.nn.functional
    shapes = [((6, 1, 5, 5), 0.2), ((6,), 0.1), ((16, 6, 5, 5), 0.08), ((16,), 0.1),
              ((120, 256), 0.06), ((120,), 0.1), ((84, 120), 0.09), ((84,), 0.1),
              ((10, 84), 0.1), ((10,), 0.1)]
    p = [(t.randn(*s) * k).requires_grad_() for s, k in shapes]
    x = t.rand(64, 1, 28, 28)
    y = t.randint(0, 10, (64,))

    def run():
        h = x
        for i in range(2):
            h = F.max_pool2d(F.relu(F.conv2d(h, p[2 * i], p[2 * i + 1])), 2)
        h = h.flatten(1)
        for i in range(2, 5):
            h = F.linear(h, p[2 * i], p[2 * i + 1])
            if i < 4:
                h = F.relu(h)
        F.cross_entropy(h, y).backward()
        for q in p:
            q.grad = None
    return run


CASES = {
    "autograd_blitz_loop": autograd_loop,
    "lenet_fwd_bwd_b64": lenet_step,
    # name: (setup(torch) -> callable)
    "tiny_add_5x3": lambda t: (lambda a, b: (lambda: t.add(a, b)))(t.rand(5, 3), t.rand(5, 3)),
    "add_16M": lambda t: (lambda a, b: (lambda: t.add(a, b)))(t.rand(16 << 20), t.rand(16 << 20)),
    "add_16M_out": lambda t: (lambda a, b, o: (lambda: t.add(a, b, out=o)))(
        t.rand(16 << 20), t.rand(16 << 20), t.empty(16 << 20)),
    "mul_16M": lambda t: (lambda a, b: (lambda: t.mul(a, b)))(t.rand(16 << 20), t.rand(16 << 20)),
    "mul_16M_out": lambda t: (lambda a, b, o: (lambda: t.mul(a, b, out=o)))(
        t.rand(16 << 20), t.rand(16 << 20), t.empty(16 << 20)),
    "exp_16M": lambda t: (lambda a: (lambda: t.exp(a)))(t.rand(16 << 20)),
    "exp_16M_out": lambda t: (lambda a, o: (lambda: t.exp(a, out=o)))(
        t.rand(16 << 20), t.empty(16 << 20)),
    "sum_16M": lambda t: (lambda a: (lambda: t.sum(a)))(t.rand(16 << 20)),
    "mean_16M": lambda t: (lambda a: (lambda: t.mean(a)))(t.rand(16 << 20)),
    "amax_16M": lambda t: (lambda a: (lambda: t.amax(a)))(t.rand(16 << 20)),
    "softmax_4096x4096": lambda t: (lambda a: (lambda: t.softmax(a, -1)))(t.rand(4096, 4096)),
    "matmul_1024": lambda t: (lambda a, b: (lambda: t.matmul(a, b)))(
        t.rand(1024, 1024), t.rand(1024, 1024)),
    "matmul_2048": lambda t: (lambda a, b: (lambda: t.matmul(a, b)))(
        t.rand(2048, 2048), t.rand(2048, 2048)),
}


def time_torch(fn, min_time=0.5):
    fn()  # warm up
    n, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / n * 1e6
        n = max(n * 2, int(n * min_time / max(elapsed, 1e-9)) + 1)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default=os.path.join(here, "../../build/tests/bench/engine_bench"))
    parser.add_argument("--threads", type=int, default=1, help="threads for both sides")
    parser.add_argument("--filter", default="", help="only cases whose name contains this")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per side")
    args = parser.parse_args()

    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads),
               TENSORD_NUM_THREADS=str(args.threads))
    names = [n for n in CASES if args.filter in n]

    # PyTorch's BLAS reads this at import; torch.set_num_threads alone does
    # not bound it.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    torch.set_num_threads(args.threads)

    # The two sides alternate, round after round, and each keeps its best
    # time, so a burst of load from elsewhere on the machine does not land
    # on one side only.
    ours = {n: None for n in names}
    theirs = {n: None for n in names}
    errors = set()
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}: engine_bench ({len(names)} cases, "
              f"{args.threads} thread(s))...", file=sys.stderr)
        out = subprocess.run([args.bench, "--benchmark_format=json", "--benchmark_min_time=0.3",
                              f"--benchmark_filter={'|'.join(names)}"],
                             env=env, check=True, capture_output=True, text=True).stdout
        for b in json.loads(out)["benchmarks"]:
            name = b["name"].split("/")[0]  # drop "/real_time"
            if b.get("error_occurred"):
                errors.add(name)
            elif ours.get(name) is None or b["real_time"] < ours[name]:
                ours[name] = b["real_time"]
        print(f"round {r + 1}/{args.rounds}: torch...", file=sys.stderr)
        for name in names:
            t = time_torch(CASES[name](torch), min_time=0.3)
            theirs[name] = t if theirs[name] is None else min(theirs[name], t)

    print(f"{'case':<20} {'tensord us':>12} {'torch us':>12} {'ratio':>8}")
    for name in names:
        mine = None if name in errors else ours.get(name)
        if mine is None:
            print(f"{name:<20} {'n/a':>12} {theirs[name]:>12.1f} {'n/a':>8}")
        else:
            print(f"{name:<20} {mine:>12.1f} {theirs[name]:>12.1f} {mine / theirs[name]:>8.2f}")
    print(f"(torch {torch.__version__}, {args.threads} thread(s) on both sides, "
          f"best of {args.rounds} alternating rounds)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
