//! Losses, forward and backward side by side. The backward of a loss is the **seed** of the
//! whole backward pass (`∂L/∂L = 1` times the loss's own derivative), and it is where the
//! batch mean's `1/B` enters — once.
//!
//! - Cross-entropy on softmax, fused: `L = −(1/B) Σ_b Σ_k y_bk · log softmax(z_b)_k`, with
//!   `log softmax(z)_k = z_k − m − ln Σ_j e^{z_j − m}` (`m = max_j z_j`, so nothing overflows).
//!   Its gradient with respect to the output pre-activation is
//!   `δ_L = ∂L/∂z_L = (ŷ · Σ_k y_k − y)/B`, which is the lesson's `δ_L = ŷ − y` (per example)
//!   when the target row sums to 1. The softmax Jacobian and the `1/ŷ` of the log cancel, so
//!   the fused form is both cheaper and exact.
//! - Mean squared error: `L = (1/B) Σ_b ½ Σ_k (ŷ_bk − y_bk)²`, `∂L/∂ŷ = (ŷ − y)/B`; the output
//!   activation's backward then gives `δ_L = (ŷ − y)/B ⊙ σ'(z_L)` (the lesson's `δ₂`).

use crate::real::Real;

/// Cross-entropy of softmax(z) against target rows `y`:
/// `L = −(1/B) Σ_b Σ_k y_bk (z_bk − m_b − ln Σ_j e^{z_bj − m_b})`, `m_b = max_j z_bj`.
/// Shapes: `z`, `y` `(B, n)`; returns the batch mean. Terms with `y = 0` contribute exactly 0
/// (the limit of `y log p`), even where `p` underflows.
///
/// Two equal logits give `p = [½, ½]`, so the loss of either class is `−ln ½ = ln 2`:
///
/// ```
/// use bplab_manual::layers::loss::cross_entropy_forward;
///
/// let z = [0.0, 0.0]; // (B = 1, n = 2)
/// let y = [1.0, 0.0]; // class 0
/// assert_eq!(cross_entropy_forward(&z, &y, 2), 2f64.ln());
/// ```
pub fn cross_entropy_forward<T: Real>(z: &[T], y: &[T], n: usize) -> T {
    let batch = z.len() / n;
    let mut total = T::ZERO;
    for (z_row, y_row) in z.chunks_exact(n).zip(y.chunks_exact(n)) {
        let max = z_row
            .iter()
            .copied()
            .fold(z_row[0], |m, v| if v > m { v } else { m });
        let mut sum = T::ZERO;
        for &v in z_row {
            sum += (v - max).exp();
        }
        let log_sum = sum.ln();
        for (&zk, &yk) in z_row.iter().zip(y_row) {
            if yk != T::ZERO {
                total -= yk * (zk - max - log_sum);
            }
        }
    }
    total / T::from_f64(batch as f64)
}

/// `δ_L = ∂L/∂z_L = (ŷ · Σ_k y_k − y)/B` from the cached softmax output `ŷ`: the seed of the
/// backward pass, with softmax's Jacobian already folded in. Shapes: `delta`, `y_hat`, `y`
/// `(B, n)`.
///
/// With `ŷ = [½, ½]` against class 0 (`y = [1, 0]`), one example: `δ = [½ − 1, ½ − 0]`; two
/// such examples halve it (the batch mean's `1/B`):
///
/// ```
/// use bplab_manual::layers::loss::cross_entropy_backward;
///
/// let mut delta = [0.0; 2]; // (B = 1, n = 2)
/// cross_entropy_backward(&mut delta, &[0.5, 0.5], &[1.0, 0.0], 2);
/// assert_eq!(delta, [-0.5, 0.5]);
/// let mut delta = [0.0; 4]; // (B = 2, n = 2)
/// cross_entropy_backward(&mut delta, &[0.5; 4], &[1.0, 0.0, 1.0, 0.0], 2);
/// assert_eq!(delta, [-0.25, 0.25, -0.25, 0.25]);
/// ```
pub fn cross_entropy_backward<T: Real>(delta: &mut [T], y_hat: &[T], y: &[T], n: usize) {
    let inv_b = T::ONE / T::from_f64((y.len() / n) as f64);
    for ((d_row, p_row), y_row) in delta
        .chunks_exact_mut(n)
        .zip(y_hat.chunks_exact(n))
        .zip(y.chunks_exact(n))
    {
        let mut y_sum = T::ZERO;
        for &v in y_row {
            y_sum += v;
        }
        for ((d, &p), &t) in d_row.iter_mut().zip(p_row).zip(y_row) {
            *d = (p * y_sum - t) * inv_b;
        }
    }
}

/// `L = (1/B) Σ_b ½ Σ_k (ŷ_bk − y_bk)²`. Shapes: `y_hat`, `y` `(B, n)`.
///
/// Two examples of one output, errors `2` and `0`: `L = ½ (½ · 2² + ½ · 0²) = 1`:
///
/// ```
/// use bplab_manual::layers::loss::mse_forward;
///
/// let y_hat = [3.0, 1.0]; // (B = 2, n = 1)
/// let y = [1.0, 1.0];
/// assert_eq!(mse_forward(&y_hat, &y, 1), 1.0);
/// ```
pub fn mse_forward<T: Real>(y_hat: &[T], y: &[T], n: usize) -> T {
    let batch = y.len() / n;
    let mut total = T::ZERO;
    for (&p, &t) in y_hat.iter().zip(y) {
        let d = p - t;
        total += d * d;
    }
    total * T::from_f64(0.5) / T::from_f64(batch as f64)
}

/// `∂L/∂ŷ = (ŷ − y)/B`: the seed of the backward pass (the ½ cancels the square's 2). Shapes:
/// `g`, `y_hat`, `y` `(B, n)`.
///
/// The same two examples: `g = [(3 − 1)/2, (1 − 1)/2] = [1, 0]`:
///
/// ```
/// use bplab_manual::layers::loss::mse_backward;
///
/// let mut g = [0.0; 2]; // (B = 2, n = 1)
/// mse_backward(&mut g, &[3.0, 1.0], &[1.0, 1.0], 1);
/// assert_eq!(g, [1.0, 0.0]);
/// ```
pub fn mse_backward<T: Real>(g: &mut [T], y_hat: &[T], y: &[T], n: usize) {
    let inv_b = T::ONE / T::from_f64((y.len() / n) as f64);
    for ((g, &p), &t) in g.iter_mut().zip(y_hat).zip(y) {
        *g = (p - t) * inv_b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_of_uniform_logits_is_ln_n() {
        let l = cross_entropy_forward(&[0.0f64, 0.0, 0.0, 0.0], &[0.0, 1.0, 0.0, 1.0], 2);
        assert_eq!(l, std::f64::consts::LN_2);
        let mut d = [0.0; 4];
        cross_entropy_backward(&mut d, &[0.5, 0.5, 0.5, 0.5], &[0.0, 1.0, 0.0, 1.0], 2);
        assert_eq!(d, [0.25, -0.25, 0.25, -0.25]);
    }

    #[test]
    fn zero_targets_ignore_underflowed_probabilities() {
        let l = cross_entropy_forward(&[0.0f64, 2000.0], &[0.0, 1.0], 2);
        assert_eq!(l, 0.0);
    }

    #[test]
    fn mse_has_the_half() {
        assert_eq!(mse_forward(&[1.5f64], &[0.5], 1), 0.5);
        let mut g = [0.0; 2];
        mse_backward(&mut g, &[1.5f64, 0.5], &[0.5, 0.5], 1);
        assert_eq!(g, [0.5, 0.0]);
    }
}
