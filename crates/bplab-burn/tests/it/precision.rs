//! Measurement of burn's activation functions and their derivatives against `f64` truth.
//!
//! Each op runs through [`bplab_burn::model::activate`] (the very call the engine makes) on
//! both devices the engine uses: the plain device (`forward`) and the autodiff device
//! (`grads`); the value error is the worse of the two. The derivative is burn-autodiff's
//! gradient of `Σ w ⊙ f(x)` (`w = 1` for the element-wise ops, so the gradient is `f'(x)`;
//! fixed weights per column for the row-wise ones). Truth is a careful `f64` formula (erfc
//! for GELU's tail, `e^{−|x|}` forms for the sigmoid, `1/cosh²` for tanh's derivative,
//! max-shifted softmax) evaluated at the input the backend actually saw (rounded to `f32` in
//! `F32`); it is itself accurate to a few ulp, so an error of 0 means "bit-identical to the
//! reference formula", not "correctly rounded".

#![allow(dead_code)]

use bplab_burn::convert::{burn_tensor, read};
use bplab_burn::model::activate;
use bplab_burn::BurnBackend;
use bplab_core::{Activation, DType, Tolerance};
use burn::tensor::activation::log_softmax;
use burn::tensor::Tensor;

/// PyTorch's default negative slope of leaky-ReLU, written here (the truth is not read from
/// the crate under test).
const LEAKY_SLOPE: f64 = 0.01;

/// The ops measured: the element-wise activations, softmax, and log-softmax (the
/// cross-entropy path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Act(Activation),
    LogSoftmax,
}

impl Op {
    pub const ALL: [Op; 7] = [
        Op::Act(Activation::Relu),
        Op::Act(Activation::LeakyRelu),
        Op::Act(Activation::Sigmoid),
        Op::Act(Activation::Tanh),
        Op::Act(Activation::Gelu),
        Op::Act(Activation::Softmax),
        Op::LogSoftmax,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Op::Act(a) => a.name(),
            Op::LogSoftmax => "log-softmax",
        }
    }
    fn row_wise(self) -> bool {
        matches!(self, Op::Act(Activation::Softmax) | Op::LogSoftmax)
    }
    fn has_kink(self) -> bool {
        matches!(self, Op::Act(a) if a.has_kink())
    }
}

/// Width of a softmax row.
pub const ROW: usize = 4;
/// Column weights of the row-wise ops' scalar `Σ w ⊙ f(x)`.
pub const W: [f64; ROW] = [1.0, -2.0, 0.5, 3.0];

/// The grid `−20, −19.99, …, 20` (4001 points, exact 0 included), laid out `[1, 4001]` for
/// element-wise ops and `[1000, 4]` for row-wise ones with row `r = (g_r, g_{r+1000},
/// g_{r+2000}, g_{r+3000})`, so rows span about 30 and probabilities reach `e^{−30}`.
pub fn grid(op: Op) -> (Vec<usize>, Vec<f64>) {
    let g: Vec<f64> = (0..=4000).map(|i| (i as f64 - 2000.0) / 100.0).collect();
    if op.row_wise() {
        let n = 1000;
        let rows: Vec<f64> = (0..n)
            .flat_map(|r| (0..ROW).map(move |k| (r, k)))
            .map(|(r, k)| g[r + k * n])
            .collect();
        (vec![n, ROW], rows)
    } else {
        (vec![1, g.len()], g)
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `(f(x), ∂/∂x Σ w ⊙ f(x))` in `f64`.
pub fn truth(op: Op, shape: &[usize], x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    use std::f64::consts::{PI, SQRT_2};
    let elementwise = |f: &dyn Fn(f64) -> f64, d: &dyn Fn(f64) -> f64| {
        (
            x.iter().map(|&v| f(v)).collect(),
            x.iter().map(|&v| d(v)).collect(),
        )
    };
    match op {
        Op::Act(Activation::Identity) => elementwise(&|v| v, &|_| 1.0),
        Op::Act(Activation::Relu) => {
            elementwise(&|v| v.max(0.0), &|v| if v > 0.0 { 1.0 } else { 0.0 })
        }
        Op::Act(Activation::LeakyRelu) => {
            elementwise(&|v| if v > 0.0 { v } else { LEAKY_SLOPE * v }, &|v| {
                if v > 0.0 {
                    1.0
                } else {
                    LEAKY_SLOPE
                }
            })
        }
        Op::Act(Activation::Sigmoid) => elementwise(&sigmoid, &|v| {
            let e = (-v.abs()).exp();
            e / ((1.0 + e) * (1.0 + e))
        }),
        Op::Act(Activation::Tanh) => elementwise(&|v| v.tanh(), &|v| 1.0 / (v.cosh() * v.cosh())),
        Op::Act(Activation::Gelu) => elementwise(&|v| 0.5 * v * libm::erfc(-v / SQRT_2), &|v| {
            0.5 * libm::erfc(-v / SQRT_2) + v * (-0.5 * v * v).exp() / (2.0 * PI).sqrt()
        }),
        Op::Act(Activation::Silu) => elementwise(&|v| v * sigmoid(v), &|v| {
            let s = sigmoid(v);
            s * (1.0 + v * (1.0 - s))
        }),
        Op::Act(Activation::Softmax) | Op::LogSoftmax => {
            let (mut val, mut der) = (Vec::with_capacity(x.len()), Vec::with_capacity(x.len()));
            for row in x.chunks(shape[1]) {
                let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = row.iter().map(|v| (v - m).exp()).collect();
                let s: f64 = e.iter().sum();
                let p: Vec<f64> = e.iter().map(|v| v / s).collect();
                let pw: f64 = p.iter().zip(W).map(|(p, w)| p * w).sum();
                let sw: f64 = W.iter().sum();
                for k in 0..row.len() {
                    if op == Op::LogSoftmax {
                        val.push((row[k] - m) - s.ln());
                        der.push(W[k] - p[k] * sw);
                    } else {
                        val.push(p[k]);
                        der.push(p[k] * (W[k] - pw));
                    }
                }
            }
            (val, der)
        }
    }
}

fn apply(op: Op, x: Tensor<2>) -> Tensor<2> {
    match op {
        Op::Act(a) => activate(a, x),
        Op::LogSoftmax => log_softmax(x, 1),
    }
}

/// `f(x)` from burn on `backend`'s plain device (the engine's `forward` path).
pub fn burn_plain(backend: BurnBackend, op: Op, dtype: DType) -> Vec<f64> {
    let (shape, g) = grid(op);
    let x = burn_tensor::<2>(g, shape, &backend.plain_device(), dtype);
    read("probe", apply(op, x), dtype).unwrap().data
}

/// `(x, f(x), ∂/∂x Σ w ⊙ f(x))` from burn on `backend`'s autodiff device in `dtype`, `x` as
/// the backend saw it.
pub fn burn(backend: BurnBackend, op: Op, dtype: DType) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (shape, g) = grid(op);
    let device = backend.device();
    let x: Tensor<2> = burn_tensor::<2>(g, shape.clone(), &device, dtype).require_grad();
    let seen = read("probe", x.clone(), dtype).unwrap().data;
    let y = apply(op, x.clone());
    let w: Vec<f64> = (0..shape[0])
        .flat_map(|_| (0..shape[1]).map(|k| if op.row_wise() { W[k] } else { 1.0 }))
        .collect();
    let w = burn_tensor::<2>(w, shape, &device, dtype);
    let grads = (y.clone() * w).sum().backward();
    let value = read("probe", y, dtype).unwrap().data;
    let grad = read("probe", x.grad(&grads).unwrap(), dtype).unwrap().data;
    (seen, value, grad)
}

/// Largest errors of one quantity over the grid.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stat {
    pub max_abs: f64,
    /// Largest `|a − b| / |b|` over points with `b ≠ 0` (`∞` where `b = 0 ≠ a`).
    pub max_rel: f64,
    /// Largest `|a − b| / (atol + rtol·|b|)` under the global tolerance (≤ 1 passes).
    pub excess: f64,
    /// The input of the largest excess, and burn's and the true value there.
    pub worst: (f64, f64, f64),
}

