#!/usr/bin/env bash
# The "Tensors" and "Operations" steps of PyTorch's 60 Minute Blitz, run on
# tensord with tensorctl. Each step echoes the Python line it mirrors.
#   TENSORD_ADDR=127.0.0.1:50051 client/examples/blitz.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
TENSORCTL=${TENSORCTL:-$here/../../build/client/tensorctl}
export TENSORD_SESSION=${TENSORD_SESSION:-blitz-$$}
t() { "$TENSORCTL" "$@"; }
step() { printf '>>> %s\n' "$*"; }

t seed 0
echo "## Tensors"
step "torch.empty(5, 3)";                        t exec empty size=5,3
step "torch.rand(5, 3)";                         t exec rand size=5,3
step "torch.zeros(5, 3, dtype=torch.long)";      t create z zeros 5 3 --dtype long --show
step "torch.tensor([5.5, 3])";                   t tensor v "[5.5, 3]" --show
step "x = torch.zeros(5, 3, dtype=torch.double)"; t create x zeros 5 3 --dtype double
step "x = x.new_ones(5, 3, dtype=torch.double)"; t exec new_ones x size=5,3 dtype=double -o x
step "x";                                        t show x
step "x = torch.randn_like(x, dtype=torch.float)"; t exec randn_like x dtype=float -o x
step "x";                                        t show x
step "x.size()";                                 t size x

echo
echo "## Operations"
step "y = torch.rand(5, 3)";                     t create y rand 5 3
step "x + y";                                    t exec add x y
step "torch.add(x, y)";                          t exec add x y
step "result = torch.empty(5, 3)";               t create result empty 5 3
step "torch.add(x, y, out=result)";              t exec add x y --out result
step "result";                                   t show result
step "y.add_(x)";                                t exec add_ y x
step "y";                                        t show y
step "x[:, 1]";                                  t exec index x "spec=:, 1"
step "x = torch.randn(4, 4)";                    t create x randn 4 4
step "y = x.view(16)";                           t exec view x size=16 -o y
step "z = x.view(-1, 8)";                        t exec view x size=-1,8 -o z
step "x.size(), y.size(), z.size()";             t size x y z
step "x = torch.randn(1)";                       t create x randn 1
step "x";                                        t show x
step "x.item()";                                 t item x
t close
