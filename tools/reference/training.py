"""Generate PyTorch training references: parameters after clipped SGD steps.

For every case in ``CASES`` below this script builds the network exactly as
``generate.py`` does (float64, ``F.linear`` and the named activations, the same loss), writes
the case's starting point with ``generate.run_case`` into ``tests/fixtures/training/<name>/``
(``case.json``, ``params.safetensors``, ``batch.json``: the same format as every fixture) and
then trains it: ``STEPS`` steps of ``torch.optim.SGD`` (lr ``LR``) on the case's batch, once
per clipping rule, the gradients clipped between ``loss.backward()`` and
``optimizer.step()`` by

* ``none``: nothing;
* ``value:C``: ``torch.nn.utils.clip_grad_value_(params, C)``;
* ``global-norm:C``: ``torch.nn.utils.clip_grad_norm_(params, C)`` (PyTorch's ``1e-6``);
* ``per-tensor-norm:C``: PyTorch has no such function; the rule is written out here from its
  definition (burn's ``GradientClipping::Norm``): each tensor's own L2 norm ``n_t``, that
  tensor multiplied by ``min(1, C / n_t)``, no epsilon.

What it saw goes to ``training.json`` in the same directory::

    {"steps": 12, "lr": 0.1,
     "runs": [{"clip": "value:0.03125",          the rule in bplab's --clip spelling
               "losses": [...],                  loss before each step
               "grad_norms": [...],              global L2 norm of the gradients before
                                                 clipping, each step
               "params": {"fc1.weight": {"shape": [...], "data": [...]}, ...}}, ...],
     "torch_version": "2.15.0+..."}

``params`` are the parameters after the last step. Thresholds are exact in f32 (burn stores
its thresholds as f32) and small enough that every rule changes every step's update, which the
script asserts; it also asserts that the rules end at different parameters.

Run from the repository root (after or independently of ``generate.py``)::

    python tools/reference/training.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as g  # noqa: E402  (the network, the sampling and the writers)

OUT_DIR = g.OUT_DIR / "training"
STEPS = 12
# 0.1 is not exact in binary: an engine that rounded the learning rate would show.
LR = 0.1
RULES = ("none", "value:0.03125", "global-norm:0.25", "per-tensor-norm:0.125")

# Networks whose ops have no documented framework deviation (no GELU, sigmoid or SiLU): every
# engine's trainer is held to these numbers at the exact f64 tolerance.
CASES = [
    g.case("tanh-relu-softmax",
           "4-8-6-3 tanh,relu,softmax cross-entropy, one-hot targets, batch of 6.",
           [4, 8, 6, 3], "tanh,relu,softmax", "cross-entropy", batch=6, seed=301),
    g.case("residual-leaky-tanh-mse",
           "Residual 3-5-5-2 leaky-relu,tanh,identity mse (layer 2 is residual), batch of 4, "
           "weights 1.5x the Xavier scale.",
           [3, 5, 5, 2], "leaky-relu,tanh,identity", "mse", residual=True, batch=4,
           scale=1.5, seed=302),
    g.case("deep-relu-identity-softmax",
           "Residual 5-7-7-7-4 relu,identity,tanh,softmax cross-entropy with soft targets, "
           "batch of 5.",
           [5, 7, 7, 7, 4], "relu,identity,tanh,softmax", "cross-entropy", residual=True,
           batch=5, targets="soft", seed=303),
]


def clip(rule: str, params: list[torch.Tensor]) -> bool:
    """Clips the gradients of ``params`` in place; True if the rule changed any of them."""
    if rule == "none":
        return False
    kind, c = rule.split(":")
    c = float(c)
    before = [p.grad.clone() for p in params]
    if kind == "value":
        torch.nn.utils.clip_grad_value_(params, c)
    elif kind == "global-norm":
        torch.nn.utils.clip_grad_norm_(params, c)
    elif kind == "per-tensor-norm":
        for p in params:
            n = torch.linalg.vector_norm(p.grad)
            p.grad.mul_(torch.clamp(c / n, max=1.0))
    else:
        raise ValueError(f"unknown rule {rule!r}")
    return any(not torch.equal(a, p.grad) for a, p in zip(before, params))


def train(c, params, x, y, rule):
    names = list(params)
    leaves = [params[n].clone().requires_grad_(True) for n in names]
    opt = torch.optim.SGD(leaves, lr=LR)
    losses, norms = [], []
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        zs, hs = g.forward(c["layers"], c["activations"], c["residual"],
                           dict(zip(names, leaves)), x)
        loss = g.loss_fn(c["loss"], zs, hs, y)
        loss.backward()
        losses.append(loss.item())
        norms.append(torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(p.grad) for p in leaves])).item())
        changed = clip(rule, leaves)
        assert rule == "none" or changed, f"{c['name']} {rule}: step {step} not clipped"
        opt.step()
    return {
        "clip": rule,
        "losses": losses,
        "grad_norms": norms,
        "params": {n: g.tensor_json(p) for n, p in zip(names, leaves)},
    }


def main() -> int:
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_default_dtype(g.DTYPE)
    g.OUT_DIR = OUT_DIR  # run_case writes the starting point here
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for c in CASES:
        doc, *_ = g.run_case(c)
        params, x, y = g.sample_case(c)  # the same draw run_case wrote (fixed seed)
        runs = [train(c, params, x, y, rule) for rule in RULES]
        ends = [tuple(v for t in r["params"].values() for v in t["data"]) for r in runs]
        assert len(set(ends)) == len(RULES), f"{c['name']}: two rules end at the same point"
        out = {"steps": STEPS, "lr": LR, "runs": runs, "torch_version": torch.__version__}
        g.write_text(OUT_DIR / c["name"] / "training.json", g.dumps(out))
        print(f"{c['name']}: loss {runs[0]['losses'][0]:.6f} -> "
              + ", ".join(f"{r['clip']} {r['losses'][-1]:.6f}" for r in runs))
    print(f"wrote {len(CASES)} training cases to {os.path.relpath(OUT_DIR, Path.cwd())} "
          f"(torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
