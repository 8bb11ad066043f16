//! The measurements of `precision/mod.rs`: the input grid, f64 truth `(f, f')` for each op,
//! candle's forward value and `GradStore` derivative in f32/f64, and the error figures of one
//! `(op, dtype, pass)`; row-wise ops (softmax, softmax_last_dim, log_softmax) on random rows.

use candle_core::{DType, Device, Tensor, Var, D};
use std::f64::consts::{FRAC_1_SQRT_2, PI};
/// One measurement: `(op, dtype, fwd|bwd)` and its figures.
#[derive(Debug, Clone)]
pub struct Measure {
    pub max_abs: f64,
    pub at_abs: f64,
    pub max_rel: f64,
    pub at_rel: f64,
    pub excess: f64,
    pub at_excess: f64,
    pub got_excess: f64,
    pub want_excess: f64,
}

pub fn grid() -> Vec<f64> {
    let mut g: Vec<f64> = (-2000..=2000).map(|i| i as f64 / 100.0).collect();
    g.extend([1e-3, -1e-3, 1e-8, -1e-8]);
    g
}

/// Standard normal cdf, accurate in both tails.
pub fn phi_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * FRAC_1_SQRT_2)
}
pub fn phi_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// Truth `(f(x), f'(x))` in f64.
pub fn truth(op: &str, x: f64) -> (f64, f64) {
    match op {
        "relu" => (x.max(0.0), if x > 0.0 { 1.0 } else { 0.0 }),
        "leaky-relu" => {
            if x > 0.0 {
                (x, 1.0)
            } else {
                (0.01 * x, 0.01)
            }
        }
        "sigmoid" => {
            // σ(x) = 1/(1+e^{−x}) for x ≥ 0, e^{x}/(1+e^{x}) below; σ' = e^{−|x|}/(1+e^{−|x|})².
            let e = (-x.abs()).exp();
            let s = if x >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
            (s, e / ((1.0 + e) * (1.0 + e)))
        }
        "tanh" => {
            // sech² x = 4 e^{−2|x|} / (1 + e^{−2|x|})², no cancellation.
            let e = (-2.0 * x.abs()).exp();
            (libm::tanh(x), 4.0 * e / ((1.0 + e) * (1.0 + e)))
        }
        "gelu" => (x * phi_cdf(x), phi_cdf(x) + x * phi_pdf(x)),
        "erf" => (libm::erf(x), 2.0 / PI.sqrt() * (-x * x).exp()),
        _ => unreachable!("{op}"),
    }
}

pub fn apply(op: &str, x: &Tensor) -> candle_core::Result<Tensor> {
    match op {
        "relu" => x.relu(),
        "leaky-relu" => candle_nn::ops::leaky_relu(x, 0.01),
        "sigmoid" => candle_nn::ops::sigmoid(x),
        "tanh" => x.tanh(),
        "gelu" => x.gelu_erf(),
        "erf" => x.erf(),
        _ => unreachable!("{op}"),
    }
}

pub fn to_f64(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

/// `(forward, derivative)` of candle's `op` at `xs` in `dtype`, and the inputs as seen.
pub fn candle_op(op: &str, xs: &[f64], dtype: DType) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let v = match dtype {
        DType::F32 => {
            let x32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
            Var::from_vec(x32, xs.len(), &Device::Cpu).unwrap()
        }
        _ => Var::from_vec(xs.to_vec(), xs.len(), &Device::Cpu).unwrap(),
    };
    let y = apply(op, v.as_tensor()).unwrap();
    let grads = y.sum_all().unwrap().backward().unwrap();
    let dy = grads.get(v.as_tensor()).expect("op has a backward");
    (to_f64(v.as_tensor()), to_f64(&y), to_f64(dy))
}

pub fn global(dtype: DType) -> (f64, f64) {
    match dtype {
        DType::F64 => (1e-12, 1e-9),
        _ => (1e-5, 1e-4),
    }
}

pub fn measure(xs: &[f64], got: &[f64], want: &[f64], dtype: DType) -> Measure {
    let (atol, rtol) = global(dtype);
    let mut m = Measure {
        max_abs: 0.0,
        at_abs: f64::NAN,
        max_rel: 0.0,
        at_rel: f64::NAN,
        excess: 0.0,
        at_excess: f64::NAN,
        got_excess: f64::NAN,
        want_excess: f64::NAN,
    };
    for ((&x, &a), &b) in xs.iter().zip(got).zip(want) {
        let d = (a - b).abs();
        assert!(d.is_finite(), "x = {x}: got {a}, want {b}");
        if d > m.max_abs {
            (m.max_abs, m.at_abs) = (d, x);
        }
        if b.abs() >= atol && d / b.abs() > m.max_rel {
            (m.max_rel, m.at_rel) = (d / b.abs(), x);
        }
        let e = d / (atol + rtol * b.abs());
        if e > m.excess {
            (m.excess, m.at_excess, m.got_excess, m.want_excess) = (e, x, a, b);
        }
    }
    m
}
pub const OPS: [&str; 6] = ["relu", "leaky-relu", "sigmoid", "tanh", "gelu", "erf"];

