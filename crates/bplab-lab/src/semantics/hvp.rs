//! The double-backward row for the manual engine: a Hessian–vector product `H v` by
//! forward-over-reverse — the backward pass carried with tangents along a parameter direction
//! `v`, as `bplab_manual::schedules::jvp` carries the forward pass — checked three ways: its
//! forward tangent `L̇` against the manual engine's [`Jvp`], its gradient against
//! `Model::backward`, and `H v` against central differences of the manual engine's gradients,
//! `(∇L(θ + εv) − ∇L(θ − εv)) / 2ε`.
//!
//! The network is `3 → 4 → 4 → 2`, tanh, tanh, identity, mse (`L = (1/2B) Σ (ŷ − y)²`), batch
//! 5. Per layer, with `δ = ∂L/∂z` `(B, n_out)` and `σ = tanh` (`σ' = 1 − h²`,
//! `σ'' = −2h(1 − h²)`):
//! - `∂L/∂W = δᵀ h_prev`, so `(H v)_W = δ̇ᵀ h_prev + δᵀ ḣ_prev`; `(H v)_b = Σ_b δ̇`;
//! - `g = δ W`, `ġ = δ̇ W + δ Ẇ`; below, `δ = g ⊙ σ'(z)` and `δ̇ = ġ ⊙ σ'(z) + g ⊙ σ''(z) ż`;
//! - at the output `δ = (ŷ − y)/B`, `δ̇ = ż/B`.

use crate::modes::{model, random_batch};
use bplab_core::rng::Rng;
use bplab_core::{Activation, Loss, NetSpec, Result};
use bplab_manual::schedules::jvp::{Direction, Jvp};
use bplab_manual::Model;

/// What the check found.
#[derive(Debug, Clone, PartialEq)]
pub struct HvpCheck {
    /// Largest `|a − b|` of `H v` against central differences of gradients.
    pub max_abs: f64,
    /// Largest `|H v|` element (so a zero product cannot pass).
    pub max_hv: f64,
    /// `|L̇ − L̇_jvp|` against the manual engine's forward mode.
    pub jvp_diff: f64,
    /// Largest `|∇L − Model::backward|`.
    pub grad_diff: f64,
}

impl HvpCheck {
    /// Agreement with differences at `1e-8 + 1e-6·|b|`, the project's finite-difference rule;
    /// the tangent and the gradient to rounding.
    pub fn passed(&self, fd: &[f64], hv: &[f64]) -> bool {
        let ok = hv
            .iter()
            .zip(fd)
            .all(|(a, b)| (a - b).abs() <= 1e-8 + 1e-6 * b.abs());
        ok && self.max_hv > 1e-3 && self.jvp_diff <= 1e-12 && self.grad_diff <= 1e-12
    }
}

/// `(W, b)` per layer.
type Layers = (Vec<Vec<f64>>, Vec<Vec<f64>>);

/// `(∇L, H v)` by forward-over-reverse, and `L̇`; weights `(n_out, n_in)` row-major.
fn forward_over_reverse(
    spec: &NetSpec,
    (w, b): (&[Vec<f64>], &[Vec<f64>]),
    (vw, vb): (&[Vec<f64>], &[Vec<f64>]),
    x: &[f64],
    y: &[f64],
    batch: usize,
) -> (Layers, Layers, f64) {
    let n = spec.n_layers();
    let (mut z, mut zt, mut h, mut ht) =
        (vec![], vec![], vec![x.to_vec()], vec![vec![0.0; x.len()]]);
    for l in 0..n {
        let (n_in, n_out) = spec.layer_dims(l);
        let (mut zl, mut ztl) = (vec![0.0; batch * n_out], vec![0.0; batch * n_out]);
        for r in 0..batch {
            for o in 0..n_out {
                let (mut s, mut t) = (b[l][o], vb[l][o]);
                for i in 0..n_in {
                    let (hp, hpt) = (h[l][r * n_in + i], ht[l][r * n_in + i]);
                    s += hp * w[l][o * n_in + i];
                    t += hpt * w[l][o * n_in + i] + hp * vw[l][o * n_in + i];
                }
                zl[r * n_out + o] = s;
                ztl[r * n_out + o] = t;
            }
        }
        let tanh = spec.activations()[l] == Activation::Tanh;
        let hl: Vec<f64> = zl
            .iter()
            .map(|&v| if tanh { v.tanh() } else { v })
            .collect();
        let htl: Vec<f64> = (0..zl.len())
            .map(|k| {
                if tanh {
                    (1.0 - hl[k] * hl[k]) * ztl[k]
                } else {
                    ztl[k]
                }
            })
            .collect();
        z.push(zl);
        zt.push(ztl);
        h.push(hl);
        ht.push(htl);
    }
    let bf = batch as f64;
    let (out, out_t) = (&h[n], &ht[n]);
    let lt: f64 = (0..y.len())
        .map(|k| (out[k] - y[k]) * out_t[k])
        .sum::<f64>()
        / bf;
    let mut d: Vec<f64> = (0..y.len()).map(|k| (out[k] - y[k]) / bf).collect();
    let mut dt: Vec<f64> = out_t.iter().map(|v| v / bf).collect();
    let (mut gw, mut gb, mut hw, mut hb) = (
        vec![vec![]; n],
        vec![vec![]; n],
        vec![vec![]; n],
        vec![vec![]; n],
    );
    for l in (0..n).rev() {
        let (n_in, n_out) = spec.layer_dims(l);
        let (hp, hpt) = (&h[l], &ht[l]);
        let (mut dw, mut dwt) = (vec![0.0; n_out * n_in], vec![0.0; n_out * n_in]);
        let (mut db, mut dbt) = (vec![0.0; n_out], vec![0.0; n_out]);
        for r in 0..batch {
            for o in 0..n_out {
                let (e, et) = (d[r * n_out + o], dt[r * n_out + o]);
                db[o] += e;
                dbt[o] += et;
                for i in 0..n_in {
                    dw[o * n_in + i] += e * hp[r * n_in + i];
                    dwt[o * n_in + i] += et * hp[r * n_in + i] + e * hpt[r * n_in + i];
                }
            }
        }
        (gw[l], gb[l], hw[l], hb[l]) = (dw, db, dwt, dbt);
        if l == 0 {
            break;
        }
        let tanh = spec.activations()[l - 1] == Activation::Tanh;
        let (mut nd, mut ndt) = (vec![0.0; batch * n_in], vec![0.0; batch * n_in]);
        for r in 0..batch {
            for i in 0..n_in {
                let (mut g, mut gt) = (0.0, 0.0);
                for o in 0..n_out {
                    let (e, et) = (d[r * n_out + o], dt[r * n_out + o]);
                    g += e * w[l][o * n_in + i];
                    gt += et * w[l][o * n_in + i] + e * vw[l][o * n_in + i];
                }
                let k = r * n_in + i;
                let (hk, zk) = (h[l][k], zt[l - 1][k]);
                let (d1, d2) = if tanh {
                    (1.0 - hk * hk, -2.0 * hk * (1.0 - hk * hk))
                } else {
                    (1.0, 0.0)
                };
                nd[k] = g * d1;
                ndt[k] = gt * d1 + g * d2 * zk;
            }
        }
        d = nd;
        dt = ndt;
    }
    ((gw, gb), (hw, hb), lt)
}

