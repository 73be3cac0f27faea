#!/usr/bin/env bash
# Runs the GPU-host bundle (made by tests/gpu/bundle.sh) on a GPU machine:
# unpacks it, prints the GPUs nvidia-smi sees, runs every gpu test program
# (all of them, whatever fails), then the GPU benchmark, and prints a short
# table last: tests passed/failed/skipped per program, and each benchmark
# figure with its ratio against its target.
#
#   tests/gpu/run.sh [--no-gpu-ok] [--logs DIR] [BUNDLE]
#
# BUNDLE: the .tar.xz (default: build-gpu-bundle/tensord-gpu.tar.xz in this
# repository) or a directory it was unpacked into. The host needs the NVIDIA
# driver, cuBLAS (found as lib/env.sh in the bundle says; set
# TENSORD_CUDA_LIB_DIRS to point at it), bash, coreutils, and tar with xz or
# python3. Full logs (and gtest XML) go to DIR, default $OUT/gpu-logs when
# $OUT is set, else a directory under $TMPDIR. Time limits (seconds):
# TEST_TIMEOUT per test program (300), BENCH_TIMEOUT for the benchmark (180),
# TIME_BUDGET for the whole run (420; later programs get what is left).
#
# Exit status: 0 when every test passed; 1 when a test failed, crashed or
# timed out; 3 when no GPU was usable (the tests that need one skipped), unless
# --no-gpu-ok (for checking the bundle on a machine without a GPU).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bundle=$repo/build-gpu-bundle/tensord-gpu.tar.xz
no_gpu_ok=0
logs=
while (($#)); do
  case $1 in
    --no-gpu-ok) no_gpu_ok=1 ;;
    --logs)
      logs=$2
      shift
      ;;
    -h | --help)
      sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "run.sh: unknown option $1" >&2
      exit 2
      ;;
    *) bundle=$1 ;;
  esac
  shift
done
# Seconds: each test program at most, the benchmark at most, and the whole
# run at most (later programs get what is left, 60 s kept for the benchmark).
test_timeout=${TEST_TIMEOUT:-300}
bench_timeout=${BENCH_TIMEOUT:-180}
budget=${TIME_BUDGET:-420}

work=$(mktemp -d "${TMPDIR:-/tmp}/tensord-gpu-run.XXXXXX")
if [[ -z $logs ]]; then
  if [[ -n ${OUT:-} ]]; then logs=$OUT/gpu-logs; else logs=$work/logs; fi
fi
mkdir -p "$logs"

section() { printf '\n==== %s ====\n' "$*"; }

# ---- unpack ----
unpack() {  # into $1
  if ! tar -C "$1" -xJf "$bundle" 2> "$work/tar.err"; then
    # No xz on this host: Python's tarfile reads it.
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
      "$bundle" "$1" || {
      cat "$work/tar.err" >&2
      echo "run.sh: cannot unpack $bundle" >&2
      exit 2
    }
  fi
}
if [[ -d $bundle ]]; then
  root=$(cd "$bundle" && pwd)
  [[ -d $root/tensord-gpu ]] && root=$root/tensord-gpu
elif [[ -f $bundle ]]; then
  root_base=
  unpack "$work"
  root=$work/tensord-gpu
  if ! "$root/lib/ld-linux-x86-64.so.2" --version > /dev/null 2>&1; then
    # $TMPDIR may be mounted noexec: unpack beside the bundle instead.
    rm -rf "$root"
    root_base=$(mktemp -d "$(dirname "$bundle")/unpacked.XXXXXX") || exit 2
    unpack "$root_base"
    root=$root_base/tensord-gpu
  fi
  # The unpacked bundle goes at exit; the logs stay.
  trap 'rm -rf "$root" ${root_base:+"$root_base"}; [[ $logs == "$work"/* ]] || rm -rf "$work"' EXIT
else
  echo "run.sh: no bundle at $bundle: run tests/gpu/bundle.sh first" >&2
  exit 2
fi
[[ -f $root/tests.txt ]] || {
  echo "run.sh: $root is not a tensord GPU bundle (no tests.txt)" >&2
  exit 2
}
section "bundle"
cat "$root/BUILD_INFO"
echo "unpacked in $root; logs in $logs"

# ---- the host ----
section "GPUs"
if command -v nvidia-smi > /dev/null 2>&1; then
  nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.used,utilization.gpu \
    --format=csv 2>&1 | head -n 17
  nvidia-smi 2>/dev/null | sed -n 's/.*\(CUDA Version: [0-9.]*\).*/\1 (driver)/p' | head -n 1
else
  echo "nvidia-smi: not found"
fi
# This bundle's paths, whatever an earlier run left in the environment.
unset TENSORD_BUNDLE_LIBRARY_PATH TENSORD_CUDA_MODULE TENSORD_BINARY TENSORCTL_BINARY
TENSORD_BUNDLE_LIBRARY_PATH=$(root=$root sh -c '. "$root/lib/env.sh"; printf %s "$TENSORD_BUNDLE_LIBRARY_PATH"')
export TENSORD_BUNDLE_LIBRARY_PATH
echo "library path: $TENSORD_BUNDLE_LIBRARY_PATH"
if ! "$root/bin/tensord" --help > "$logs/tensord-help.log" 2>&1; then
  echo "run.sh: the bundled tensord does not start:" >&2
  head -n 20 "$logs/tensord-help.log" >&2
  exit 2
