//! LayerNorm and BatchNorm, forward and backward side by side (llm.c's
//! `layernorm_forward`/`layernorm_backward` are the model: forward caches the mean and
//! `rstd = 1/√(σ² + ε)`, backward recomputes `n̂` from them and never stores it).
//!
//! Both normalize a pre-activation `z` `(B, n)` and end in the same affine map:
//! `n̂ = (z − μ)·rstd`, `n = γ ⊙ n̂ + β` with `γ`, `β` `(n)`. They differ only in the axis the
//! statistics run over: LayerNorm over each row's `n` features (`μ`, `rstd` are `(B)`),
//! BatchNorm over the batch's `B` rows for each feature (`μ`, `rstd` are `(n)`); both use the
//! biased variance `σ² = mean((z − μ)²)` and `ε` = [`NORM_EPS`].
//!
//! **Backward.** With `dn = ∂L/∂n`: `∂L/∂β = Σ_rows dn`, `∂L/∂γ = Σ_rows dn ⊙ n̂` (sums over
//! the batch for both norms, since `γ`, `β` are per feature), and `dn̂ = dn ⊙ γ`. Along the
//! axis of the statistics (`m` values: `n` for LayerNorm, `B` for BatchNorm),
//! `∂n̂_i/∂z_j = rstd·(1[i=j] − 1/m − n̂_i n̂_j/m)`, because `∂μ/∂z_j = 1/m` and
//! `∂rstd/∂z_j = −rstd³ (z_j − μ)/m`. Contracting with `dn̂`:
//!
//! `dz = rstd · (dn̂ − mean(dn̂) − n̂ · mean(dn̂ ⊙ n̂))`
//!
//! — the same three-term form for both, the means taken over the row (LayerNorm) or over the
//! batch column (BatchNorm). Nothing here allocates: BatchNorm's column means are taken one
//! column at a time.

use crate::real::Real;
use bplab_core::norm::NORM_EPS;
use bplab_core::Norm;

/// `rstd = 1/√(σ² + ε)`, computed in f64 and rounded once to `T` ([`Real::rsqrt_plus`]).
fn rstd<T: Real>(var: T, eps: f64) -> T {
    var.rsqrt_plus(eps)
}

/// `z − μ` of a LayerNorm row of `n` features. Over a single feature `μ = z`, and the
/// difference is returned as the exact 0 every arithmetic gives (the same bits), so that a
/// rounding analysis ([`crate::real::running_error`]) sees a 0 rather than two equal values
/// with independent errors.
fn centred<T: Real>(v: T, mu: T, n: usize) -> T {
    let d = v - mu;
    if n == 1 && d == T::ZERO {
        T::ZERO // not for ±∞ or NaN, whose difference stays NaN
    } else {
        d
    }
}

/// LayerNorm forward: per row `b`, `μ_b = mean(z_b)`, `σ²_b = mean((z_b − μ_b)²)`,
/// `rstd_b = 1/√(σ²_b + ε)`, `out_b = γ ⊙ (z_b − μ_b)·rstd_b + β`. Shapes: `out`, `z` `(B, n)`;
/// `mean`, `rstd` `(B)` (cached for backward); `gamma`, `beta` `(n)`.
///
/// ```
/// use bplab_manual::layers::norm::layernorm_forward;
///
/// let z = [1.0f64, 3.0]; // (B = 1, n = 2): μ = 2, σ² = 1
/// let (mut out, mut mean, mut rstd) = ([0.0; 2], [0.0], [0.0]);
/// layernorm_forward(&mut out, &mut mean, &mut rstd, &z, &[1.0, 1.0], &[0.0, 0.0], 2);
/// assert_eq!(mean, [2.0]);
/// assert!((out[0] + 1.0).abs() < 1e-5 && (out[1] - 1.0).abs() < 1e-5); // ≈ ∓1 (ε)
/// ```
pub fn layernorm_forward<T: Real>(
    out: &mut [T],
    mean: &mut [T],
    rstd_out: &mut [T],
    z: &[T],
    gamma: &[T],
    beta: &[T],
    n: usize,
) {
    layernorm_forward_eps(out, mean, rstd_out, z, gamma, beta, n, NORM_EPS);
}

