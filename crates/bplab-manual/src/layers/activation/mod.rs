//! Activations, forward and backward side by side: `a = σ(z)` and `δ = ∂L/∂a ⊙ σ'(z)`.
//!
//! Element-wise derivatives (read from the cached `z` and `a = σ(z)`), each activation with its
//! derivative next to it in [`elementwise`]:
//! - identity: `σ' = 1`
//! - relu: `σ' = 1` for `z > 0`, `0` for `z < 0` — **at exactly `z = 0` the derivative is 0**,
//!   as PyTorch defines it (`threshold_backward` passes the gradient only where `z > 0`);
//! - leaky-relu: `σ' = 1` for `z > 0`, `0.01` for `z < 0`, and `0.01` at exactly 0 (PyTorch);
//!
//!   the value at exactly 0 is a [`KinkGrads`] argument (default [`KinkGrads::PYTORCH`]) so the
//!   harness can reproduce another framework's convention when it explains a difference;
//! - sigmoid: `σ' = a (1 − a)` (at most 1/4: the lesson's vanishing factor);
//! - tanh: `σ' = 1 − a²`;
//! - gelu (exact): `σ' = Φ(z) + z φ(z)`, `Φ(z) = ½(1 + erf(z/√2))`, `φ(z) = e^{−z²/2}/√(2π)`;
//! - silu (swish, [`silu`]): `σ' = s (1 + z (1 − s))`, `s = sigmoid(z)`.
//!
//! Softmax acts on a whole row ([`softmax`]): `a_k = e^{z_k} / Σ_j e^{z_j}`, with Jacobian
//! `∂a_k/∂z_j = a_k (1[k = j] − a_j)`, so the backward is the vector–Jacobian product
//! `δ_j = a_j (g_j − Σ_k g_k a_k)` for `g = ∂L/∂a`. With cross-entropy the fused form in
//! [`crate::layers::loss`] is used instead.

pub mod elementwise;
pub mod silu;
pub mod softmax;

use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::Activation;
use elementwise::{
    gelu, gelu_derivative, leaky_relu, leaky_relu_derivative, relu, relu_derivative, sigmoid,
    sigmoid_derivative, tanh, tanh_derivative,
};
use silu::{silu, silu_derivative};
use softmax::{softmax_backward_row, softmax_row};

/// `a = σ(z)`, row by row (softmax) or element by element (every other activation; tanh in
/// one pass over the buffer, see [`Real::tanh_slice`]). Shapes: `z`, `a` `(B, n)`.
///
/// ```
/// use bplab_core::Activation;
/// use bplab_manual::layers::activation::activation_forward;
///
/// let z = [-2.0f64, 0.0, 3.0, 1.0]; // (B = 2, n = 2)
/// let mut a = [0.0; 4]; // (B, n)
/// activation_forward(Activation::Relu, &z, &mut a, 2);
/// assert_eq!(a, [0.0, 0.0, 3.0, 1.0]); // max(0, z)
/// activation_forward(Activation::Softmax, &z, &mut a, 2);
/// assert!((a[0] + a[1] - 1.0).abs() < 1e-15); // each row sums to 1
/// ```
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

/// `δ = g ⊙ σ'(z)` (or softmax's vector–Jacobian product, row by row), from the cached `z`
/// and `a`, with `at_zero` giving ReLU's and leaky-ReLU's derivative at exactly 0.
/// Shapes: `delta`, `g` (`∂L/∂a`), `z`, `a` `(B, n)`.
///
/// Sigmoid at `z = 0` has `a = ½` and `σ' = ½ (1 − ½) = ¼`, so `g = 2` becomes `δ = ½`; at
/// `a = 1` (saturated) the gradient vanishes:
///
/// ```
/// use bplab_core::spec::KinkGrads;
/// use bplab_core::Activation;
/// use bplab_manual::layers::activation::activation_backward;
///
/// let (z, a) = ([0.0, 40.0], [0.5, 1.0]); // (B = 1, n = 2): a = σ(z)
/// let g = [2.0, 2.0]; // ∂L/∂a
/// let mut delta = [0.0; 2]; // (B, n)
/// activation_backward(Activation::Sigmoid, &mut delta, &g, &z, &a, 2, KinkGrads::PYTORCH);
/// assert_eq!(delta, [0.5, 0.0]);
/// ```
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
            softmax_backward_row(d_row, g_row, a_row);
        }
        return;
    }
    for (((d, &g), &z), &a) in delta.iter_mut().zip(g).zip(z).zip(a) {
        *d = g * derivative(act, z, a, at_zero);
    }
}

/// `σ(z)` for an element-wise activation (the functions of [`elementwise`]).
///
/// ```
/// use bplab_core::Activation;
/// use bplab_manual::layers::activation::apply;
///
/// assert_eq!(apply(Activation::Identity, 2.5), 2.5); // a = z
/// assert_eq!(apply(Activation::Relu, -1.0), 0.0);
/// assert_eq!(apply(Activation::Sigmoid, 0.0), 0.5);
/// ```
pub fn apply<T: Real>(act: Activation, z: T) -> T {
    match act {
        Activation::Identity => z,
        Activation::Relu => relu(z),
        Activation::LeakyRelu => leaky_relu(z),
        Activation::Sigmoid => sigmoid(z),
        Activation::Tanh => tanh(z),
        Activation::Gelu => gelu(z),
        Activation::Silu => silu(z),
        Activation::Softmax => unreachable!("softmax is row-wise: use activation_forward"),
    }
}

/// `σ'(z)` given `z` and `a = σ(z)` (`at_zero`: the kinks' derivative at exactly 0).
///
/// ```
/// use bplab_core::spec::KinkGrads;
/// use bplab_core::Activation;
/// use bplab_manual::layers::activation::derivative;
///
/// let pt = KinkGrads::PYTORCH;
/// assert_eq!(derivative(Activation::Identity, 7.0, 7.0, pt), 1.0); // σ' = 1
/// assert_eq!(derivative(Activation::Tanh, 0.5493, 0.5, pt), 0.75); // 1 − a² = 1 − ¼
/// assert_eq!(derivative(Activation::Relu, 0.0, 0.0, pt), 0.0); // PyTorch's kink
/// ```
pub fn derivative<T: Real>(act: Activation, z: T, a: T, at_zero: KinkGrads) -> T {
    match act {
        Activation::Identity => T::ONE,
        Activation::Relu => relu_derivative(z, at_zero.relu),
        Activation::LeakyRelu => leaky_relu_derivative(z, at_zero.leaky_relu),
        Activation::Sigmoid => sigmoid_derivative(a),
        Activation::Tanh => tanh_derivative(a),
        Activation::Gelu => gelu_derivative(z),
        Activation::Silu => silu_derivative(z),
        Activation::Softmax => unreachable!("softmax is row-wise: use activation_backward"),
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
