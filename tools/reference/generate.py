"""Generate PyTorch reference cases for the MLP implementations in this repository.

For every case in the fixed list ``CASES`` below this script builds a small multi-layer
perceptron in float64 with plain PyTorch (``torch.nn.functional.linear`` and the named
activations), runs one forward pass on one batch, computes the loss, calls
``loss.backward()`` and writes what it observed to ``tests/fixtures/<case-name>/``:

* ``params.safetensors`` -- the parameters in PyTorch naming, float64:
  ``fc1.weight`` ``[out, in]``, ``fc1.bias`` ``[out]``, ``fc2.weight``, ``fc2.bias``, ...
* ``batch.json`` -- ``{"x": [[...], ...], "y": [[...], ...]}``, one row per example.
* ``case.json`` -- the network description, the loss value, the gradient of the loss with
  respect to every parameter and to the input, and the pre-activations ``z`` and
  activations ``h`` of every layer (see ``tools/reference/README.md`` for the format).

It also writes ``tests/fixtures/index.json``: the list of case names, each with a one-line
description.

Run it from the repository root with a Python that has the packages pinned in
``tools/reference/requirements.txt``::

    python tools/reference/generate.py

The output is deterministic: every random case seeds ``torch.manual_seed`` with its own
fixed seed, and every number is written with ``repr`` precision (shortest round-trip form),
so running the script twice with the same PyTorch build gives byte-identical files.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

DTYPE = torch.float64
REPO_ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = REPO_ROOT / "tests" / "fixtures"

ACTIVATIONS = ("identity", "relu", "leaky-relu", "sigmoid", "tanh", "gelu", "silu", "softmax")
NORMS = ("none", "layer", "batch")
NORM_EPS = 1e-5
BN_MOMENTUM = 0.1
LOSSES = ("cross-entropy", "mse")
LEAKY_SLOPE = 0.01
# Random cases keep every ReLU / leaky-ReLU pre-activation at least this far from the kink
# (resampling parameters and inputs until they do), so that finite differences with small
# steps never cross it.
KINK_MARGIN = 1e-3
MAX_CASE_JSON_BYTES = 50_000

# --------------------------------------------------------------------------------------
# The case list.
#
# Fields: name, description, layers (widths, input first), activations (one per Linear
# layer), loss, residual, batch (B), targets ("onehot" | "soft" | "real" | "unit" for
# values in (0, 1)), scale (multiplier on the Xavier standard deviation of the weights),
# seed, and optionally "init": "zero" (every parameter 0), "zero-first" (first layer 0,
# the rest random) or "explicit" (params/x/y given in the case).
# --------------------------------------------------------------------------------------

SEED_EXAMPLE = {
    "fc1.weight": [
        [0.24835707650561634, -0.06913215058559233],
        [0.32384426905034625, 0.7615149282040127],
        [-0.11707668736166799, -0.11706847847459027],
    ],
    "fc1.bias": [0.0, 0.0, 0.0],
    "fc2.weight": [[0.7896064077536957, 0.3837173645764544, -0.23473719296747605]],
    "fc2.bias": [0.0],
}


def case(name, description, layers, activations, loss, residual=False, batch=4,
         targets=None, scale=1.0, seed=0, init="random", params=None, x=None, y=None,
         norm="none", running_steps=0):
    if targets is None:
        targets = "onehot" if loss == "cross-entropy" else "real"
    return dict(name=name, description=description, layers=layers,
                activations=activations.split(","), loss=loss, residual=residual,
                batch=batch, targets=targets, scale=scale, seed=seed, init=init,
                params=params, x=x, y=y, norm=norm, running_steps=running_steps)


CASES = [
    case("assignment",
         "The lesson's assignment network: 4-5-3-2 relu,tanh,softmax with cross-entropy, "
         "one-hot targets.",
         [4, 5, 3, 2], "relu,tanh,softmax", "cross-entropy", batch=4, seed=101),
    case("seed-example",
         "The lesson's worked example: 2-3-1 sigmoid,sigmoid mse, x=[[1,2]], y=[[0.5]], "
         "zero biases; y_hat ~ 0.6572, loss ~ 0.0124.",
         [2, 3, 1], "sigmoid,sigmoid", "mse", batch=1, init="explicit",
         params=SEED_EXAMPLE, x=[[1.0, 2.0]], y=[[0.5]]),
    case("relu-at-zero",
         "3-4-2 relu,identity mse with every weight and bias exactly 0, so every ReLU "
         "pre-activation is exactly 0 (PyTorch: relu'(0) = 0).",
         [3, 4, 2], "relu,identity", "mse", batch=3, seed=103, init="zero"),
    case("leaky-relu-at-zero",
         "3-4-2 leaky-relu,identity mse with every weight and bias exactly 0, so every "
         "leaky-ReLU pre-activation is exactly 0 (PyTorch: leaky_relu'(0) = 0.01).",
         [3, 4, 2], "leaky-relu,identity", "mse", batch=3, seed=104, init="zero"),
    case("relu-at-zero-live-output",
         "3-4-2 relu,identity mse with fc1 exactly 0 (every ReLU pre-activation is 0) and a "
         "random fc2, so the convention relu'(0) = 0 shows in the fc1 gradients (all 0).",
         [3, 4, 2], "relu,identity", "mse", batch=3, seed=105, init="zero-first"),
    case("leaky-relu-at-zero-live-output",
         "3-4-2 leaky-relu,identity mse with fc1 exactly 0 and a random fc2, so the "
         "convention leaky_relu'(0) = 0.01 shows in the fc1 gradients.",
         [3, 4, 2], "leaky-relu,identity", "mse", batch=3, seed=106, init="zero-first"),
    case("linear-regression",
         "One Linear layer 3-2 with identity output and mse.",
         [3, 2], "identity", "mse", batch=5, seed=107),
    case("logistic-single-output",
         "One Linear layer 4-1 with sigmoid output and mse, targets in (0, 1).",
         [4, 1], "sigmoid", "mse", batch=6, targets="unit", seed=108),
    case("softmax-regression",
         "One Linear layer 5-4 with softmax output and cross-entropy, soft targets.",
         [5, 4], "softmax", "cross-entropy", batch=3, targets="soft", seed=109),
    case("relu-output-mse",
         "5-6-3 relu,relu mse: ReLU as hidden and as output activation.",
         [5, 6, 3], "relu,relu", "mse", batch=2, seed=110),
    case("leaky-relu-output-mse",
         "4-7-2 leaky-relu,leaky-relu mse: leaky-ReLU as hidden and as output activation.",
         [4, 7, 2], "leaky-relu,leaky-relu", "mse", batch=5, seed=111),
    case("sigmoid-mlp",
         "3-6-2 sigmoid,sigmoid mse with targets in (0, 1).",
         [3, 6, 2], "sigmoid,sigmoid", "mse", batch=4, targets="unit", seed=112),
    case("tanh-mlp",
         "2-8-8-3 tanh,tanh,tanh mse (plain, although 8-8 is square).",
         [2, 8, 8, 3], "tanh,tanh,tanh", "mse", batch=3, seed=113),
    case("gelu-mlp",
         "4-6-5-2 gelu,gelu,gelu mse (exact erf GELU).",
         [4, 6, 5, 2], "gelu,gelu,gelu", "mse", batch=7, seed=114),
    case("identity-hidden-gelu-output",
         "3-4-2 identity,gelu mse: identity hidden layer, GELU output.",
         [3, 4, 2], "identity,gelu", "mse", batch=2, seed=115),
    case("softmax-mse",
         "4-6-3 tanh,softmax with mse on the softmax output (targets are distributions).",
         [4, 6, 3], "tanh,softmax", "mse", batch=3, targets="soft", seed=116),
    case("gelu-softmax-soft-targets",
         "6-8-4 gelu,softmax cross-entropy with soft target distributions.",
         [6, 8, 4], "gelu,softmax", "cross-entropy", batch=5, targets="soft", seed=117),
    case("sigmoid-softmax-batch-8",
         "5-7-3 sigmoid,softmax cross-entropy, one-hot targets, batch of 8.",
         [5, 7, 3], "sigmoid,softmax", "cross-entropy", batch=8, seed=118),
    case("leaky-identity-softmax",
         "4-6-5-3 leaky-relu,identity,softmax cross-entropy, one-hot targets.",
         [4, 6, 5, 3], "leaky-relu,identity,softmax", "cross-entropy", batch=6, seed=119),
    case("width-1-bottleneck",
         "3-1-2 tanh,identity mse: a hidden layer of width 1.",
         [3, 1, 2], "tanh,identity", "mse", batch=4, seed=120),
    case("scalar-in-scalar-out",
         "1-4-1 gelu,identity mse: input and output of width 1, batch of 8.",
         [1, 4, 1], "gelu,identity", "mse", batch=8, seed=121),
    case("wide-12",
         "12-12-10-12 relu,gelu,softmax cross-entropy, soft targets (plain network with a "
         "square first layer).",
         [12, 12, 10, 12], "relu,gelu,softmax", "cross-entropy", batch=4, targets="soft",
         seed=122),
    case("deep-6",
         "Six Linear layers 6-9-7-5-4-3-2 sigmoid,gelu,leaky-relu,identity,tanh,softmax "
         "cross-entropy.",
         [6, 9, 7, 5, 4, 3, 2], "sigmoid,gelu,leaky-relu,identity,tanh,softmax",
         "cross-entropy", batch=3, seed=123),
    case("deep-5-mse",
         "Five Linear layers 3-7-7-6-4-2 tanh,relu,sigmoid,gelu,identity mse (plain).",
         [3, 7, 7, 6, 4, 2], "tanh,relu,sigmoid,gelu,identity", "mse", batch=2, seed=124),
    case("residual-relu",
         "Residual 4-6-6-6-2 relu,relu,relu,softmax cross-entropy: layers 2 and 3 (6->6) "
         "add their input, layer 1 (4->6) and the output layer do not.",
         [4, 6, 6, 6, 2], "relu,relu,relu,softmax", "cross-entropy", residual=True,
         batch=4, seed=125),
    case("residual-first-layer",
         "Residual 3-3-3-1 tanh,gelu,identity mse: the first layer (3->3) is residual too.",
         [3, 3, 3, 1], "tanh,gelu,identity", "mse", residual=True, batch=5, seed=126),
    case("residual-square-output",
         "Residual 4-4-4 tanh,identity mse: layer 1 is residual, the square output layer "
         "is not.",
         [4, 4, 4], "tanh,identity", "mse", residual=True, batch=3, seed=127),
    case("plain-square-output",
         "The same parameters and batch as residual-square-output, without residual "
         "connections.",
         [4, 4, 4], "tanh,identity", "mse", residual=False, batch=3, seed=127),
    case("residual-deep-6",
         "Residual 5-5-5-5-5-5-3 gelu,leaky-relu,sigmoid,tanh,identity,softmax "
         "cross-entropy: five residual hidden layers.",
         [5, 5, 5, 5, 5, 5, 3], "gelu,leaky-relu,sigmoid,tanh,identity,softmax",
         "cross-entropy", residual=True, batch=7, seed=128),
    case("residual-mixed-widths",
         "Residual 6-8-8-4-4-2 leaky-relu,sigmoid,relu,gelu,sigmoid mse: only the 8->8 and "
         "4->4 layers are residual; targets in (0, 1).",
         [6, 8, 8, 4, 4, 2], "leaky-relu,sigmoid,relu,gelu,sigmoid", "mse", residual=True,
         batch=6, targets="unit", seed=129),
    case("large-weights-tanh",
         "4-6-3 tanh,tanh mse with weights 3x the Xavier scale (saturating tanh).",
         [4, 6, 3], "tanh,tanh", "mse", batch=5, scale=3.0, seed=130),
    case("large-weights-sigmoid-softmax",
         "5-8-4 sigmoid,softmax cross-entropy with weights 4x the Xavier scale.",
         [5, 8, 4], "sigmoid,softmax", "cross-entropy", batch=4, scale=4.0, seed=131),
    case("large-weights-relu",
         "3-11-10-2 relu,leaky-relu,identity mse with weights 2.5x the Xavier scale.",
         [3, 11, 10, 2], "relu,leaky-relu,identity", "mse", batch=6, scale=2.5, seed=132),
    case("residual-large-weights",
         "Residual 2-2-2-2 relu,tanh,sigmoid mse with weights 3x the Xavier scale; "
         "every hidden layer is residual, including the first.",
         [2, 2, 2, 2], "relu,tanh,sigmoid", "mse", residual=True, batch=1, scale=3.0,
         targets="unit", seed=133),
    # Normalization (torch.nn.functional.layer_norm / batch_norm(training=True), eps 1e-5,
    # gamma and beta drawn around 1 and 0 so that their gradients are not special) and SiLU.
    case("silu-mlp",
         "4-6-5-2 silu,silu,identity mse (SiLU = x sigmoid(x)), no norm.",
         [4, 6, 5, 2], "silu,silu,identity", "mse", batch=5, seed=140),
    case("layer-norm-tanh",
         "LayerNorm 5-7-6-3 tanh,tanh,softmax cross-entropy: both hidden layers normalized "
         "per example.", [5, 7, 6, 3], "tanh,tanh,softmax", "cross-entropy", batch=4,
         seed=141, norm="layer"),
    case("layer-norm-silu-mse",
         "LayerNorm 3-8-4-2 silu,sigmoid,identity mse, batch of 2.",
         [3, 8, 4, 2], "silu,sigmoid,identity", "mse", batch=2, seed=142, norm="layer"),
    case("layer-norm-relu-batch-8",
         "LayerNorm 6-9-5-4 relu,tanh,softmax cross-entropy, soft targets, batch of 8.",
         [6, 9, 5, 4], "relu,tanh,softmax", "cross-entropy", batch=8, targets="soft",
         seed=143, norm="layer"),
    case("layer-norm-residual",
         "Residual + LayerNorm 4-6-6-6-2 silu,tanh,relu,softmax cross-entropy: layers 2 and 3 "
         "compute h = h_prev + act(LN(z)).", [4, 6, 6, 6, 2], "silu,tanh,relu,softmax",
         "cross-entropy", residual=True, batch=5, seed=144, norm="layer"),
    case("layer-norm-residual-mse",
         "Residual + LayerNorm 3-5-5-5-2 tanh,silu,leaky-relu,identity mse, batch of 3.",
         [3, 5, 5, 5, 2], "tanh,silu,leaky-relu,identity", "mse", residual=True, batch=3,
         seed=145, norm="layer"),
    case("batch-norm-tanh",
         "BatchNorm (training mode, batch statistics) 5-7-6-3 tanh,tanh,softmax "
         "cross-entropy.", [5, 7, 6, 3], "tanh,tanh,softmax", "cross-entropy", batch=4,
         seed=146, norm="batch", running_steps=5),
    case("batch-norm-batch-2",
         "BatchNorm 4-6-3 silu,identity mse with a batch of 2 (the smallest BatchNorm "
         "accepts).", [4, 6, 3], "silu,identity", "mse", batch=2, seed=147, norm="batch",
         running_steps=3),
    case("batch-norm-sigmoid-mse",
         "BatchNorm 3-8-5-2 sigmoid,relu,sigmoid mse, targets in (0, 1), batch of 6.",
         [3, 8, 5, 2], "sigmoid,relu,sigmoid", "mse", batch=6, targets="unit", seed=148,
         norm="batch", running_steps=4),
    case("batch-norm-silu-batch-8",
         "BatchNorm 6-10-7-4 silu,sigmoid,softmax cross-entropy, soft targets, batch of 8.",
         [6, 10, 7, 4], "silu,sigmoid,softmax", "cross-entropy", batch=8, targets="soft",
         seed=149, norm="batch", running_steps=5),
    case("batch-norm-residual",
         "Residual + BatchNorm 4-5-5-5-3 tanh,silu,leaky-relu,softmax cross-entropy, batch "
         "of 7.", [4, 5, 5, 5, 3], "tanh,silu,leaky-relu,softmax", "cross-entropy",
         residual=True, batch=7, seed=150, norm="batch", running_steps=3),
    case("batch-norm-residual-mse",
         "Residual + BatchNorm 2-4-4-1 relu,silu,identity mse, batch of 3.",
         [2, 4, 4, 1], "relu,silu,identity", "mse", residual=True, batch=3, seed=151,
         norm="batch"),
    case("layer-norm-silu-output",
         "LayerNorm 4-5-3 tanh,silu mse: SiLU as the (never normalized) output activation.",
         [4, 5, 3], "tanh,silu", "mse", batch=4, seed=152, norm="layer"),
]


# --------------------------------------------------------------------------------------
# The network.
# --------------------------------------------------------------------------------------

def activate(name: str, z: torch.Tensor) -> torch.Tensor:
    if name == "identity":
        return z
    if name == "relu":
        return F.relu(z)
    if name == "leaky-relu":
        return F.leaky_relu(z, negative_slope=LEAKY_SLOPE)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "gelu":
        return F.gelu(z, approximate="none")
    if name == "silu":
        return F.silu(z)
    if name == "softmax":
        return F.softmax(z, dim=1)
    raise ValueError(f"unknown activation {name!r}")


def is_residual_layer(widths, residual: bool, l: int) -> bool:
    """Layer l (0-based) adds its input: residual network, hidden layer, square."""
    n_layers = len(widths) - 1
    return residual and l < n_layers - 1 and widths[l] == widths[l + 1]


def normalize(norm, l, z, params, running=None):
    """LayerNorm or BatchNorm (training mode) of hidden layer l's z; running: a dict of
    running statistics that batch_norm updates in place (momentum 0.1, unbiased)."""
    g, b = params[f"norm{l + 1}.weight"], params[f"norm{l + 1}.bias"]
    if norm == "layer":
        return F.layer_norm(z, (z.shape[1],), g, b, eps=NORM_EPS)
    if norm == "batch":
        rm = rv = None
        if running is not None:
            rm, rv = running[f"norm{l + 1}.running_mean"], running[f"norm{l + 1}.running_var"]
        return F.batch_norm(z, rm, rv, g, b, training=True, momentum=BN_MOMENTUM, eps=NORM_EPS)
    raise ValueError(f"unknown norm {norm!r}")


def forward(widths, activations, residual, params, x, norm="none", running=None):
    """Returns (zs, hs): pre-activations and activations per layer (hs[-1] = y_hat)."""
    zs, hs = [], []
    h = x
    n_layers = len(widths) - 1
    for l in range(n_layers):
        z = F.linear(h, params[f"fc{l + 1}.weight"], params[f"fc{l + 1}.bias"])
        n = normalize(norm, l, z, params, running) if norm != "none" and l < n_layers - 1 else z
        a = activate(activations[l], n)
        h = h + a if is_residual_layer(widths, residual, l) else a
        zs.append(z)
        hs.append(h)
    return zs, hs


def loss_fn(loss, zs, hs, y):
    b = y.shape[0]
    if loss == "cross-entropy":
        return -(y * F.log_softmax(zs[-1], dim=1)).sum() / b
    if loss == "mse":
        return 0.5 * ((hs[-1] - y) ** 2).sum() / b
    raise ValueError(f"unknown loss {loss!r}")


# --------------------------------------------------------------------------------------
# Sampling.
# --------------------------------------------------------------------------------------

def sample_targets(kind, b, n):
    if kind == "onehot":
        classes = torch.randint(0, n, (b,))
        return F.one_hot(classes, n).to(DTYPE)
    if kind == "soft":
        return F.softmax(torch.randn(b, n, dtype=DTYPE) * 1.5, dim=1)
    if kind == "real":
        return torch.randn(b, n, dtype=DTYPE)
    if kind == "unit":
        return 0.05 + 0.9 * torch.rand(b, n, dtype=DTYPE)
    raise ValueError(f"unknown target kind {kind!r}")


def sample_params(widths, scale, init, norm="none"):
    params = {}
    n_layers = len(widths) - 1
    for l in range(n_layers):
        n_in, n_out = widths[l], widths[l + 1]
        std = scale * math.sqrt(2.0 / (n_in + n_out))
        w = torch.randn(n_out, n_in, dtype=DTYPE) * std
        bias = torch.randn(n_out, dtype=DTYPE) * 0.1
        if init == "zero" or (init == "zero-first" and l == 0):
            w = torch.zeros_like(w)
            bias = torch.zeros_like(bias)
        params[f"fc{l + 1}.weight"] = w
        params[f"fc{l + 1}.bias"] = bias
        if norm != "none" and l < n_layers - 1:
            params[f"norm{l + 1}.weight"] = 1.0 + 0.2 * torch.randn(n_out, dtype=DTYPE)
            params[f"norm{l + 1}.bias"] = 0.1 * torch.randn(n_out, dtype=DTYPE)
    return params


def min_kink_distance(c, params, x):
    with torch.no_grad():
        zs, _ = forward(c["layers"], c["activations"], c["residual"], params, x, c["norm"])
        n_layers = len(c["layers"]) - 1
        if c["norm"] != "none":  # the kink is at the normalized value
            zs = [normalize(c["norm"], l, z, params) if l < n_layers - 1 else z
                  for l, z in enumerate(zs)]
    dists = [z.abs().min().item() for z, a in zip(zs, c["activations"])
             if a in ("relu", "leaky-relu")]
    return min(dists) if dists else math.inf


def sample_case(c):
    widths = c["layers"]
    if c["init"] == "explicit":
        params = {k: torch.tensor(v, dtype=DTYPE) for k, v in c["params"].items()}
        return params, torch.tensor(c["x"], dtype=DTYPE), torch.tensor(c["y"], dtype=DTYPE)
    torch.manual_seed(c["seed"])
    for _ in range(1000):
        params = sample_params(widths, c["scale"], c["init"], c["norm"])
        x = torch.randn(c["batch"], widths[0], dtype=DTYPE)
        y = sample_targets(c["targets"], c["batch"], widths[-1])
        if c["init"] in ("zero", "zero-first"):
            return params, x, y  # pre-activations at the kink on purpose
        if min_kink_distance(c, params, x) >= KINK_MARGIN:
            return params, x, y
    raise RuntimeError(f"{c['name']}: could not keep ReLU pre-activations off the kink")


# --------------------------------------------------------------------------------------
# Output.
# --------------------------------------------------------------------------------------

def tensor_json(t: torch.Tensor):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    for v in data:
        assert isinstance(v, float) and math.isfinite(v), f"non-finite value {v!r}"
    return {"shape": list(t.shape), "data": data}


def is_scalar(v):
    return v is None or isinstance(v, (bool, int, float, str))


def dumps(obj, indent=0) -> str:
    """JSON with one key per line; lists of scalars and tensors stay on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    if is_scalar(obj):
        return json.dumps(obj, allow_nan=False, ensure_ascii=False)
    if isinstance(obj, list):
        if all(is_scalar(v) for v in obj):
            return json.dumps(obj, allow_nan=False, ensure_ascii=False)
        return "[\n" + ",\n".join(inner + dumps(v, indent + 2) for v in obj) + "\n" + pad + "]"
    if isinstance(obj, dict):
        if set(obj) == {"shape", "data"}:
            return json.dumps(obj, allow_nan=False, ensure_ascii=False)
        items = [inner + json.dumps(k) + ": " + dumps(v, indent + 2) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    raise TypeError(f"cannot write {type(obj)}")


def write_text(path: Path, text: str):
    path.write_text(text + "\n", encoding="utf-8", newline="\n")


def run_case(c):
    widths, acts, loss = c["layers"], c["activations"], c["loss"]
    assert c["loss"] in LOSSES and all(a in ACTIVATIONS for a in acts)
    assert len(acts) == len(widths) - 1 and all(1 <= w <= 12 for w in widths)
    assert "softmax" not in acts[:-1], "softmax only on the output layer"
    assert loss != "cross-entropy" or acts[-1] == "softmax", "cross-entropy needs softmax"

    params, x, y = sample_case(c)
    assert x.shape == (c["batch"], widths[0]) and y.shape == (c["batch"], widths[-1])
    leaves = {k: v.clone().contiguous().requires_grad_(True) for k, v in params.items()}
    xl = x.clone().requires_grad_(True)
    zs, hs = forward(widths, acts, c["residual"], leaves, xl, c["norm"])
    loss_t = loss_fn(loss, zs, hs, y)
    loss_t.backward()

    loss_value = loss_t.item()
    assert math.isfinite(loss_value)
    n_layers = len(widths) - 1
    names = [f"{kind}{l + 1}.{p}" for l in range(n_layers)
             for kind in (("fc", "norm") if c["norm"] != "none" and l < n_layers - 1
                          else ("fc",))
             for p in ("weight", "bias")]
    assert set(names) == set(params), (names, list(params))
    doc = {
        "name": c["name"],
        "description": c["description"],
        "layers": widths,
        "activations": acts,
        "loss": loss,
        "residual": c["residual"],
        **({"norm": c["norm"]} if c["norm"] != "none" else {}),
        "loss_value": loss_value,
        "grads": {n: tensor_json(leaves[n].grad) for n in names},
        "input_grad": tensor_json(xl.grad),
        "z": [tensor_json(z) for z in zs],
        "h": [tensor_json(h) for h in hs],
        "torch_version": torch.__version__,
    }

    d = OUT_DIR / c["name"]
    d.mkdir(parents=True, exist_ok=True)
    save_file({n: params[n].detach().clone().contiguous() for n in names},
              str(d / "params.safetensors"))
    batch = {"x": x.tolist(), "y": y.tolist()}
    write_text(d / "batch.json", "{\n" + ",\n".join(
        f'  "{k}": [\n' + ",\n".join("    " + json.dumps(r, allow_nan=False) for r in rows)
        + "\n  ]" for k, rows in batch.items()) + "\n}")
    text = dumps(doc)
    assert len(text.encode()) < MAX_CASE_JSON_BYTES, f"{c['name']}: case.json too large"
    write_text(d / "case.json", text)
    if c["running_steps"]:
        write_text(d / "running.json", dumps(running_stats(c, params, x, y)))
    return doc, leaves, xl, hs


RUNNING_LR = 0.1


def running_stats(c, params, x, y):
    """BatchNorm's running statistics after ``running_steps`` plain SGD steps (lr 0.1) on the
    case's batch, each step one training-mode forward (which updates them: momentum 0.1,
    unbiased variance), and the parameters after those steps."""
    widths, n_layers = c["layers"], len(c["layers"]) - 1
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    running = {}
    for l in range(n_layers - 1):
        running[f"norm{l + 1}.running_mean"] = torch.zeros(widths[l + 1], dtype=DTYPE)
        running[f"norm{l + 1}.running_var"] = torch.ones(widths[l + 1], dtype=DTYPE)
    losses = []
    for _ in range(c["running_steps"]):
        zs, hs = forward(widths, c["activations"], c["residual"], p, x, c["norm"], running)
        loss = loss_fn(c["loss"], zs, hs, y)
        losses.append(loss.item())
        for v in p.values():
            v.grad = None
        loss.backward()
        with torch.no_grad():
            for v in p.values():
                v -= RUNNING_LR * v.grad
    return {
        "steps": c["running_steps"],
        "lr": RUNNING_LR,
        "losses": losses,
        "running": {k: tensor_json(v) for k, v in running.items()},
        "params": {k: tensor_json(v) for k, v in p.items()},
    }


# --------------------------------------------------------------------------------------
# Checks.
# --------------------------------------------------------------------------------------

def kink_derivative(fn) -> float:
    z = torch.zeros(1, dtype=DTYPE, requires_grad=True)
    fn(z).sum().backward()
    return z.grad.item()


def check_conventions():
    relu0 = kink_derivative(F.relu)
    leaky0 = kink_derivative(lambda z: F.leaky_relu(z, negative_slope=LEAKY_SLOPE))
    assert relu0 == 0.0, f"PyTorch relu'(0) = {relu0}, expected 0"
    assert leaky0 == LEAKY_SLOPE, f"PyTorch leaky_relu'(0) = {leaky0}, expected 0.01"


def check_seed_example(doc, leaves, hs):
    y_hat = hs[-1].item()
    loss = doc["loss_value"]
    gw2 = leaves["fc2.weight"].grad.sum().item()
    gw1 = leaves["fc1.weight"].grad.sum().item()
    for what, got, want in [("y_hat", y_hat, 0.6572), ("loss", loss, 0.0124),
                            ("sum dL/dW2", gw2, 0.0639), ("sum dL/dW1", gw1, 0.0197)]:
        assert abs(got - want) <= 5e-5, f"seed-example {what} = {got}, expected ~{want}"
    return y_hat, loss, gw2, gw1


def check_zero_cases(docs):
    def grad(name, key):
        return docs[name]["grads"][key]["data"]
    # Every parameter zero: z = 0 everywhere, y_hat = b2 = 0.
    for name in ("relu-at-zero", "leaky-relu-at-zero"):
        for z in docs[name]["z"]:
            assert all(v == 0.0 for v in z["data"]), name
    # fc1 zero, fc2 random: dL/dW1 = (dL/dh1 * act'(0))^T x.
    assert all(v == 0.0 for v in grad("relu-at-zero-live-output", "fc1.weight"))
    assert all(v == 0.0 for v in grad("relu-at-zero-live-output", "fc1.bias"))
    assert any(v != 0.0 for v in grad("leaky-relu-at-zero-live-output", "fc1.weight"))


def check_coverage():
    acts_hidden = {a for c in CASES for a in c["activations"][:-1]}
    acts_out = {c["activations"][-1] for c in CASES}
    assert acts_hidden == set(ACTIVATIONS) - {"softmax"}, acts_hidden
    assert acts_out == set(ACTIVATIONS), acts_out
    assert {c["loss"] for c in CASES} == set(LOSSES)
    assert {c["residual"] for c in CASES} == {True, False}
    assert {c["batch"] for c in CASES} == set(range(1, 9))
    normed = [c for c in CASES if c["norm"] != "none"]
    assert {c["norm"] for c in normed} == {"layer", "batch"} and len(normed) >= 12
    assert all(c["batch"] >= 2 for c in CASES if c["norm"] == "batch")
    assert {c["loss"] for c in normed} == set(LOSSES)
    assert {c["residual"] for c in normed} == {True, False}
    assert "silu" in acts_hidden and {2, 8} <= {c["batch"] for c in normed}
    assert {len(c["layers"]) - 1 for c in CASES} == set(range(1, 7))
    assert {w for c in CASES for w in c["layers"]} == set(range(1, 13))
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)) >= 24
    assert {"assignment", "seed-example", "relu-at-zero", "leaky-relu-at-zero"} <= set(names)


def main() -> int:
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_default_dtype(DTYPE)
    check_coverage()
    check_conventions()

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    names = {c["name"] for c in CASES}
    for stale in sorted(OUT_DIR.iterdir()):
        if stale.is_dir() and stale.name not in names and (stale / "case.json").exists():
            shutil.rmtree(stale)

    docs = {}
    for c in CASES:
        doc, leaves, _, hs = run_case(c)
        docs[c["name"]] = doc
        if c["name"] == "seed-example":
            seed_numbers = check_seed_example(doc, leaves, hs)
    check_zero_cases(docs)

    index = [{"name": c["name"], "description": c["description"]} for c in CASES]
    write_text(OUT_DIR / "index.json", dumps(index))

    print(f"wrote {len(CASES)} cases to {os.path.relpath(OUT_DIR, Path.cwd())} "
          f"(torch {torch.__version__})")
    print("seed-example: y_hat=%.6f loss=%.6f sum dL/dW2=%.6f sum dL/dW1=%.6f" % seed_numbers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