/// The manual engine's gradient at `model`'s parameters, flattened (weights then biases).
fn grad(model: &Model<f64>, x: &[f64], y: &[f64]) -> Vec<f64> {
    let g = model.backward(&model.forward(x.to_vec(), y.to_vec()));
    g.dw.iter().chain(&g.db).flatten().copied().collect()
}

/// Runs the check: `(check, H v, central differences)`, flattened like [`grad`].
pub fn run() -> Result<(HvpCheck, Vec<f64>, Vec<f64>)> {
    let act = vec![Activation::Tanh, Activation::Tanh, Activation::Identity];
    let spec = NetSpec::new(vec![3, 4, 4, 2], act, Loss::Mse, false)?;
    let batch = 5;
    let mut m = model(&spec, 11);
    let (x, y) = random_batch(&spec, batch, 12);
    let mut rng = Rng::new(13);
    let (w, b) = m.params();
    let vw: Vec<Vec<f64>> = w
        .iter()
        .map(|t| t.iter().map(|_| rng.normal()).collect())
        .collect();
    let vb: Vec<Vec<f64>> = b
        .iter()
        .map(|t| t.iter().map(|_| rng.normal()).collect())
        .collect();
    let ((gw, gb), (hw, hb), lt) = forward_over_reverse(&spec, (w, b), (&vw, &vb), &x, &y, batch);
    let mut jvp = Jvp::new(&spec, batch);
    let dir = Direction {
        params: Some((vw.clone(), vb.clone())),
        x: None,
    };
    let (_, lt_jvp) = jvp.run(&m, &x, &y, &dir);
    let ours: Vec<f64> = gw.iter().chain(&gb).flatten().copied().collect();
    let theirs = grad(&m, &x, &y);
    let grad_diff = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let eps = 1e-5;
    let shift = |m: &mut Model<f64>, s: f64| {
        let (w, b) = m.params_mut();
        for (t, v) in w.iter_mut().zip(&vw).chain(b.iter_mut().zip(&vb)) {
            t.iter_mut().zip(v).for_each(|(p, d)| *p += s * d);
        }
    };
    shift(&mut m, eps);
    let plus = grad(&m, &x, &y);
    shift(&mut m, -2.0 * eps);
    let minus = grad(&m, &x, &y);
    let fd: Vec<f64> = plus
        .iter()
        .zip(&minus)
        .map(|(p, q)| (p - q) / (2.0 * eps))
        .collect();
    let hv: Vec<f64> = hw.iter().chain(&hb).flatten().copied().collect();
    let check = HvpCheck {
        max_abs: hv
            .iter()
            .zip(&fd)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max),
        max_hv: hv.iter().map(|v| v.abs()).fold(0.0, f64::max),
        jvp_diff: (lt - lt_jvp).abs(),
        grad_diff,
    };
    Ok((check, hv, fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_over_reverse_matches_differences_of_gradients() {
        let (c, hv, fd) = run().unwrap();
        assert!(c.passed(&fd, &hv), "{c:?}");
        assert!(c.max_abs < 1e-7, "{c:?}");
    }
}
