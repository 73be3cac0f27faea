# Sourced (as lib/env.sh of the GPU-host bundle, see bundle.sh) by each
# launcher in bin/, with $root set to the bundle's directory. Exports:
#   TENSORD_BUNDLE_LIBRARY_PATH  the bundle's lib/, then the host directories
#       that hold the CUDA libraries it does not carry (lib/host-libraries.txt:
#       the driver's libcuda.so.1, cuBLAS)
#   TENSORD_CUDA_MODULE          lib/libtensord_cuda.so
#   TENSORD_BINARY, TENSORCTL_BINARY
#       the launchers of tensord and tensorctl, for the tests and benchmarks
#       that start them
# Each is kept when already set. Set TENSORD_CUDA_LIB_DIRS (directories
# separated by ':') to say where the host's CUDA libraries are; otherwise
# they are looked for in $LD_LIBRARY_PATH, /usr/local/cuda*/lib64, the
# usual system directories and ldconfig's cache.
# POSIX sh: the launchers run under the host's /bin/sh.

: "${TENSORD_CUDA_MODULE:=$root/lib/libtensord_cuda.so}"
: "${TENSORD_BINARY:=$root/bin/tensord}"
: "${TENSORCTL_BINARY:=$root/bin/tensorctl}"
export TENSORD_CUDA_MODULE TENSORD_BINARY TENSORCTL_BINARY

tensord_cuda_dirs() {
  if [ -n "${TENSORD_CUDA_LIB_DIRS:-}" ]; then
    printf '%s\n' "$TENSORD_CUDA_LIB_DIRS" | tr ':' '\n'
    return
  fi
  printf '%s\n' "${LD_LIBRARY_PATH:-}" | tr ':' '\n'
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
    /usr/local/cuda-*/lib64 /usr/local/cuda-*/targets/x86_64-linux/lib \
    /usr/lib/x86_64-linux-gnu /usr/lib64 /lib64 /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
    /usr/lib/wsl/lib /usr/local/cuda/compat; do
    printf '%s\n' "$d"
  done
  if command -v ldconfig > /dev/null 2>&1; then
    ldconfig -p 2> /dev/null | sed -n 's/^[[:space:]]*\(libcu[^ ]*\) (.*x86-64.*) => \(.*\)\/[^/]*$/\2/p'
  elif [ -x /sbin/ldconfig ]; then
    /sbin/ldconfig -p 2> /dev/null | sed -n 's/^[[:space:]]*\(libcu[^ ]*\) (.*x86-64.*) => \(.*\)\/[^/]*$/\2/p'
  fi
}

if [ -z "${TENSORD_BUNDLE_LIBRARY_PATH:-}" ]; then
  tensord_path=$root/lib
  tensord_missing=
  for tensord_lib in $(cat "$root/lib/host-libraries.txt" 2> /dev/null); do
    tensord_found=
    for tensord_dir in $(tensord_cuda_dirs); do
      [ -n "$tensord_dir" ] && [ -e "$tensord_dir/$tensord_lib" ] || continue
      tensord_found=$tensord_dir
      break
    done
    if [ -z "$tensord_found" ]; then
      tensord_missing="$tensord_missing $tensord_lib"
      continue
    fi
    case ":$tensord_path:" in
      *":$tensord_found:"*) ;;
      *) tensord_path=$tensord_path:$tensord_found ;;
    esac
  done
  if [ -n "$tensord_missing" ]; then
    echo "tensord bundle: not found on this host:$tensord_missing (set TENSORD_CUDA_LIB_DIRS to" \
      "the directories that hold them); CUDA will be unavailable" >&2
  fi
  TENSORD_BUNDLE_LIBRARY_PATH=$tensord_path
  export TENSORD_BUNDLE_LIBRARY_PATH
  unset tensord_path tensord_missing tensord_lib tensord_found tensord_dir
fi