/// Every `(op, dtype, kind)` measurement.
pub fn measure_all() -> Vec<(String, Measure)> {
    let mut out = Vec::new();
    for dtype in [DType::F64, DType::F32] {
        for op in OPS {
            let (xs, y, dy) = candle_op(op, &grid(), dtype);
            let (fw, bw): (Vec<f64>, Vec<f64>) = xs.iter().map(|&x| truth(op, x)).unzip();
            let name = |k: &str| format!("{op} {} {k}", dtype.as_str());
            out.push((name("fwd"), measure(&xs, &y, &fw, dtype)));
            let keep: Vec<usize> = (0..xs.len())
                .filter(|&i| !(xs[i] == 0.0 && (op == "relu" || op == "leaky-relu")))
                .collect();
            let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            out.push((
                name("bwd"),
                measure(&pick(&xs), &pick(&dy), &pick(&bw), dtype),
            ));
        }
        for (name, m) in softmax_measures(dtype) {
            out.push((name, m));
        }
    }
    out
}

/// Row-wise ops on 1000 rows of width 4 drawn uniformly from `[−20, 20]`: `softmax`
/// (`candle_nn::ops::softmax`, forward and the gradient of `Σ c ⊙ softmax(z)` for random `c`),
/// `softmax_last_dim` (forward only: it has no backward), `log_softmax` (forward and the
/// gradient of `Σ c ⊙ log_softmax(z)`). The input column reports the `z` element.
pub fn softmax_measures(dtype: DType) -> Vec<(String, Measure)> {
    let (rows, w) = (1000, 4);
    let mut rng = bplab_core::rng::Rng::new(2024);
    let z: Vec<f64> = (0..rows * w).map(|_| rng.uniform_in(-20.0, 20.0)).collect();
    let c: Vec<f64> = (0..rows * w).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
    let (zv, ct) = match dtype {
        DType::F32 => (
            Var::from_vec(
                z.iter().map(|&v| v as f32).collect::<Vec<_>>(),
                (rows, w),
                &Device::Cpu,
            ),
            Tensor::from_vec(
                c.iter().map(|&v| v as f32).collect::<Vec<_>>(),
                (rows, w),
                &Device::Cpu,
            ),
        ),
        _ => (
            Var::from_vec(z.clone(), (rows, w), &Device::Cpu),
            Tensor::from_vec(c.clone(), (rows, w), &Device::Cpu),
        ),
    };
    let (zv, ct) = (zv.unwrap(), ct.unwrap());
    let (zs, cs) = (to_f64(zv.as_tensor()), to_f64(&ct));
    // Truth per row, in f64.
    let (mut s_t, mut ls_t, mut ds_t, mut dls_t) = (vec![], vec![], vec![], vec![]);
    for r in 0..rows {
        let (zr, cr) = (&zs[r * w..(r + 1) * w], &cs[r * w..(r + 1) * w]);
        let m = zr.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = zr.iter().map(|&v| (v - m).exp()).collect();
        let sum: f64 = e.iter().sum();
        let s: Vec<f64> = e.iter().map(|v| v / sum).collect();
        let sc: f64 = s.iter().zip(cr).map(|(a, b)| a * b).sum();
        let csum: f64 = cr.iter().sum();
        for k in 0..w {
            s_t.push(s[k]);
            ls_t.push((zr[k] - m) - sum.ln());
            ds_t.push(s[k] * (cr[k] - sc));
            dls_t.push(cr[k] - s[k] * csum);
        }
    }
    let grad_of = |y: &Tensor| {
        let g = y.mul(&ct).unwrap().sum_all().unwrap().backward().unwrap();
        to_f64(g.get(zv.as_tensor()).expect("differentiable"))
    };
    let s = candle_nn::ops::softmax(zv.as_tensor(), D::Minus1).unwrap();
    let ls = candle_nn::ops::log_softmax(zv.as_tensor(), D::Minus1).unwrap();
    let sl = candle_nn::ops::softmax_last_dim(zv.as_tensor()).unwrap();
    // softmax_last_dim (one fused kernel) and softmax (composed ops) agree bit for bit here.
    assert_eq!(
        to_f64(&s),
        to_f64(&sl),
        "softmax vs softmax_last_dim {dtype:?}"
    );
    let t = dtype.as_str();
    vec![
        (
            format!("softmax {t} fwd"),
            measure(&zs, &to_f64(&s), &s_t, dtype),
        ),
        (
            format!("softmax {t} bwd"),
            measure(&zs, &grad_of(&s), &ds_t, dtype),
        ),
        (
            format!("softmax_last_dim {t} fwd"),
            measure(&zs, &to_f64(&sl), &s_t, dtype),
        ),
        (
            format!("log_softmax {t} fwd"),
            measure(&zs, &to_f64(&ls), &ls_t, dtype),
        ),
        (
            format!("log_softmax {t} bwd"),
            measure(&zs, &grad_of(&ls), &dls_t, dtype),
        ),
    ]
}
