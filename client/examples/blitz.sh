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

echo
echo "## Autograd"
rg() { t describe "$1" | sed -n 's/^requires_grad: //p'; }
step "x = torch.ones(2, 2, requires_grad=True)"; t create x ones 2 2; t requires-grad x
step "x";                                        t show x
step "y = x + 2";                                t exec add x other=2 -o y
step "y";                                        t show y
step "y.grad_fn";                                t grad-fn y
step "z = y * y * 3";                            t exec mul y y -o yy; t exec mul yy other=3 -o z
step "out = z.mean()";                           t exec mean z -o out
step "z, out";                                   echo "$(t show z) $(t show out)"
step "a = torch.randn(2, 2)";                    t create a randn 2 2
step "a = ((a * 3) / (a - 1))";                  t exec mul a other=3 -o a3; t exec sub a other=1 -o a1; t exec div a3 a1 -o a
step "a.requires_grad";                          rg a
step "a.requires_grad_(True)";                   t requires-grad a
step "a.requires_grad";                          rg a
step "b = (a * a).sum()";                        t exec mul a a -o aa; t exec sum aa -o b
step "b.grad_fn";                                t grad-fn b
step "out.backward()";                           t backward out
step "x.grad";                                   t grad x
step "x = torch.randn(3, requires_grad=True)";   t create x randn 3; t requires-grad x
step "y = x * 2";                                t exec mul x other=2 -o y
step "while y.data.norm() < 1000: y = y * 2"
while t exec norm y -o norm --no-grad && awk "BEGIN { exit !($(t item norm) < 1000) }"; do
  t exec mul y other=2 -o y
done
step "y";                                        t show y
step "v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)"; t tensor v "[0.1, 1.0, 0.0001]" --dtype float
step "y.backward(v)";                            t backward y --gradient v
step "x.grad";                                   t grad x
step "x.requires_grad";                          rg x
step "(x ** 2).requires_grad";                   t exec pow x exponent=2 -o x2; rg x2
step "with torch.no_grad(): (x ** 2).requires_grad"; t exec pow x exponent=2 -o x2 --no-grad; rg x2
step "y = x.detach()";                           t exec detach x -o y
step "y.requires_grad";                          rg y
step "x.eq(y).all()";                            t exec eq x y -o same; t exec all same
t close
