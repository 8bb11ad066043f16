//! Activations, forward and backward side by side: `a = σ(z)` and `δ = ∂L/∂a ⊙ σ'(z)`.
//!
//! Element-wise derivatives (read from the cached `z` and `a = σ(z)`):
//! - identity: `σ' = 1`
//! - relu: `σ' = 1` for `z > 0`, `0` for `z < 0` — **at exactly `z = 0` the derivative is 0**,
//!   as PyTorch defines it (`threshold_backward` passes the gradient only where `z > 0`);
//! - leaky-relu: `σ' = 1` for `z > 0`, `0.01` for `z < 0`, and `0.01` at exactly 0 (PyTorch);
//!
//!   the value at exactly 0 is a [`KinkGrads`] argument (default [`KinkGrads::PYTORCH`]) so the
//!   harness can reproduce another framework's convention when it explains a difference;
//! - sigmoid: `σ' = a (1 − a)` (at most 1/4: the lesson's vanishing factor);
//! - tanh: `σ' = 1 − a²`;
//! - gelu (exact): `σ' = Φ(z) + z φ(z)`, `Φ(z) = ½(1 + erf(z/√2))`, `φ(z) = e^{−z²/2}/√(2π)`.
//!
//! Softmax acts on a whole row: `a_k = e^{z_k} / Σ_j e^{z_j}`, with Jacobian
//! `∂a_k/∂z_j = a_k (1[k = j] − a_j)`, so the backward is the vector–Jacobian product
//! `δ_j = a_j (g_j − Σ_k g_k a_k)` for `g = ∂L/∂a`. With cross-entropy the fused form in
//! [`crate::layers::loss`] is used instead.

use crate::real::Real;
use bplab_core::spec::{KinkGrads, LEAKY_SLOPE};
use bplab_core::Activation;

const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// `1/√(2π)`.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `a = σ(z)`, row by row. Shapes: `z`, `a` `(B, n)`.
pub fn activation_forward<T: Real>(act: Activation, z: &[T], a: &mut [T], n: usize) {
    if act == Activation::Softmax {
        for (z_row, a_row) in z.chunks_exact(n).zip(a.chunks_exact_mut(n)) {
            softmax_row(z_row, a_row);
        }
        return;
    }
    if act == Activation::Tanh {
        return T::tanh_slice(z, a);
    }
    for (a, &z) in a.iter_mut().zip(z) {
        *a = apply(act, z);
    }
}

/// `δ = g ⊙ σ'(z)` (or softmax's vector–Jacobian product), from the cached `z` and `a`,
/// with `at_zero` giving ReLU's and leaky-ReLU's derivative at exactly 0.
/// Shapes: `delta`, `g` (`∂L/∂a`), `z`, `a` `(B, n)`.
pub fn activation_backward<T: Real>(
    act: Activation,
    delta: &mut [T],
    g: &[T],
    z: &[T],
    a: &[T],
    n: usize,
    at_zero: KinkGrads,
) {
    if act == Activation::Softmax {
        for ((d_row, g_row), a_row) in delta
            .chunks_exact_mut(n)
            .zip(g.chunks_exact(n))
            .zip(a.chunks_exact(n))
        {
            let mut dot = T::ZERO; // Σ_k g_k a_k
            for (&g, &a) in g_row.iter().zip(a_row) {
                dot += g * a;
            }
            for ((d, &g), &a) in d_row.iter_mut().zip(g_row).zip(a_row) {
                *d = a * (g - dot);
            }
        }
        return;
    }
    for (((d, &g), &z), &a) in delta.iter_mut().zip(g).zip(z).zip(a) {
        *d = g * derivative(act, z, a, at_zero);
    }
}

/// `σ(z)` for an element-wise activation.
pub fn apply<T: Real>(act: Activation, z: T) -> T {
    match act {
        Activation::Identity => z,
        // NaN propagates (`z != z`), as in PyTorch, burn and candle: `max(z, 0)` written as
        // `z > 0` alone would turn a NaN into 0 and hide a diverged run.
        Activation::Relu =>
        {
            #[allow(clippy::eq_op)]
            if z > T::ZERO || z != z {
                z
            } else {
                T::ZERO
            }
        }
        Activation::LeakyRelu => {
            if z > T::ZERO {
                z
            } else {
                T::from_f64(LEAKY_SLOPE) * z
            }
        }
        Activation::Sigmoid => {
            // Evaluated on the side where the exponential cannot overflow.
            if z >= T::ZERO {
                T::ONE / (T::ONE + (-z).exp())
            } else {
                let e = z.exp();
                e / (T::ONE + e)
            }
        }
        Activation::Tanh => z.tanh(),
        Activation::Gelu => {
            T::from_f64(0.5) * z * (T::ONE + (z * T::from_f64(FRAC_1_SQRT_2)).erf())
        }
        Activation::Softmax => unreachable!("softmax is row-wise: use activation_forward"),
    }
}