/// [`layernorm_forward`] with another `ε` (a framework's rounding of it:
/// [`crate::conventions::candle::layer_norm_eps`]).
#[allow(clippy::too_many_arguments)]
pub fn layernorm_forward_eps<T: Real>(
    out: &mut [T],
    mean: &mut [T],
    rstd_out: &mut [T],
    z: &[T],
    gamma: &[T],
    beta: &[T],
    n: usize,
    eps: f64,
) {
    let inv_n = T::from_f64(1.0 / n as f64);
    for (((o_row, z_row), m), r) in out
        .chunks_exact_mut(n)
        .zip(z.chunks_exact(n))
        .zip(mean.iter_mut())
        .zip(rstd_out.iter_mut())
    {
        let mut sum = T::ZERO;
        for &v in z_row {
            sum += v;
        }
        let mu = sum * inv_n;
        let mut sq = T::ZERO;
        for &v in z_row {
            let d = centred(v, mu, n);
            sq += d * d;
        }
        let rs = rstd(sq * inv_n, eps);
        for (((o, &v), &g), &b) in o_row.iter_mut().zip(z_row).zip(gamma).zip(beta) {
            *o = centred(v, mu, n) * rs * g + b; // γ n̂ + β
        }
        (*m, *r) = (mu, rs);
    }
}

