#!/usr/bin/env python3
"""Runs the remote benchmarks (remote_bench: tensord through its client, in
its own process) and their in-process PyTorch counterparts, and prints a
markdown table: each case, its reference, the ratio and the target.

  tests/bench/compare_remote.py [--bench build/tests/bench/remote_bench] [--threads 1]
                                [--rounds 3] [--min_time 0.3] [--check]

References: grpc_unary_echo (a bare gRPC round trip) for synchronous ops,
grpc_stream_empty (a bare gRPC stream, one reply per 1000 messages) for
pipelined ops, grpc_stream_256MiB (a bare gRPC stream of 1 MiB messages)
and memcpy for bulk transfers, PyTorch in-process for the rest. Rows
without a target are there to show where time goes: grpc_stream_pingpong
(one message and its reply on an open stream) and sync_only (tensord's
barrier with no op) split tiny_op_sync into transport, daemon hand-off and
the op itself.
Needs PyTorch: run it with /usr/bin/python3 (it re-executes itself there
when the first python3 on PATH lacks torch).
"""
import argparse
import json
import os
import subprocess
import sys
import time

SYSTEM_PYTHON = "/usr/bin/python3"


def tiny_add(t):
    a, b = t.rand(5, 3), t.rand(5, 3)
    return lambda: t.add(a, b)


def autograd_loop(t):
    def run():
        x = t.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
    return run


# PyTorch in-process counterparts: name -> setup(torch) -> callable.
TORCH_CASES = {
    "tiny_add_5x3": tiny_add,
    "autograd_blitz_loop": autograd_loop,
}

# One row per comparison: (case, metric, reference, target). A reference is
# (case, metric), from remote_bench, or ("torch:NAME", metric). A target is
# ("ratio", op, value) on measured / reference, or ("abs", op, value) on the
# measured value itself; None for rows shown for information.
ROWS = [
    ("grpc_unary_echo", "median_us", None, None),
    ("grpc_stream_pingpong", "median_us", ("grpc_unary_echo", "median_us"), None),
    ("sync_only", "median_us", ("grpc_unary_echo", "median_us"), None),
    ("tiny_op_sync", "median_us", ("grpc_unary_echo", "median_us"), ("ratio", "<=", 1.0)),
    ("tiny_op_item", "median_us", ("grpc_unary_echo", "median_us"), ("ratio", "<=", 1.0)),
    ("grpc_unary_echo_unix", "median_us", None, None),
    ("sync_only_unix", "median_us", ("grpc_unary_echo_unix", "median_us"), None),
    ("tiny_op_sync_unix", "median_us", ("grpc_unary_echo_unix", "median_us"), ("ratio", "<=", 1.0)),
    ("tiny_op_item_unix", "median_us", ("grpc_unary_echo_unix", "median_us"), ("ratio", "<=", 1.0)),
    ("grpc_stream_empty", "msgs_per_s", None, None),
    ("tiny_op_pipelined", "ops_per_s", ("grpc_stream_empty", "msgs_per_s"), ("ratio", ">=", 0.4)),
    ("tiny_op_pipelined", "ops_per_s", ("torch:tiny_add_5x3", "ops_per_s"), None),
    ("grpc_stream_empty_unix", "msgs_per_s", None, None),
    ("tiny_op_pipelined_unix", "ops_per_s", ("grpc_stream_empty_unix", "msgs_per_s"),
     ("ratio", ">=", 0.4)),
    ("autograd_blitz_loop_remote", "median_us", ("torch:autograd_blitz_loop", "median_us"), None),
    ("memcpy_256MiB", "GB_per_s", None, None),
    ("grpc_stream_256MiB", "GB_per_s", ("memcpy_256MiB", "GB_per_s"), None),
    ("upload_256MiB_tcp", "GB_per_s", ("grpc_stream_256MiB", "GB_per_s"), ("abs", ">=", 1.0)),
    ("fetch_256MiB_tcp", "GB_per_s", ("grpc_stream_256MiB", "GB_per_s"), ("abs", ">=", 1.0)),
    ("upload_256MiB_shm", "GB_per_s", ("memcpy_256MiB", "GB_per_s"), ("abs", ">=", 5.0)),
    ("fetch_256MiB_shm", "GB_per_s", ("memcpy_256MiB", "GB_per_s"), ("abs", ">=", 5.0)),
    ("fetch_256MiB_tcp_reuse", "GB_per_s", ("grpc_stream_256MiB", "GB_per_s"), ("abs", ">=", 1.0)),
    ("fetch_256MiB_shm_reuse", "GB_per_s", ("memcpy_256MiB", "GB_per_s"), ("abs", ">=", 5.0)),
]


def higher_is_better(metric):
    return metric.endswith("_per_s")


