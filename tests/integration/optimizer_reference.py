#!/usr/bin/python3
"""Prints the torch.optim values that tests/integration/training_test.cc
expects: parameter p (float32, 2x3) after 3 steps of each optimizer, where
each step's loss is (p * w).sum() + (p * p).sum() (so grad = w + 2p).

  /usr/bin/python3 tests/integration/optimizer_reference.py
"""
import torch

P0 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]
W = [[1.0, -2.0, 0.5], [0.25, -0.75, 3.0]]
CASES = {
    "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1,
                                              weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.8, nesterov=True,
                                              weight_decay=0.1),
    "adam": lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.8, 0.9), eps=1e-6,
                                       weight_decay=0.1),
    "adam_amsgrad": lambda p: torch.optim.Adam([p], lr=0.01, amsgrad=True),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1),
}
for name, make in CASES.items():
    p = torch.tensor(P0, requires_grad=True)
    w = torch.tensor(W)
    opt = make(p)
    for _ in range(3):
        opt.zero_grad()
        ((p * w).sum() + (p * p).sum()).backward()
        opt.step()
    vals = ", ".join(f"{v:.9g}f" for v in p.detach().flatten().tolist())
    print(f'{{"{name}", {{{vals}}}}},')
