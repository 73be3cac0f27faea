#!/usr/bin/env bash
# The "Neural Networks" steps of PyTorch's 60 Minute Blitz, run on tensord
# with tensorctl alone: the network's parameters as named tensors, its
# forward pass as registry ops (conv2d, relu, max_pool2d, flatten, linear),
# a loss, backprop, and the SGD update of the blitz's plain-Python loop
# (weight = weight - learning_rate * gradient). Each step echoes the Python
# line it mirrors. (client/examples/blitz_nn.cc is the C++ twin, with
# tensord::nn modules and the daemon-side nn::SGD.)
#   TENSORD_ADDR=127.0.0.1:50051 client/examples/blitz_nn.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
TENSORCTL=${TENSORCTL:-$here/../../build/client/tensorctl}
export TENSORD_SESSION=${TENSORD_SESSION:-blitz-nn-$$}
t() { "$TENSORCTL" "$@"; }
step() { printf '>>> %s\n' "$*"; }
trap 't close >/dev/null 2>&1 || true' EXIT

# A parameter as nn.Conv2d / nn.Linear initialise it: U(-1/sqrt(fan_in),
# 1/sqrt(fan_in)), then requires_grad.
param() {  # NAME BOUND SIZE...
  local name=$1 bound=$2; shift 2
  t create "$name" empty "$@"
  t exec uniform_ "$name" from=-"$bound" to="$bound" >/dev/null
  t requires-grad "$name"
}

t seed 0
echo "## Define the network"
step "net = Net()  # conv1 1->6 5x5, conv2 6->16 5x5, fc1 400->120, fc2 120->84, fc3 84->10"
param conv1.weight 0.2 6 1 5 5;           param conv1.bias 0.2 6
param conv2.weight 0.0816497 16 6 5 5;    param conv2.bias 0.0816497 16
param fc1.weight 0.05 120 400;            param fc1.bias 0.05 120
param fc2.weight 0.0912871 84 120;        param fc2.bias 0.0912871 84
param fc3.weight 0.1091089 10 84;         param fc3.bias 0.1091089 10
step "params[0].size()";                   t size conv1.weight

forward() {  # INPUT OUTPUT
  t exec conv2d "$1" conv1.weight conv1.bias -o h1
  t exec relu h1 -o h1
  t exec max_pool2d h1 kernel_size=2 -o h1
  t exec conv2d h1 conv2.weight conv2.bias -o h2
  t exec relu h2 -o h2
  t exec max_pool2d h2 kernel_size=2 -o h2
  t exec flatten h2 start_dim=1 -o h3
  t exec linear h3 fc1.weight fc1.bias -o h4
  t exec relu h4 -o h4
  t exec linear h4 fc2.weight fc2.bias -o h5
  t exec relu h5 -o h5
  t exec linear h5 fc3.weight fc3.bias -o "$2"
}
step "input = torch.randn(1, 1, 32, 32)";  t create input randn 1 1 32 32
step "out = net(input)";                   forward input out
step "out";                                t show out

echo
echo "## Loss function"
step "target = torch.randn(10).view(1, -1)"
t create target randn 10
t exec view target size=1,-1 -o target
step "loss = nn.MSELoss()(out, target)";    t exec mse_loss out target -o loss
step "loss";                                t show loss
step "loss.grad_fn";                        t grad-fn loss

echo
echo "## Backprop"
step "net.zero_grad(); net.conv1.bias.grad"
t zero-grad conv1.weight conv1.bias conv2.weight conv2.bias fc1.weight fc1.bias \
  fc2.weight fc2.bias fc3.weight fc3.bias
t grad conv1.bias
step "loss.backward(); net.conv1.bias.grad"; t backward loss; t grad conv1.bias

echo
echo "## Update the weights"
step "for f in net.parameters(): f.data.sub_(f.grad.data * learning_rate)"
for p in conv1.weight conv1.bias conv2.weight conv2.bias fc1.weight fc1.bias \
         fc2.weight fc2.bias fc3.weight fc3.bias; do
  t grad "$p" -o "$p.grad"
  t exec sub_ "$p" "$p.grad" alpha=0.01 --no-grad >/dev/null
done
step "loss = nn.MSELoss()(net(input), target)  # lower than before"
forward input out
t exec mse_loss out target -o loss
t show loss
