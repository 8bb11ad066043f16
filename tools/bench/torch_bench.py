#!/usr/bin/env python3
"""PyTorch on bplab bench's matrix: the same six configurations and three operations, written
in `bplab bench --format json`'s row shape with engine "pytorch", plus PyTorch's and NumPy's
f32 GEMM rates, for `bplab bench --baseline FILE`.

    /path/to/venv/bin/python tools/bench/torch_bench.py --threads 2 --out docs/bench/pytorch-epyc.json
    cargo run --release -- bench --threads 2 --baseline docs/bench/pytorch-epyc.json --format markdown

The networks are the ones of crates/bplab-harness/src/workload.rs: the same widths, LayerNorm and
activations, a residual connection on every hidden layer whose input and output widths are
equal (h = h_prev + act(z)), softmax with cross-entropy against the (one-hot) target
distribution, averaged over the batch, SGD with lr 1e-4 and no clipping, f32, eager mode,
torch.set_num_threads(--threads). `forward` is the loss under torch.no_grad(); `grads` is
torch.autograd.grad of the loss for every parameter; `train_step` is zero_grad, backward and
optimizer.step(). Timing: per cell, a warm-up, then --rounds rounds of three samples; the median
of the per-round medians and the quartiles of the rounds, as bplab bench reports its own.
Requirements: requirements.txt (pinned like tools/reference/).
"""

import argparse
import json
import os
import statistics
import sys
import time

# name: (widths, activations, residual, batch, LayerNorm on every hidden layer)
CONFIGS = {
    "seed-b1": ([4, 5, 3, 2], ["relu", "tanh", "softmax"], False, 1, False),
    "seed-b64": ([4, 5, 3, 2], ["relu", "tanh", "softmax"], False, 64, False),
    "mnist-b64": ([784, 128, 64, 10], ["relu", "relu", "softmax"], False, 64, False),
    "mnist-ln-b64": ([784, 128, 64, 10], ["relu", "relu", "softmax"], False, 64, True),
    "wide-b256": ([1024, 1024, 1024, 10], ["relu", "relu", "softmax"], False, 256, False),
    "deep20-b32": ([64] * 22 + [10], ["tanh"] * 21 + ["softmax"], True, 32, False),
}
OPS = ["forward", "grads", "train_step"]
LR = 1e-4
GEMM_SHAPES = [(1024, 1024, 1024), (256, 1024, 1024)]
GEMM_SQUARES = [64, 128, 256, 384, 512, 768, 1024, 1536, 2048]


def args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--out", default="-", help="JSON file (default: stdout)")
    p.add_argument("--time", type=float, default=1.5, help="seconds per cell (default 1.5)")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--quick", action="store_true", help="0.25 s and 7 rounds per cell")
    a = p.parse_args()
    if a.quick:
        a.time, a.rounds = 0.25, 7
    return a


A = args()
# Before numpy/torch load their BLAS: one thread count for every library.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(A.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(A.threads)


def flops(widths, batch, op):
    layers = [2.0 * batch * i * o for i, o in zip(widths[:-1], widths[1:])]
    fwd = sum(layers)
    bwd = fwd + sum(layers[1:])
    params = sum(i * o + o for i, o in zip(widths[:-1], widths[1:]))
    return {"forward": fwd, "grads": fwd + bwd, "train_step": fwd + bwd + 2.0 * params}[op]


class Net(torch.nn.Module):
    def __init__(self, widths, acts, residual, norm):
        super().__init__()
        g = torch.Generator().manual_seed(1)
        self.layers = torch.nn.ModuleList()
        for i, o in zip(widths[:-1], widths[1:]):
            lin = torch.nn.Linear(i, o)
            with torch.no_grad():
                lin.weight.copy_(torch.randn(o, i, generator=g) * (2.0 / i) ** 0.5)
                lin.bias.zero_()
            self.layers.append(lin)
        # LayerNorm (gamma 1, beta 0, eps 1e-5) after every hidden Linear, none on the output.
        self.norms = torch.nn.ModuleList(
            torch.nn.LayerNorm(o, eps=1e-5) if norm else torch.nn.Identity() for o in widths[1:-1]
        )
        self.acts = acts
        self.residual = residual

    def forward(self, x, y):
        h = x
        last = len(self.layers) - 1
        for l, (lin, act) in enumerate(zip(self.layers, self.acts)):
            z = lin(h)
            if l == last:
                # softmax + cross-entropy against the target distribution, batch mean
                return -(y * torch.log_softmax(z, dim=1)).sum(dim=1).mean()
            z = self.norms[l](z)
            a = torch.relu(z) if act == "relu" else torch.tanh(z)
            h = h + a if self.residual and lin.in_features == lin.out_features else a
        raise AssertionError("softmax is the last layer")


