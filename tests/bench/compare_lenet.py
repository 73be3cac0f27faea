#!/usr/bin/env python3
"""One LeNet training step at batch 64 (forward, cross_entropy, backward, SGD
step with momentum) through tensord from the C++ client (lenet_step_bench,
CPU backend) beside PyTorch in-process, with the same number of kernel
threads on both sides, in one run. Prints a markdown table with ms per step,
samples/s and the ratio tensord / PyTorch (target <= 1.3).

  /usr/bin/python3 tests/bench/compare_lenet.py --build build [--threads 1] [--steps 200] [--check]

Needs PyTorch: run it with /usr/bin/python3 (it re-executes itself there
when the first python3 on PATH lacks torch).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

SYSTEM_PYTHON = "/usr/bin/python3"
TARGET = 1.3


def torch_step_ms(threads, steps, warmup):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(64, 1, 28, 28)
    y = torch.arange(64) % 10

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return 1e3 * (time.perf_counter() - start) / steps


def tensord_step_ms(build, threads, steps, warmup):
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "tensord.sock")
        daemon = subprocess.Popen(
            [os.path.join(build, "server", "tensord"), "--listen", "127.0.0.1:0",
             "--unix_socket", sock, "--device", "cpu", f"--kernel_threads={threads}",
             "--log_level", "warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            out = subprocess.run(
                [os.path.join(build, "tests", "bench", "lenet_step_bench"), "--server",
                 "unix:" + sock, f"--steps={steps}", f"--warmup={warmup}"],
                capture_output=True, text=True, check=True).stdout
            return json.loads(out.strip().splitlines()[-1])["ms_per_step"]
        finally:
            daemon.terminate()
            daemon.wait()


def main():
    try:
        import torch  # noqa: F401
    except ImportError:
        if sys.executable != SYSTEM_PYTHON and os.path.exists(SYSTEM_PYTHON):
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
        raise
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    ap.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = ap.parse_args()
    td, pt = [], []
    for _ in range(args.rounds):  # interleaved, so both see the same machine load
        td.append(tensord_step_ms(args.build, args.threads, args.steps, args.warmup))
        pt.append(torch_step_ms(args.threads, args.steps, args.warmup))
    t, p = min(td), min(pt)
    ratio = t / p
    print(f"LeNet training step, batch 64, {args.threads} kernel thread(s) each side, "
          f"best of {args.rounds} x {args.steps} steps\n")
    print("| | ms/step | samples/s |")
    print("|---|---|---|")
    print(f"| tensord (C++ client, CPU) | {t:.2f} | {64e3 / t:.0f} |")
    print(f"| PyTorch in-process | {p:.2f} | {64e3 / p:.0f} |")
    ok = ratio <= TARGET
    print(f"\nratio tensord / PyTorch: {ratio:.2f} (target <= {TARGET}: {'met' if ok else 'MISSED'})")
    if args.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