fi

# ---- tests ----
declare -a rows=()
total_passed=0 total_failed=0 total_skipped=0 crashed=0 no_device=0
while read -r name; do
  [[ -n $name ]] || continue
  section "test $name"
  log=$logs/$name.log
  start=$SECONDS
  limit=$((budget - SECONDS - 60))
  ((limit > test_timeout)) && limit=$test_timeout
  if ((limit < 10)); then
    echo "not run: the time budget (TIME_BUDGET=${budget}s) is spent"
    crashed=$((crashed + 1))
    rows+=("$(printf '%-34s %7s %7s %8s %7s  %s' "$name" - - - - "not run (time budget)")")
    continue
  fi
  timeout -k 10 "$limit" "$root/bin/$name" --gtest_color=no \
    "--gtest_output=xml:$logs/$name.xml" > "$log" 2>&1
  rc=$?
  took=$((SECONDS - start))
  count() { sed -n "s/^\[  $1 *\] \([0-9]*\) tests\{0,1\}.*/\1/p" "$log" | tail -n 1; }
  passed=$(count PASSED)
  failed=$(count FAILED)
  skipped=$(count SKIPPED)
  passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
  status=ok
  if ((rc == 124 || rc == 137)); then
    status="timed out after ${limit}s"
    crashed=$((crashed + 1))
  elif ((rc != 0 && failed == 0)); then
    status="exited with status $rc"
    crashed=$((crashed + 1))
  elif ((failed > 0)); then
    status=FAILED
  fi
  # A test that needs the GPU skipped for want of one.
  grep -q '^no CUDA device' "$log" && no_device=1
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
  echo "$passed passed, $failed failed, $skipped skipped in ${took}s: $status"
  grep -m 1 '^no CUDA device' "$log" | cut -c1-300
  if [[ $status != ok ]]; then
    # The failing tests, then the first lines of what they reported.
    grep '^\[  FAILED  \] [A-Za-z]' "$log" | sort -u | head -n 30
    grep -m 12 -A 6 -E 'Failure$|error: ' "$log" | cut -c1-400 | head -n 60
    [[ $status == ok || $status == FAILED ]] || tail -n 15 "$log"
  fi
  rows+=("$(printf '%-34s %7s %7s %8s %6ss  %s' "$name" "$passed" "$failed" "$skipped" "$took" "$status")")
done < "$root/tests.txt"

# ---- benchmark ----
bench_status="not in the bundle"
bench_lines=
if [[ -x $root/bin/cuda_bench ]]; then
  section "benchmark cuda_bench"
  start=$SECONDS
  limit=$((budget - SECONDS))
  ((limit > bench_timeout)) && limit=$bench_timeout
  ((limit < 30)) && limit=30
  timeout -k 10 "$limit" "$root/bin/cuda_bench" > "$logs/cuda_bench.log" 2>&1
  rc=$?
  grep -v '^BENCH|' "$logs/cuda_bench.log" | tail -n 25
  bench_lines=$(grep '^BENCH|' "$logs/cuda_bench.log")
  if grep -q 'no CUDA device: skipped' "$logs/cuda_bench.log"; then
    bench_status="skipped: no CUDA device"
  elif ((rc != 0)); then
    bench_status="failed (status $rc, after $((SECONDS - start))s)"
  else
    bench_status="ran in $((SECONDS - start))s"
  fi
fi

# ---- summary (last) ----
section "summary"
printf '%-34s %7s %7s %8s %7s  %s\n' "test program" passed failed skipped time status
for r in "${rows[@]}"; do echo "$r"; done
printf '%-34s %7s %7s %8s\n' "all" "$total_passed" "$total_failed" "$total_skipped"
echo
echo "cuda_bench: $bench_status"
if [[ -n $bench_lines ]]; then
  printf '%-30s %12s %12s %-8s %7s %7s  %s\n' benchmark tensord reference unit ratio target ""
  while IFS='|' read -r _ bname ours ref unit ratio target verdict; do
    printf '%-30s %12s %12s %-8s %7s %7s  %s\n' "$bname" "$ours" "$ref" "$unit" "$ratio" ">= $target" "$verdict"
  done <<< "$bench_lines"
fi
echo "total time: ${SECONDS}s; logs: $logs"

if ((total_failed > 0 || crashed > 0)); then
  echo "RESULT: FAILED ($total_failed failed tests, $crashed programs crashed or timed out)"
  exit 1
fi
if ((no_device)); then
  if ((no_gpu_ok)); then
    echo "RESULT: no GPU on this host: the tests that need one skipped (accepted: --no-gpu-ok)"
    exit 0
  fi
  echo "RESULT: no GPU usable on this host: the tests that need one skipped (see the reasons above)"
  exit 3
fi
echo "RESULT: all $total_passed tests passed ($total_skipped skipped)"
exit 0