/// `σ'(z)` given `z` and `a = σ(z)` (`at_zero`: the kinks' derivative at exactly 0).
pub fn derivative<T: Real>(act: Activation, z: T, a: T, at_zero: KinkGrads) -> T {
    match act {
        Activation::Identity => T::ONE,
        // At exactly 0: `at_zero` (PyTorch's convention, the default, is the left slope).
        Activation::Relu if z == T::ZERO => T::from_f64(at_zero.relu),
        Activation::Relu if z > T::ZERO => T::ONE,
        Activation::Relu => T::ZERO,
        Activation::LeakyRelu if z == T::ZERO => T::from_f64(at_zero.leaky_relu),
        Activation::LeakyRelu if z > T::ZERO => T::ONE,
        Activation::LeakyRelu => T::from_f64(LEAKY_SLOPE),
        Activation::Sigmoid => a * (T::ONE - a),
        Activation::Tanh => T::ONE - a * a,
        Activation::Gelu => {
            let cdf = T::from_f64(0.5) * (T::ONE + (z * T::from_f64(FRAC_1_SQRT_2)).erf());
            let pdf = T::from_f64(INV_SQRT_2PI) * (T::from_f64(-0.5) * z * z).exp();
            cdf + z * pdf
        }
        Activation::Softmax => unreachable!("softmax is row-wise: use activation_backward"),
    }
}

/// `a = softmax(z)` for one row, shifted by the row maximum so no exponential overflows.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinks_follow_pytorch() {
        assert_eq!(
            derivative(Activation::Relu, 0.0f64, 0.0, KinkGrads::PYTORCH),
            0.0
        );
        assert_eq!(
            derivative(Activation::LeakyRelu, 0.0f64, 0.0, KinkGrads::PYTORCH),
            0.01
        );
        let candle = KinkGrads {
            relu: 1.0,
            leaky_relu: 0.505,
        };
        assert_eq!(derivative(Activation::Relu, 0.0f64, 0.0, candle), 1.0);
        assert_eq!(derivative(Activation::Relu, -0.0f64, 0.0, candle), 1.0);
        assert_eq!(
            derivative(Activation::LeakyRelu, 0.0f64, 0.0, candle),
            0.505
        );
        assert!(apply(Activation::Relu, f64::NAN).is_nan());
        assert_eq!(
            derivative(Activation::Relu, 1e-300f64, 1e-300, KinkGrads::PYTORCH),
            1.0
        );
        assert_eq!(
            derivative(Activation::Relu, -1e-300f64, 0.0, KinkGrads::PYTORCH),
            0.0
        );
    }

    #[test]
    fn sigmoid_derivative_is_at_most_a_quarter() {
        for i in -100..=100 {
            let z = i as f64 / 10.0;
            let d = derivative(
                Activation::Sigmoid,
                z,
                apply(Activation::Sigmoid, z),
                KinkGrads::PYTORCH,
            );
            assert!(d <= 0.25 && d > 0.0, "{z}: {d}");
        }
        assert_eq!(
            derivative(
                Activation::Sigmoid,
                0.0,
                apply(Activation::Sigmoid, 0.0),
                KinkGrads::PYTORCH
            ),
            0.25
        );
    }

    #[test]
    fn derivatives_match_central_differences() {
        for act in [
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Gelu,
            Activation::Identity,
        ] {
            for i in -40..=40 {
                let z = i as f64 / 8.0 + 0.0625;
                let h = 1e-6;
                let fd = (apply(act, z + h) - apply(act, z - h)) / (2.0 * h);
                let an = derivative(act, z, apply(act, z), KinkGrads::PYTORCH);
                assert!((fd - an).abs() <= 1e-8, "{act} at {z}: {an} vs {fd}");
            }
        }
    }

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        let z = [1000.0f64, 1001.0, -1000.0];
        let mut a = [0.0; 3];
        softmax_row(&z, &mut a);
        assert!((a.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(a.iter().all(|v| v.is_finite()));
    }
}
