"""Record PyTorch's autograd semantics for ``bplab lab semantics`` (the lesson's "common mistakes").

Each scenario runs the same small computation as the Rust tests in
``crates/bplab-burn/tests/it/semantics.rs`` and ``crates/bplab-candle/tests/it/semantics.rs``
(x = [1, -2, 3, 0.5], w = [0.25, 1.5, -0.75, 2], L = sum(tanh(x * w)^2), float64) and writes
what PyTorch did -- the gradients, or the first line of the error it raised -- to
``tests/fixtures/semantics/pytorch.json``. The Rust side reads that file, so no test needs
Python.

Run it from the repository root with a Python that has the packages pinned in
``tools/reference/requirements.txt``::

    python tools/reference/semantics.py

The output is deterministic (no random numbers; every float written with ``repr`` precision).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)

X = [1.0, -2.0, 3.0, 0.5]
W = [0.25, 1.5, -0.75, 2.0]
X2 = [0.5, 0.5, -1.0, 2.0]
OUT = Path("tests/fixtures/semantics/pytorch.json")


def leaf(v):
    return torch.tensor(v, requires_grad=True)


def loss(x, w):
    return torch.tanh(x * w).pow(2).sum()


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def error_of(f):
    """The first line of the RuntimeError ``f`` raises, or None."""
    try:
        f()
    except RuntimeError as e:
        return str(e).splitlines()[0]
    return None


def backward_twice():
    x, w = leaf(X), leaf(W)
    l = loss(x, w)
    l.backward()
    once = values(w.grad)
    err = error_of(l.backward)
    x, w = leaf(X), leaf(W)
    l = loss(x, w)
    l.backward(retain_graph=True)
    l.backward()
    return {"grad_once": once, "second_error": err, "grad_twice_retained": values(w.grad)}


def two_losses():
    w, x1, x2 = leaf(W), leaf(X), leaf(X2)
    loss(x1, w).backward()
    g1 = values(w.grad)
    loss(x2, w).backward()
    acc = values(w.grad)
    w2 = leaf(W)
    loss(leaf(X2), w2).backward()
    return {"grad_first": g1, "grad_second_alone": values(w2.grad), "grad_after_both": acc}


def micro_batch():
    xs = [math.sin(i * 0.37) * 2.0 for i in range(12)]
    x = torch.tensor(xs).reshape(4, 3)
    w = torch.tensor([[0.3], [-0.8], [1.1]], requires_grad=True)
    (torch.tanh(x @ w).pow(2).sum() * 0.25).backward()
    full = values(w.grad)
    w.grad = None
    for rows in (slice(0, 2), slice(2, 4)):
        (torch.tanh(x[rows] @ w).pow(2).sum() * 0.25).backward()
    acc = values(w.grad)
    worst = max(abs(a - b) / (abs(b) * 2.0**-52) for a, b in zip(acc, full))
    return {"full": full, "accumulated": acc, "worst_ulps": worst}


def zero_grad():
    w = leaf(W)
    opt = torch.optim.SGD([w], lr=0.1)
    loss(leaf(X), w).backward()
    before = values(w.grad)
    opt.zero_grad()
    return {"grad_before": before, "grad_is_none_after_zero_grad": w.grad is None}


def in_place():
    x, w = leaf(X), leaf(W)
    l = (x * w).sum()
    with torch.no_grad():
        w.copy_(torch.tensor([9.0, 8.0, 7.0, 6.0]))
    return {"error": error_of(l.backward)}


def detach():
    x = leaf(X)
    (x * x.detach()).sum().backward()
    return {"grad": values(x.grad)}


def retain_graph():
    x, w = leaf(X), leaf(W)
    h = torch.tanh(x * w)
    l1, l2 = h.sum(), h.pow(2).sum()
    l1.backward()
    err = error_of(l2.backward)
    x, w = leaf(X), leaf(W)
    h = torch.tanh(x * w)
    torch.autograd.grad(h.sum(), w, retain_graph=True)
    (g2,) = torch.autograd.grad(h.pow(2).sum(), w)
    return {"second_error": err, "grad_second_retained": values(g2)}


def double_backward():
    x = leaf(X)
    (g,) = torch.autograd.grad((x * x * x).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    return {"grad": values(g), "grad_of_grad_sum": values(gg)}


def non_leaf():
    x = leaf(X)
    z = x * 3.0
    (z * z).sum().backward()
    plain = z.grad is None
    x = leaf(X)
    z = x * 3.0
    z.retain_grad()
    (z * z).sum().backward()
    return {"grad_is_none_without_retain_grad": plain, "retained_grad": values(z.grad)}


def main():
    doc = {
        "generator": "tools/reference/semantics.py",
        "torch_version": torch.__version__.split("+")[0],
        "backward_twice": backward_twice(),
        "two_losses": two_losses(),
        "micro_batch": micro_batch(),
        "zero_grad": zero_grad(),
        "in_place": in_place(),
        "detach": detach(),
        "retain_graph": retain_graph(),
        "double_backward": double_backward(),
        "non_leaf": non_leaf(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
