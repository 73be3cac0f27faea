#!/usr/bin/env bash
# Builds the GPU-host bundle: a compact, self-contained archive of what a GPU
# machine needs to check tensord's CUDA backend, for a host that has the
# NVIDIA driver, the CUDA runtime and cuBLAS but none of our Debian
# libraries. tests/gpu/run.sh unpacks and runs it there.
#
#   tests/gpu/bundle.sh [BUILD_DIR]
#
# BUILD_DIR (default: build-gpu in the repository) is configured when it has
# no CMakeCache.txt, else reused; the bundle's targets (make gpu_bundle_deps:
# every gpu test binary, cuda_bench, tensord, tensorctl, libtensord_cuda.so)
# are built in it at low priority ($JOBS jobs, default 2). Any other binary
# labelled `gpu` in ctest is packed too.
#
# The archive, build-gpu-bundle/tensord-gpu.tar.xz (ignored by git), holds:
#   bin/       one launcher per program: runs it with the bundle's own
#              dynamic loader and libraries, the host's CUDA libraries
#              (lib/env.sh finds them) and TENSORD_CUDA_MODULE set
#   libexec/   the programs, debug info stripped
#   lib/       libtensord_cuda.so and every other shared library the
#              programs need per ldd (gRPC, protobuf, absl, OpenBLAS,
#              libstdc++, glibc and its loader ...), but not the driver's or
#              the toolkit's (libcuda, libcudart, libcublas*, libnvidia*):
#              those come from the GPU host
#   tests.txt  the gpu test programs; BUILD_INFO  what was built, from where
# It must stay under 25 MB; the script fails loudly otherwise.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$repo/build-gpu}
out_dir=$repo/build-gpu-bundle
out=$out_dir/tensord-gpu.tar.xz
limit_bytes=$((25 * 1000 * 1000))

say() { printf 'bundle.sh: %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

for tool in cmake ldd strip tar xz python3; do
  command -v "$tool" > /dev/null || die "$tool is needed on this machine"
done

# ---- build ----
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$repo")} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
if [[ ! -f $build/CMakeCache.txt ]]; then
  say "configuring $build"
  nice -n 19 cmake -S "$repo" -B "$build" > "$build.cmake.log" 2>&1 ||
    die "cmake failed; see $build.cmake.log"
fi
grep -q '^TENSORD_CUDA:BOOL=ON' "$build/CMakeCache.txt" ||
  say "warning: $build has TENSORD_CUDA off: the bundle will have no CUDA module"
say "building the bundle's targets in $build"
nice -n 19 cmake --build "$build" --target gpu_bundle_deps -j "${JOBS:-2}" > "$build/bundle-build.log" 2>&1 ||
  {
    tail -n 30 "$build/bundle-build.log" >&2
    die "the build failed; see $build/bundle-build.log"
  }
list=$build/gpu_bundle_files.txt
[[ -f $list ]] || die "$list is missing: is $build configured from this repository?"

# Programs by kind ("bin", "test", "bench", "module"), plus any other
# executable ctest labels gpu.
declare -a programs=() tests=() modules=()
while read -r kind path; do
  [[ -n $kind ]] || continue
  [[ -f $path ]] || die "$path ($kind) was not built"
  case $kind in
    module) modules+=("$path") ;;
    test)
      tests+=("$path")
      programs+=("$path")
      ;;
    *) programs+=("$path") ;;
  esac
done < "$list"
while read -r exe; do
  [[ -n $exe && -x $exe ]] || continue
  already=0
  for p in "${programs[@]}"; do [[ $p == "$exe" ]] && already=1; done
  if ((!already)); then
    say "also packing $exe (labelled gpu in ctest)"
    tests+=("$exe")
    programs+=("$exe")
  fi
done < <(ctest --test-dir "$build" -L gpu --show-only=json-v1 2> /dev/null | python3 -c '
import json, os, sys
seen = set()
for t in json.load(sys.stdin).get("tests", []):
    cmd = t.get("command") or []
    if cmd and os.path.isabs(cmd[0]) and cmd[0] not in seen and not cmd[0].endswith(".sh"):
        seen.add(cmd[0])
        print(cmd[0])
')

# ---- stage ----
stage_root=$(mktemp -d "${TMPDIR:-/tmp}/tensord-bundle.XXXXXX")
trap 'rm -rf "$stage_root"' EXIT
root=$stage_root/tensord-gpu
mkdir -p "$root/bin" "$root/libexec" "$root/lib"

# The libraries the GPU host provides: never bundled.
host_provided() {
  case $(basename "$1") in
    libcuda.so* | libcudart.so* | libcublas.so* | libcublasLt.so* | libnvidia* | libnvrtc* | \
      libcudnn* | libcufft* | libcurand* | libcusparse* | libcusolver* | libnvJitLink*)
      return 0
      ;;
  esac
  return 1
}