def better(metric, a, b):
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b) if higher_is_better(metric) else min(a, b)


def fmt(metric, v):
    if v is None:
        return "n/a"
    if metric.endswith("_us"):
        return f"{v:.1f} us"
    if metric == "GB_per_s":
        return f"{v:.2f} GB/s"
    if metric.endswith("_per_s"):
        return f"{v / 1e3:.0f}k/s"
    return f"{v:.3g}"


def time_torch(fn, min_time):
    """Per-call times (us) of fn: the median of batches, and the mean."""
    for _ in range(10):
        fn()  # warm up
    n, samples, total, calls = 1, [], 0.0, 0
    while total < min_time:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        samples.append(elapsed / n * 1e6)
        total += elapsed
        calls += n
        if elapsed < 0.01:
            n *= 2
    samples.sort()
    return samples[len(samples) // 2], total / calls * 1e6


def run_bench(args, env):
    cmd = [args.bench, "--benchmark_format=json", f"--benchmark_min_time={args.min_time}"]
    names = sorted({r[0] for r in ROWS} | {r[2][0] for r in ROWS if r[2] and ":" not in r[2][0]})
    cmd.append("--benchmark_filter=^(" + "|".join(names) + ")/")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    results, errors = {}, {}
    try:
        benchmarks = json.loads(proc.stdout)["benchmarks"]
    except (json.JSONDecodeError, KeyError):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"remote_bench exited with {proc.returncode} and no JSON output")
    for b in benchmarks:
        name = b["name"].split("/")[0]  # drop "/real_time"
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "failed")
        else:
            results[name] = b
    return results, errors


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default=os.path.join(here, "../../build/tests/bench/remote_bench"))
    parser.add_argument("--threads", type=int, default=1,
                        help="kernel threads for tensord and PyTorch")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per side")
    parser.add_argument("--min_time", type=float, default=0.3, help="seconds per case and round")
    parser.add_argument("--check", action="store_true", help="exit 2 when a target is missed")
    args = parser.parse_args()

    # PyTorch's BLAS reads these at import; torch.set_num_threads alone does
    # not bound it.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    try:
        import torch
    except ImportError:
        if os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(
                SYSTEM_PYTHON):
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
        raise
    torch.set_num_threads(args.threads)
    env = dict(os.environ, TENSORD_NUM_THREADS=str(args.threads))

    # The two sides alternate, round after round, and each keeps its best
    # value, so a burst of load from elsewhere on the machine does not land
    # on one side only.
    ours, errors = {}, {}
    theirs = {}
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}: remote_bench...", file=sys.stderr)
        results, errs = run_bench(args, env)
        errors.update(errs)
        for name, b in results.items():
            for metric, v in b.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    key = (name, metric)
                    ours[key] = better(metric, ours.get(key), float(v))
        print(f"round {r + 1}/{args.rounds}: torch...", file=sys.stderr)
        for name, setup in TORCH_CASES.items():
            median_us, mean_us = time_torch(setup(torch), args.min_time)
            for metric, v in (("median_us", median_us), ("ops_per_s", 1e6 / mean_us)):
                key = ("torch:" + name, metric)
                theirs[key] = better(metric, theirs.get(key), v)

    def value(ref):
        return theirs.get(ref) if ref[0].startswith("torch:") else ours.get(ref)

    print("| case | measured | reference | reference value | ratio | target | result |")
    print("|---|---|---|---|---|---|---|")
    missed = 0
    for case, metric, ref, target in ROWS:
        mine = None if case in errors else ours.get((case, metric))
        ref_v = value(ref) if ref else None
        ratio = mine / ref_v if mine is not None and ref_v else None
        if target is None:
            target_s, result = "-", "info" if ref else "reference"
        else:
            kind, op, bound = target
            x = ratio if kind == "ratio" else mine
            target_s = (f"ratio {op} {bound}" if kind == "ratio" else
                        f"{op} {fmt(metric, bound)}")
            if x is None:
                result = "error" if case in errors else "n/a"
            else:
                ok = x <= bound if op == "<=" else x >= bound
                result = "pass" if ok else "FAIL"
            missed += result != "pass"
        print(f"| {case} | {fmt(metric, mine)} | {ref[0] if ref else '-'} | "
              f"{fmt(ref[1], ref_v) if ref else '-'} | "
              f"{f'{ratio:.2f}' if ratio is not None else '-'} | {target_s} | {result} |")
    print(f"\n(torch {torch.__version__}, {args.threads} kernel thread(s) on both sides, "
          f"best of {args.rounds} alternating rounds; latencies are medians)")
    for name, msg in sorted(errors.items()):
        print(f"error: {name}: {msg}", file=sys.stderr)
    if errors:
        return 1
    return 2 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