/// LayerNorm backward from the cached `mean`, `rstd` (`(B)`): writes `dz` `(B, n)` and
/// `dgamma`, `dbeta` `(n)` from `dout = ∂L/∂n` `(B, n)`, per row
/// `dz = rstd·(dn̂ − mean(dn̂) − n̂·mean(dn̂ ⊙ n̂))` with `dn̂ = dout ⊙ γ`.
///
/// ```
/// use bplab_manual::layers::norm::{layernorm_backward, layernorm_forward};
///
/// let (z, gamma, beta) = ([1.0f64, 3.0], [1.0, 1.0], [0.0, 0.0]); // (B = 1, n = 2)
/// let (mut out, mut mean, mut rstd) = ([0.0; 2], [0.0], [0.0]);
/// layernorm_forward(&mut out, &mut mean, &mut rstd, &z, &gamma, &beta, 2);
/// let (mut dz, mut dg, mut db) = ([0.0; 2], [0.0; 2], [0.0; 2]);
/// // A gradient along the row's constant direction is removed: it cannot change n̂.
/// layernorm_backward(&mut dz, &mut dg, &mut db, &[1.0, 1.0], &z, &mean, &rstd, &gamma, 2);
/// assert!(dz.iter().all(|d| d.abs() < 1e-15));
/// assert_eq!(db, [1.0, 1.0]); // ∂L/∂β = Σ dout
/// ```
#[allow(clippy::too_many_arguments)]
pub fn layernorm_backward<T: Real>(
    dz: &mut [T],
    dgamma: &mut [T],
    dbeta: &mut [T],
    dout: &[T],
    z: &[T],
    mean: &[T],
    rstd: &[T],
    gamma: &[T],
    n: usize,
) {
    dgamma.fill(T::ZERO);
    dbeta.fill(T::ZERO);
    let inv_n = T::from_f64(1.0 / n as f64);
    for ((((dz_row, d_row), z_row), &mu), &rs) in dz
        .chunks_exact_mut(n)
        .zip(dout.chunks_exact(n))
        .zip(z.chunks_exact(n))
        .zip(mean)
        .zip(rstd)
    {
        // The two means of the row: mean(dn̂) and mean(dn̂ ⊙ n̂).
        let (mut dnorm_mean, mut dnorm_norm_mean) = (T::ZERO, T::ZERO);
        for ((&d, &v), &g) in d_row.iter().zip(z_row).zip(gamma) {
            let norm = centred(v, mu, n) * rs;
            let dnorm = d * g;
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean *= inv_n;
        dnorm_norm_mean *= inv_n;
        for i in 0..n {
            let norm = centred(z_row[i], mu, n) * rs;
            let dnorm = d_row[i] * gamma[i];
            dbeta[i] += d_row[i];
            dgamma[i] += d_row[i] * norm;
            dz_row[i] = (dnorm - dnorm_mean - norm * dnorm_norm_mean) * rs;
        }
    }
}

/// BatchNorm forward (training mode): per feature `i`, `μ_i`, `σ²_i` (biased) over the `B`
/// rows, `rstd_i = 1/√(σ²_i + ε)`, `out = γ ⊙ (z − μ)·rstd + β`. Shapes: `out`, `z` `(B, n)`;
/// `mean`, `var` (biased, kept for the running statistics), `rstd` `(n)`; `gamma`, `beta` `(n)`.
///
/// ```
/// use bplab_manual::layers::norm::batchnorm_forward;
///
/// let z = [1.0f64, 5.0, 3.0, 5.0]; // (B = 2, n = 2): feature 0 is 1, 3; feature 1 is constant
/// let (mut out, mut mean, mut var, mut rstd) = ([0.0; 4], [0.0; 2], [0.0; 2], [0.0; 2]);
/// batchnorm_forward(&mut out, &mut mean, &mut var, &mut rstd, &z, &[1.0; 2], &[0.0; 2], 2);
/// assert_eq!((mean, var), ([2.0, 5.0], [1.0, 0.0]));
/// assert_eq!(out[1], 0.0); // a constant feature normalizes to β
/// ```
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_forward<T: Real>(
    out: &mut [T],
    mean: &mut [T],
    var: &mut [T],
    rstd_out: &mut [T],
    z: &[T],
    gamma: &[T],
    beta: &[T],
    n: usize,
) {
    let inv_b = T::from_f64(1.0 / (z.len() / n) as f64);
    mean.fill(T::ZERO);
    var.fill(T::ZERO);
    for z_row in z.chunks_exact(n) {
        for (m, &v) in mean.iter_mut().zip(z_row) {
            *m += v;
        }
    }
    for m in mean.iter_mut() {
        *m *= inv_b;
    }
    for z_row in z.chunks_exact(n) {
        for ((s, &v), &m) in var.iter_mut().zip(z_row).zip(mean.iter()) {
            let d = v - m;
            *s += d * d;
        }
    }
    for (s, r) in var.iter_mut().zip(rstd_out.iter_mut()) {
        *s *= inv_b;
        *r = rstd(*s, NORM_EPS);
    }
    for (o_row, z_row) in out.chunks_exact_mut(n).zip(z.chunks_exact(n)) {
        for i in 0..n {
            o_row[i] = (z_row[i] - mean[i]) * rstd_out[i] * gamma[i] + beta[i]; // γ n̂ + β
        }
    }
}

/// BatchNorm backward from the cached `mean`, `rstd` (`(n)`): the same three-term form as
/// LayerNorm's with the means taken over the batch, one feature column at a time:
/// `dz_{·i} = rstd_i·(dn̂_{·i} − mean_b(dn̂_{·i}) − n̂_{·i}·mean_b(dn̂_{·i} ⊙ n̂_{·i}))`.
/// Shapes: `dz`, `dout`, `z` `(B, n)`; `dgamma`, `dbeta`, `mean`, `rstd`, `gamma` `(n)`.
///
/// ```
/// use bplab_manual::layers::norm::{batchnorm_backward, batchnorm_forward};
///
/// let z = [1.0f64, 3.0]; // (B = 2, n = 1)
/// let (mut out, mut mean, mut var, mut rstd) = ([0.0; 2], [0.0], [0.0], [0.0]);
/// batchnorm_forward(&mut out, &mut mean, &mut var, &mut rstd, &z, &[2.0], &[0.0], 1);
/// let (mut dz, mut dg, mut db) = ([0.0; 2], [0.0], [0.0]);
/// batchnorm_backward(&mut dz, &mut dg, &mut db, &[1.0, 1.0], &z, &mean, &rstd, &[2.0], 1);
/// assert!(dz.iter().all(|d| d.abs() < 1e-15)); // shifting the batch changes no n̂
/// assert_eq!(db, [2.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_backward<T: Real>(
    dz: &mut [T],
    dgamma: &mut [T],
    dbeta: &mut [T],
    dout: &[T],
    z: &[T],
    mean: &[T],
    rstd: &[T],
    gamma: &[T],
    n: usize,
) {
    let batch = z.len() / n;
    let inv_b = T::from_f64(1.0 / batch as f64);
    for i in 0..n {
        let (mu, rs, g) = (mean[i], rstd[i], gamma[i]);
        let (mut sum_d, mut sum_dn) = (T::ZERO, T::ZERO); // Σ_b dout, Σ_b dout ⊙ n̂
        for b in 0..batch {
            let d = dout[b * n + i];
            let norm = (z[b * n + i] - mu) * rs;
            sum_d += d;
            sum_dn += d * norm;
        }
        dbeta[i] = sum_d;
        dgamma[i] = sum_dn;
        // mean(dn̂) and mean(dn̂ ⊙ n̂), with dn̂ = dout · γ.
        let (dnorm_mean, dnorm_norm_mean) = (sum_d * g * inv_b, sum_dn * g * inv_b);
        for b in 0..batch {
            let k = b * n + i;
            let norm = (z[k] - mu) * rs;
            dz[k] = (dout[k] * g - dnorm_mean - norm * dnorm_norm_mean) * rs;
        }
    }
}