# soname -> path, for every library the files need (ldd resolves the tree).
declare -A libs=() host_libs=()
collect_libs() {
  local file=$1 line soname path
  while read -r line; do
    if [[ $line =~ ^([^[:space:]]+)\ =\>\ (/[^[:space:]]+) ]]; then
      soname=${BASH_REMATCH[1]}
      path=${BASH_REMATCH[2]}
    elif [[ $line =~ ^(/[^[:space:]]+)\ \( ]]; then
      path=${BASH_REMATCH[1]}
      soname=$(basename "$path")
    elif [[ $line == *"=> not found"* ]]; then
      soname=${line%% *}
      host_provided "$soname" && {
        host_libs[$soname]=1
        continue
      }
      die "$file needs $soname, which is not found here"
    else
      continue
    fi
    if host_provided "$soname"; then
      host_libs[$soname]=1
    else
      libs[$soname]=$path
    fi
  done < <(ldd "$file" 2> /dev/null || true)
}

for p in "${programs[@]}"; do
  name=$(basename "$p")
  cp "$p" "$root/libexec/$name"
  collect_libs "$p"
done
for m in "${modules[@]}"; do
  cp "$m" "$root/lib/$(basename "$m")"
  collect_libs "$m"
done
# The CUDA runtime (linked statically into the module) opens the driver's
# libcuda.so.1 at run time: the host provides it too.
((${#modules[@]})) && host_libs[libcuda.so.1]=1
# What the host's CUDA libraries need besides each other, so that they bind
# to the bundle's glibc and libgcc rather than the host's.
for soname in "${!host_libs[@]}"; do
  for dir in /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu; do
    [[ -f $dir/$soname ]] && collect_libs "$dir/$soname"
  done
done
# The whole glibc runtime (its stubs too: a host library asking for
# libpthread.so.0 must not get the host's, built for another libc).
libc_dir=$(dirname "${libs[libc.so.6]:?the programs do not link libc.so.6?}")
for soname in libc.so.6 libm.so.6 libmvec.so.1 libdl.so.2 libpthread.so.0 librt.so.1 \
  libutil.so.1 libresolv.so.2 libanl.so.1 libnss_files.so.2 libnss_dns.so.2; do
  [[ -f $libc_dir/$soname ]] && libs[$soname]=$libc_dir/$soname
done
loader=${libs[ld-linux-x86-64.so.2]:?no ld-linux-x86-64.so.2 among the dependencies}
for soname in "${!libs[@]}"; do
  cp -L "${libs[$soname]}" "$root/lib/$soname"
done
[[ $(basename "$loader") == ld-linux-x86-64.so.2 ]] || die "unexpected loader $loader"

# Debug info out (ELF files only; the loader keeps its symbols, which glibc's
# own tools and gdb like to see).
for f in "$root"/libexec/* "$root"/lib/*; do
  [[ $(basename "$f") == ld-linux-x86-64.so.2 ]] && continue
  strip --strip-debug "$f" 2> /dev/null || die "strip failed on $f"
done
chmod 755 "$root"/libexec/* "$root/lib/ld-linux-x86-64.so.2"

# ---- launchers ----
printf '%s\n' "${!host_libs[@]}" | sort > "$root/lib/host-libraries.txt"
cp "$repo/tests/gpu/bundle_env.sh" "$root/lib/env.sh"
for p in "${programs[@]}"; do
  name=$(basename "$p")
  cat > "$root/bin/$name" << EOF
#!/bin/sh
# Runs $name with the bundle's loader and libraries and the host's CUDA
# libraries (see lib/env.sh).
root=\$(cd "\$(dirname "\$0")/.." && pwd)
. "\$root/lib/env.sh" || exit 127
exec "\$root/lib/ld-linux-x86-64.so.2" --library-path "\$TENSORD_BUNDLE_LIBRARY_PATH" "\$root/libexec/$name" "\$@"
EOF
  chmod 755 "$root/bin/$name"
done
for t in "${tests[@]}"; do basename "$t"; done > "$root/tests.txt"
{
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
  echo "source: $(git -C "$repo" describe --always --dirty 2> /dev/null || echo unknown)"
  echo "build dir: $build ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt"))"
  echo "glibc: $("$loader" --version 2> /dev/null | head -n 1)"
  echo "host libraries needed: $(tr '\n' ' ' < "$root/lib/host-libraries.txt")"
} > "$root/BUILD_INFO"

# ---- pack ----
mkdir -p "$out_dir"
tmp_out=$out.tmp
tar -C "$stage_root" -cf - tensord-gpu | xz -9 -T "${JOBS:-2}" > "$tmp_out"
size=$(stat -c %s "$tmp_out")
unpacked=$(du -sb "$root" | cut -f1)
if ((size >= limit_bytes)); then
  rm -f "$tmp_out"
  say "the largest files:"
  find "$root" -type f -printf '%s %P\n' | sort -rn | head -n 15 >&2
  die "the bundle is $size bytes (unpacked $unpacked), over the limit of $limit_bytes bytes (25 MB)"
fi
mv "$tmp_out" "$out"
say "$(wc -l < "$root/tests.txt") test programs, ${#programs[@]} programs, $(ls "$root/lib" | wc -l) files in lib/"
say "size: $size bytes compressed (limit $limit_bytes), $unpacked unpacked"
echo "$out"
