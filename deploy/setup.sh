#!/usr/bin/env bash
# Sets up, builds and runs tensord from a clean clone.
#   deploy/setup.sh demo   install what is missing, build, start tensord on the
#                          CPU and run the blitz walk-through with tensorctl
#   deploy/setup.sh test   install what is missing, build, run every test
#   deploy/setup.sh deps   only install the Debian packages that are missing
#   deploy/setup.sh build  deps + build
# Environment: BUILD_DIR (default build), JOBS (default: cores), TENSORD_ADDR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}

PACKAGES=(
  build-essential cmake pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libopenblas-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  python3 python3-numpy python3-torch
  zlib1g-dev dataset-fashion-mnist  # the IDX reader's .gz files; the training example and test
)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all ${#PACKAGES[@]} Debian packages present"
    return
  fi
  log "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  deps
  log "configuring in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  log "building with $JOBS jobs"
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

demo() {
  build
  local port_file log_file
  port_file=$(mktemp) log_file=$(mktemp)
  log "starting tensord on the CPU (log: $log_file)"
  "$BUILD_DIR/server/tensord" --listen 127.0.0.1:0 --port_file "$port_file" --device cpu \
    >"$log_file" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$port_file"' EXIT
  for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
  [ -s "$port_file" ] || { cat "$log_file"; echo "tensord did not start" >&2; exit 1; }
  export TENSORD_ADDR=127.0.0.1:$(cat "$port_file")
  log "tensord is serving on $TENSORD_ADDR; running client/examples/blitz.sh"
  TENSORCTL="$BUILD_DIR/client/tensorctl" "$ROOT/client/examples/blitz.sh"
  log "the same walk-through through the C++ client (client/examples/blitz.cc):"
  "$BUILD_DIR/client/blitz" "$TENSORD_ADDR"
}

test_all() {
  build
  log "running every test"
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600
}

case "${1:-}" in
  demo) demo ;;
  test) test_all ;;
  deps) deps ;;
  build) build ;;
  *) echo "usage: deploy/setup.sh demo|test|deps|build" >&2; exit 2 ;;
esac
