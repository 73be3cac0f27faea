#!/usr/bin/env python3
"""Runs the engine benchmarks (engine_bench) and the same ops in PyTorch in
one run, with the same thread count, and prints a table of ratios
(tensord time / PyTorch time; below 1 means tensord is faster).

  tests/bench/compare_torch.py [--bench build/tests/bench/engine_bench] [--threads 1]
"""
import argparse
import json
import os
import subprocess
import sys
import time

CASES = {
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
    args = parser.parse_args()

    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))
    names = [n for n in CASES if args.filter in n]
    print(f"running engine_bench ({len(names)} cases, {args.threads} thread(s))...", file=sys.stderr)
    out = subprocess.run([args.bench, "--benchmark_format=json", "--benchmark_min_time=0.5",
                          f"--benchmark_filter={'|'.join(names)}"],
                         env=env, check=True, capture_output=True, text=True).stdout
    ours = {}
    for b in json.loads(out)["benchmarks"]:
        name = b["name"].split("/")[0]  # drop "/real_time"
        ours[name] = None if b.get("error_occurred") else b["real_time"]

    # PyTorch's BLAS reads this at import; torch.set_num_threads alone does
    # not bound it.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    print(f"{'case':<20} {'tensord us':>12} {'torch us':>12} {'ratio':>8}")
    for name in names:
        print(f"  timing {name} in torch...", file=sys.stderr)
        theirs = time_torch(CASES[name](torch))
        mine = ours.get(name)
        if mine is None:
            print(f"{name:<20} {'n/a':>12} {theirs:>12.1f} {'n/a':>8}")
        else:
            print(f"{name:<20} {mine:>12.1f} {theirs:>12.1f} {mine / theirs:>8.2f}")
    print(f"(torch {torch.__version__}, {args.threads} thread(s) on both sides)")


if __name__ == "__main__":
    main()
