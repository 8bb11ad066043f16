//! Softmax, the one activation that acts on a whole row, forward and backward side by side:
//! `a_k = e^{z_k} / Σ_j e^{z_j}`, and, since `∂a_k/∂z_j = a_k (1[k = j] − a_j)`, the
//! vector–Jacobian product `δ_j = Σ_k g_k ∂a_k/∂z_j = a_j (g_j − Σ_k g_k a_k)` for `g = ∂L/∂a`.
//! (With cross-entropy, the loss's fused backward replaces both: see
//! [`crate::layers::loss::cross_entropy_backward`].)

use crate::real::Real;

/// `a = softmax(z)` for one row, `a_k = e^{z_k − m} / Σ_j e^{z_j − m}` with `m = max_j z_j`,
/// so no exponential overflows. Shapes: `z`, `a` `(n)`.
///
/// Equal logits share the probability equally, and shifting every logit by the same amount
/// changes nothing:
///
/// ```
/// use bplab_manual::layers::activation::softmax::softmax_row;
///
/// let mut a = [0.0; 2];
/// softmax_row(&[0.0, 0.0], &mut a);
/// assert_eq!(a, [0.5, 0.5]); // e⁰ / (e⁰ + e⁰)
/// softmax_row(&[1000.0, 1000.0], &mut a); // e¹⁰⁰⁰ would overflow; e⁰ does not
/// assert_eq!(a, [0.5, 0.5]);
/// softmax_row(&[0.0, 3f64.ln()], &mut a); // e⁰ = 1 against e^{ln 3} = 3
/// assert!((a[0] - 0.25).abs() < 1e-15 && (a[1] - 0.75).abs() < 1e-15); // 1/(1+3), 3/(1+3)
/// ```
pub fn softmax_row<T: Real>(z: &[T], a: &mut [T]) {
    let max = z
        .iter()
        .copied()
        .fold(z[0], |m, v| if v > m { v } else { m });
    let mut sum = T::ZERO;
    for (a, &z) in a.iter_mut().zip(z) {
        *a = (z - max).exp();
        sum += *a;
    }
    for a in a.iter_mut() {
        *a = *a / sum;
    }
}

/// Backward of [`softmax_row`] for one row: `δ_j = a_j (g_j − Σ_k g_k a_k)`, from the cached
/// output `a` and `g = ∂L/∂a`. Shapes: `delta`, `g`, `a` `(n)`.
///
/// With `a = [½, ½]` and `g = [1, 0]`: `Σ_k g_k a_k = ½`, so
/// `δ = [½ (1 − ½), ½ (0 − ½)] = [¼, −¼]` (a softmax's `δ` always sums to 0 over a row):
///
/// ```
/// use bplab_manual::layers::activation::softmax::softmax_backward_row;
///
/// let mut delta = [0.0; 2];
/// softmax_backward_row(&mut delta, &[1.0, 0.0], &[0.5, 0.5]);
/// assert_eq!(delta, [0.25, -0.25]);
/// ```
pub fn softmax_backward_row<T: Real>(delta: &mut [T], g: &[T], a: &[T]) {
    let mut dot = T::ZERO; // Σ_k g_k a_k
    for (&g, &a) in g.iter().zip(a) {
        dot += g * a;
    }
    for ((d, &g), &a) in delta.iter_mut().zip(g).zip(a) {
        *d = a * (g - dot);
    }
}