/// BatchNorm's running statistics after one training step, PyTorch's convention:
/// `r_μ ← (1 − m) r_μ + m μ`, `r_σ² ← (1 − m) r_σ² + m σ² · B/(B − 1)` (the unbiased
/// variance), `m` = momentum. Shapes: every slice `(n)`.
///
/// ```
/// use bplab_manual::layers::norm::batchnorm_update_running;
///
/// let (mut rm, mut rv) = ([0.0f64], [1.0]);
/// batchnorm_update_running(&mut rm, &mut rv, &[2.0], &[1.0], 2, 0.1);
/// assert!((rm[0] - 0.2).abs() < 1e-15 && (rv[0] - 1.1).abs() < 1e-15); // σ² · 2/1 = 2
/// ```
pub fn batchnorm_update_running<T: Real>(
    running_mean: &mut [T],
    running_var: &mut [T],
    mean: &[T],
    var: &[T],
    batch: usize,
    momentum: f64,
) {
    let m = T::from_f64(momentum);
    let keep = T::from_f64(1.0 - momentum);
    let unbias = T::from_f64(batch as f64 / (batch as f64 - 1.0));
    for (r, &v) in running_mean.iter_mut().zip(mean) {
        *r = keep * *r + m * v;
    }
    for (r, &v) in running_var.iter_mut().zip(var) {
        *r = keep * *r + m * (v * unbias);
    }
}

/// BatchNorm in evaluation mode: `out = γ ⊙ (z − r_μ)/√(r_σ² + ε) + β` with the running
/// statistics. Shapes: `out`, `z` `(B, n)`; the rest `(n)`.
pub fn batchnorm_eval<T: Real>(
    out: &mut [T],
    z: &[T],
    running_mean: &[T],
    running_var: &[T],
    gamma: &[T],
    beta: &[T],
    n: usize,
) {
    for (o_row, z_row) in out.chunks_exact_mut(n).zip(z.chunks_exact(n)) {
        for i in 0..n {
            o_row[i] =
                (z_row[i] - running_mean[i]) * rstd(running_var[i], NORM_EPS) * gamma[i] + beta[i];
        }
    }
}