fn stat(x: &[f64], got: &[f64], want: &[f64], tol: Tolerance, skip: impl Fn(f64) -> bool) -> Stat {
    let mut s = Stat::default();
    let mut worst = -1.0;
    for ((&x, &a), &b) in x.iter().zip(got).zip(want) {
        if skip(x) {
            continue;
        }
        let d = if a == b { 0.0 } else { (a - b).abs() };
        let rel = if d == 0.0 {
            0.0
        } else if b == 0.0 {
            f64::INFINITY
        } else {
            d / b.abs()
        };
        let e = tol.excess(a, b);
        s.max_abs = s.max_abs.max(d);
        s.max_rel = s.max_rel.max(rel);
        if e > worst {
            worst = e;
            s.worst = (x, a, b);
        }
    }
    s.excess = worst.max(0.0);
    s
}

/// The global tolerance of `dtype`: f64 `1e-12 + 1e-9·|b|`, f32 `1e-5 + 1e-4·|b|`.
pub fn global(dtype: DType) -> Tolerance {
    match dtype {
        DType::F64 => Tolerance::EXACT_F64,
        DType::F32 => Tolerance::EXACT_F32,
    }
}

/// `(value, derivative)` errors of `op` on `backend` in `dtype`. The derivative of a
/// piecewise-linear op is not measured at its kink `x = 0` (its convention there is tested on
/// its own).
pub fn measure(backend: BurnBackend, op: Op, dtype: DType) -> (Stat, Stat) {
    let (shape, _) = grid(op);
    let (x, value, grad) = burn(backend, op, dtype);
    let plain = burn_plain(backend, op, dtype);
    let (tv, tg) = truth(op, &shape, &x);
    let tol = global(dtype);
    let kink = op.has_kink();
    let v = worse(
        stat(&x, &value, &tv, tol, |_| false),
        stat(&x, &plain, &tv, tol, |_| false),
    );
    (v, stat(&x, &grad, &tg, tol, |v| kink && v == 0.0))
}

fn worse(a: Stat, b: Stat) -> Stat {
    Stat {
        max_abs: a.max_abs.max(b.max_abs),
        max_rel: a.max_rel.max(b.max_rel),
        excess: a.excess.max(b.excess),
        worst: if b.excess > a.excess {
            b.worst
        } else {
            a.worst
        },
    }
}

/// The largest `|plain − autodiff|` of the value: how far the engine's `forward` (plain
/// device) and the function `grads` differentiates (autodiff device) disagree.
pub fn paths_differ(backend: BurnBackend, op: Op, dtype: DType) -> f64 {
    let (_, value, _) = burn(backend, op, dtype);
    let plain = burn_plain(backend, op, dtype);
    value
        .iter()
        .zip(&plain)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}