def timed(fn, budget, rounds):
    """Median of per-round medians (3 samples a round) and the quartiles of the rounds."""
    start, calls = time.perf_counter(), 0
    while calls < 2 or (time.perf_counter() - start < budget / 10 and calls < 1000):
        fn()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    iters = max(1, int(budget / (rounds * 3) / max(per_call, 1e-9)))
    medians = []
    for _ in range(rounds):
        samples = []
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(iters):
                fn()
            samples.append((time.perf_counter() - t) * 1e9 / iters)
        medians.append(statistics.median(samples))
    medians.sort()
    q = statistics.quantiles(medians, n=4, method="inclusive")
    return statistics.median(medians), q[0], q[2], iters


def cell(name, op):
    widths, acts, residual, batch, norm = CONFIGS[name]
    net = Net(widths, acts, residual, norm)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(batch, widths[0], generator=g)
    y = torch.zeros(batch, widths[-1])
    y[torch.arange(batch), torch.randint(widths[-1], (batch,), generator=g)] = 1.0
    params = list(net.parameters())
    opt = torch.optim.SGD(params, lr=LR)

    def forward():
        with torch.no_grad():
            return net(x, y)

    def grads():
        return torch.autograd.grad(net(x, y), params)

    def train_step():
        opt.zero_grad(set_to_none=True)
        net(x, y).backward()
        opt.step()

    fn = {"forward": forward, "grads": grads, "train_step": train_step}[op]
    median, q1, q3, iters = timed(fn, A.time, A.rounds)
    return {
        "engine": "pytorch",
        "config": name,
        "op": op,
        "median_ns": median,
        "q1_ns": q1,
        "q3_ns": q3,
        "gflops": flops(widths, batch, op) / median,
        "iters_per_sample": iters,
        "rounds": A.rounds,
    }


def gemm(library, m, k, n):
    if library == "pytorch":
        a, b = torch.randn(m, k), torch.randn(k, n)
        c = torch.empty(m, n)
        fn = lambda: torch.mm(a, b, out=c)  # noqa: E731
    else:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        fn = lambda: np.matmul(a, b, out=c)  # noqa: E731
    median, _, _, _ = timed(fn, min(A.time, 1.0), max(5, A.rounds // 2))
    return {"library": library, "m": m, "k": k, "n": n, "gflops": 2.0 * m * k * n / median}


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model} ({os.cpu_count()} cores)"


def main():
    results = []
    for name in CONFIGS:
        for op in OPS:
            results.append(cell(name, op))
            print(f"{name} {op}: {results[-1]['median_ns'] / 1e3:.1f} µs", file=sys.stderr)
    shapes = GEMM_SHAPES + [(s, s, s) for s in GEMM_SQUARES if (s, s, s) not in GEMM_SHAPES]
    rates = [gemm(lib, *shape) for shape in shapes for lib in ("pytorch", "numpy")]
    for r in rates[:4]:
        print(f"{r['library']} GEMM {r['m']}x{r['k']}x{r['n']}: {r['gflops']:.1f} GFLOP/s",
              file=sys.stderr)
    doc = {
        "machine": machine(),
        "dtype": "f32",
        "threads": A.threads,
        "versions": f"torch {torch.__version__}, numpy {np.__version__}",
        "source": "tools/bench/torch_bench.py",
        "samples": A.rounds,
        "results": results,
        "gemm": rates,
    }
    text = json.dumps(doc, indent=1) + "\n"
    if A.out == "-":
        sys.stdout.write(text)
    else:
        os.makedirs(os.path.dirname(A.out) or ".", exist_ok=True)
        with open(A.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
