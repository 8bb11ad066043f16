//! SiLU (also called swish): `σ(z) = z · sigmoid(z)`, next to its derivative
//! `σ'(z) = s (1 + z (1 − s))` with `s = sigmoid(z)` — the form PyTorch's `silu_backward` uses.
//! Unlike ReLU it is smooth and lets a small negative signal through (its minimum is
//! ≈ −0.278 at z ≈ −1.278), which is why the lesson lists it among the activations designed
//! for gradient flow.

use super::elementwise::sigmoid;
use crate::real::Real;

/// SiLU: `σ(z) = z · sigmoid(z)`.
///
/// ```
/// use bplab_manual::layers::activation::silu::silu;
///
/// assert_eq!(silu(0.0), 0.0);
/// assert!((silu(1.0f64) - 0.731_058_578_630_004_9).abs() < 1e-15); // 1 · σ(1)
/// ```
pub fn silu<T: Real>(z: T) -> T {
    z * sigmoid(z)
}

/// SiLU's derivative: `σ'(z) = s (1 + z (1 − s))`, `s = sigmoid(z)`; ½ at the origin.
///
/// ```
/// use bplab_manual::layers::activation::silu::silu_derivative;
///
/// assert_eq!(silu_derivative(0.0), 0.5); // ½ (1 + 0)
/// assert!(silu_derivative(40.0f64) > 0.999_999); // → 1 for large z, like ReLU
/// ```
pub fn silu_derivative<T: Real>(z: T) -> T {
    let s = sigmoid(z);
    s * (T::ONE + z * (T::ONE - s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_central_differences() {
        for i in -40..=40 {
            let z = i as f64 / 5.0 + 0.03;
            let h = 1e-6;
            let fd = (silu(z + h) - silu(z - h)) / (2.0 * h);
            assert!((fd - silu_derivative(z)).abs() <= 1e-8, "{z}");
        }
    }
}
