#!/usr/bin/python3
"""Dump a torch.optim.LBFGS trajectory (PyTorch 1.13, float32) as a plain-text golden.

Usage:
  /usr/bin/python3 make_lbfgs_golden.py 'JSON_KWARGS' N_PARAMS STEPS SEED > golden.txt
  e.g. make_lbfgs_golden.py '{"line_search_fn": "strong_wolfe"}' 16 10 1

torch_optim_trajectory.py cannot drive LBFGS: it needs a closure that re-evaluates the
loss. The objective here is an extended Rosenbrock function in float32 with a seeded
random scale per pair, so the curvature varies:
  f(x) = sum_k  a_k * (x_{2k+1} - x_{2k}^2)^2 + (1 - x_{2k})^2
Every closure call is recorded, so a replay can feed torch's loss and gradient back to
its own LBFGS (as the other goldens feed torch's gradients) and compare where it asked:
  optimizer LBFGS <json kwargs>
  init <p...>
  per step:  step <k>
             per closure call:  at <params it was called at> / loss <f> / grad <g...>
             param <params after the step>
Values as %.9e (the loss as %.17g: torch's float32 loss as a Python float).
"""
import json, sys
import torch

kwargs, n, steps, seed = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
assert n % 2 == 0
g = torch.Generator().manual_seed(seed)
p = torch.nn.Parameter(torch.randn(n, generator=g, dtype=torch.float32))
a = (torch.rand(n // 2, generator=g) * 20 + 1).to(torch.float32)
opt = torch.optim.LBFGS([p], **kwargs)
fmt = lambda t: " ".join("%.9e" % x for x in t.detach().tolist())


def closure():
    opt.zero_grad()
    x0, x1 = p[0::2], p[1::2]
    loss = (a * (x1 - x0 * x0) ** 2 + (1 - x0) ** 2).sum()
    loss.backward()
    print("at", fmt(p))
    print("loss %.17g" % float(loss))
    print("grad", fmt(p.grad))
    return loss


print("optimizer LBFGS", json.dumps(kwargs))
print("init", fmt(p))
for s in range(steps):
    print("step", s + 1)
    opt.step(closure)
    print("param", fmt(p))