/// The length of the cached statistics (`mean`, `var`, `rstd`) of `norm` for a `(B, n)` input:
/// `B` for LayerNorm, `n` for BatchNorm, 0 without a norm.
pub fn stats_len(norm: Norm, batch: usize, n: usize) -> usize {
    match norm {
        Norm::None => 0,
        Norm::Layer => batch,
        Norm::Batch => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `L = Σ c ⊙ norm(z)` for fixed weights `c`: the norm's backward against central
    /// differences of its forward, for every input and both affine parameters.
    fn check(norm: Norm, batch: usize, n: usize) {
        let z: Vec<f64> = (0..batch * n)
            .map(|k| ((k * 37 % 11) as f64 - 5.0) / 3.0 + 0.1 * k as f64)
            .collect();
        let c: Vec<f64> = (0..batch * n)
            .map(|k| ((k * 7 % 5) as f64 - 2.0) / 2.0)
            .collect();
        let gamma: Vec<f64> = (0..n).map(|i| 0.5 + 0.25 * i as f64).collect();
        let beta: Vec<f64> = (0..n).map(|i| 0.1 * i as f64 - 0.2).collect();
        let s = stats_len(norm, batch, n);
        let loss = |z: &[f64], g: &[f64], b: &[f64]| -> f64 {
            let (mut out, mut m, mut v, mut r) =
                (vec![0.0; z.len()], vec![0.0; s], vec![0.0; s], vec![0.0; s]);
            match norm {
                Norm::Layer => layernorm_forward(&mut out, &mut m, &mut r, z, g, b, n),
                _ => batchnorm_forward(&mut out, &mut m, &mut v, &mut r, z, g, b, n),
            }
            out.iter().zip(&c).map(|(o, c)| o * c).sum()
        };
        let (mut out, mut m, mut v, mut r) =
            (vec![0.0; z.len()], vec![0.0; s], vec![0.0; s], vec![0.0; s]);
        let (mut dz, mut dg, mut db) = (vec![0.0; z.len()], vec![0.0; n], vec![0.0; n]);
        if norm == Norm::Layer {
            layernorm_forward(&mut out, &mut m, &mut r, &z, &gamma, &beta, n);
            layernorm_backward(&mut dz, &mut dg, &mut db, &c, &z, &m, &r, &gamma, n);
        } else {
            batchnorm_forward(&mut out, &mut m, &mut v, &mut r, &z, &gamma, &beta, n);
            batchnorm_backward(&mut dz, &mut dg, &mut db, &c, &z, &m, &r, &gamma, n);
        }
        let h = 1e-6;
        let fd = |f: &dyn Fn(f64) -> f64| (f(h) - f(-h)) / (2.0 * h);
        for k in 0..z.len() {
            let d = fd(&|e| {
                let mut zz = z.clone();
                zz[k] += e;
                loss(&zz, &gamma, &beta)
            });
            assert!(
                (d - dz[k]).abs() <= 1e-7 + 1e-6 * d.abs(),
                "{norm} dz[{k}]: {} vs {d}",
                dz[k]
            );
        }
        for i in 0..n {
            let dgi = fd(&|e| {
                let mut g = gamma.clone();
                g[i] += e;
                loss(&z, &g, &beta)
            });
            let dbi = fd(&|e| {
                let mut b = beta.clone();
                b[i] += e;
                loss(&z, &gamma, &b)
            });
            assert!(
                (dgi - dg[i]).abs() <= 1e-7,
                "{norm} dγ[{i}]: {} vs {dgi}",
                dg[i]
            );
            assert!(
                (dbi - db[i]).abs() <= 1e-7,
                "{norm} dβ[{i}]: {} vs {dbi}",
                db[i]
            );
        }
    }

    #[test]
    fn backward_matches_central_differences() {
        for (batch, n) in [(1, 5), (3, 4), (4, 1), (2, 3)] {
            check(Norm::Layer, batch, n);
        }
        for (batch, n) in [(2, 3), (5, 4), (3, 1)] {
            check(Norm::Batch, batch, n);
        }
    }

    /// PyTorch's running-statistics rule written out on two features: momentum 0.1, a batch of
    /// 4, the unbiased variance `σ²·4/3` — `r_μ = 0.9·[0.5, −1] + 0.1·[1.5, 3] = [0.6, −0.6]`,
    /// `r_σ² = 0.9·[2, 0.25] + 0.1·[0.75, 1.5]·4/3 = [1.9, 0.425]`.
    #[test]
    fn running_statistics_follow_pytorchs_rule() {
        let (mut rm, mut rv) = ([0.5f64, -1.0], [2.0, 0.25]);
        batchnorm_update_running(&mut rm, &mut rv, &[1.5, 3.0], &[0.75, 1.5], 4, 0.1);
        for (got, want) in rm.iter().chain(&rv).zip([0.6, -0.6, 1.9, 0.425]) {
            assert!((got - want).abs() <= 1e-15, "{rm:?} {rv:?}");
        }
        // A second step moves them again from where the first left them.
        batchnorm_update_running(&mut rm, &mut rv, &[0.6, -0.6], &[1.425, 0.31875], 4, 0.1);
        for (got, want) in rm.iter().chain(&rv).zip([0.6, -0.6, 1.9, 0.425]) {
            assert!((got - want).abs() <= 1e-15, "{rm:?} {rv:?}");
        }
    }

    /// Evaluation mode uses the running statistics, not the batch's:
    /// `out = γ ⊙ (z − r_μ)/√(r_σ² + ε) + β`, element by element (B = 2, n = 2).
    #[test]
    fn eval_normalizes_with_the_running_statistics() {
        let z = [1.0f64, 2.0, 3.0, -1.0];
        let (rm, rv, gamma, beta) = ([1.0, 0.5], [4.0, 0.25], [2.0, 0.5], [0.1, -0.3]);
        let mut out = [0.0; 4];
        batchnorm_eval(&mut out, &z, &rm, &rv, &gamma, &beta, 2);
        for k in 0..4 {
            let i = k % 2;
            let want = (z[k] - rm[i]) / (rv[i] + 1e-5f64).sqrt() * gamma[i] + beta[i];
            assert!(
                (out[k] - want).abs() <= 1e-15,
                "out[{k}] {} vs {want}",
                out[k]
            );
        }
        // z = r_μ gives β exactly; the first feature's 3.0 is (3 − 1)/√(4 + 1e-5)·2 + 0.1.
        assert_eq!(out[0], 0.1);
        assert!(
            (out[2] - 2.099_997_500_004_687_5).abs() <= 1e-15,
            "{}",
            out[2]
        );
    }

    #[test]
    fn outputs_have_zero_mean_and_unit_variance() {
        let z = [0.5f64, -1.0, 2.0, 4.0, 0.0, 1.0]; // (B = 3, n = 2)
        let (mut out, mut m, mut v, mut r) = ([0.0; 6], [0.0; 2], [0.0; 2], [0.0; 2]);
        batchnorm_forward(
            &mut out, &mut m, &mut v, &mut r, &z, &[1.0; 2], &[0.0; 2], 2,
        );
        for i in 0..2 {
            let col: Vec<f64> = (0..3).map(|b| out[b * 2 + i]).collect();
            let mean = col.iter().sum::<f64>() / 3.0;
            let var = col.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0;
            assert!(
                mean.abs() < 1e-15 && (var - 1.0).abs() < 1e-4,
                "{mean} {var}"
            );
        }
    }
}
