#!/bin/bash
# check_module_symbols.sh MODULE EXECUTABLE...
# The CUDA module binds at load time to tensord functions of the executable
# that opens it (it does not link tensord_device itself). Checks that each
# EXECUTABLE exports every tensord symbol MODULE leaves undefined, and that
# the module exports nothing of tensord's (only its entry point).
set -euo pipefail
module=$1
shift
need=$(nm -D --undefined-only "$module" | awk '{print $NF}' | grep '7tensord' | sort -u || true)
if [[ -z "$need" ]]; then
  echo "FAIL: $module needs no tensord symbols: is it the CUDA module?" >&2
  exit 1
fi
# Functions, vtables and typeinfo of tensord's namespace (not library
# templates that merely take one of its types).
exported=$(nm -D --defined-only "$module" | awk '{print $NF}' |
  grep -E '^_Z(T[VIS])?NK?7tensord' || true)
if [[ -n "$exported" ]]; then
  echo "FAIL: $module exports tensord symbols that would shadow the executable's:" >&2
  echo "$exported" | c++filt >&2
  exit 1
fi
status=0
for exe in "$@"; do
  missing=$(comm -23 <(echo "$need") <(nm -D --defined-only "$exe" | awk '{print $NF}' | sort -u))
  if [[ -n "$missing" ]]; then
    echo "FAIL: $exe does not export what $module needs (link it with ENABLE_EXPORTS, see" >&2
    echo "tensord_hosts_cuda_module, and make device/cuda_module.cc refer to the object):" >&2
    echo "$missing" | c++filt >&2
    status=1
  else
    echo "ok: $exe exports the $(echo "$need" | wc -l) tensord symbols $module needs"
  fi
done
exit $status
