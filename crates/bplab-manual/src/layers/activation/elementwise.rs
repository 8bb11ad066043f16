//! The element-wise activations, each forward `σ(z)` next to its derivative `σ'`. The
//! derivative reads whichever of `z` and the cached `a = σ(z)` makes it cheapest: sigmoid and
//! tanh reuse `a`, the kinks and gelu need `z`. (Identity, `σ(z) = z` and `σ' = 1`, needs no
//! function: see [`super::apply`] and [`super::derivative`].)

use crate::real::Real;
use bplab_core::spec::LEAKY_SLOPE;

const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// `1/√(2π)`.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// ReLU: `σ(z) = max(0, z)`. A NaN stays NaN, as in PyTorch and burn (candle's relu gives 0): `max(z, 0)`
/// written as `z > 0` alone would turn a NaN into 0 and hide a diverged run.
///
/// ```
/// use bplab_manual::layers::activation::elementwise::relu;
///
/// assert_eq!(relu(-2.0), 0.0);
/// assert_eq!(relu(3.0), 3.0);
/// assert!(relu(f64::NAN).is_nan());
/// ```
#[allow(clippy::eq_op)] // `z != z`: NaN
pub fn relu<T: Real>(z: T) -> T {
    if z > T::ZERO || z != z {
        z
    } else {
        T::ZERO
    }
}

/// ReLU's derivative: `1` for `z > 0`, `0` for `z < 0`, and `at_zero` at exactly `z = 0`, where
/// ReLU has none (PyTorch, the default, takes the left slope 0: [`KinkGrads::PYTORCH`]).
///
/// [`KinkGrads::PYTORCH`]: bplab_core::spec::KinkGrads::PYTORCH
///
/// ```
/// use bplab_manual::layers::activation::elementwise::relu_derivative;
///
/// assert_eq!(relu_derivative(3.0, 0.0), 1.0);
/// assert_eq!(relu_derivative(-2.0, 0.0), 0.0);
/// assert_eq!(relu_derivative(0.0, 0.0), 0.0); // PyTorch's convention at the kink
/// assert_eq!(relu_derivative(0.0, 1.0), 1.0); // another framework's
/// ```
pub fn relu_derivative<T: Real>(z: T, at_zero: f64) -> T {
    if z == T::ZERO {
        T::from_f64(at_zero)
    } else if z > T::ZERO {
        T::ONE
    } else {
        T::ZERO
    }
}

/// Leaky ReLU: `σ(z) = z` for `z > 0`, `0.01 z` otherwise ([`LEAKY_SLOPE`], PyTorch's default).
///
/// ```
/// use bplab_manual::layers::activation::elementwise::leaky_relu;
///
/// assert_eq!(leaky_relu(3.0), 3.0);
/// assert_eq!(leaky_relu(-2.0), -0.02); // 0.01 · (−2)
/// ```
pub fn leaky_relu<T: Real>(z: T) -> T {
    if z > T::ZERO {
        z
    } else {
        T::from_f64(LEAKY_SLOPE) * z
    }
}

/// Leaky ReLU's derivative: `1` for `z > 0`, `0.01` for `z < 0`, `at_zero` at exactly 0
/// (PyTorch: `0.01`).
///
/// ```
/// use bplab_manual::layers::activation::elementwise::leaky_relu_derivative;
///
/// assert_eq!(leaky_relu_derivative(3.0, 0.01), 1.0);
/// assert_eq!(leaky_relu_derivative(-2.0, 0.01), 0.01);
/// assert_eq!(leaky_relu_derivative(0.0, 0.01), 0.01);
/// ```
pub fn leaky_relu_derivative<T: Real>(z: T, at_zero: f64) -> T {
    if z == T::ZERO {
        T::from_f64(at_zero)
    } else if z > T::ZERO {
        T::ONE
    } else {
        T::from_f64(LEAKY_SLOPE)
    }
}

/// Sigmoid: `σ(z) = 1 / (1 + e^{−z})`, evaluated on the side where the exponential cannot
/// overflow (`e^z / (1 + e^z)` for `z < 0`).
///
/// ```
/// use bplab_manual::layers::activation::elementwise::sigmoid;
///
/// assert_eq!(sigmoid(0.0), 0.5); // 1 / (1 + e⁰) = 1/2
/// assert!(sigmoid(-800.0) >= 0.0 && sigmoid(800.0) == 1.0); // no overflow either way
/// ```
pub fn sigmoid<T: Real>(z: T) -> T {
    if z >= T::ZERO {
        T::ONE / (T::ONE + (-z).exp())
    } else {
        let e = z.exp();
        e / (T::ONE + e)
    }
}

/// Sigmoid's derivative from its output `a = σ(z)`: `σ' = a (1 − a)`, at most `¼` (at `z = 0`):
/// the lesson's vanishing factor.
///
/// ```
/// use bplab_manual::layers::activation::elementwise::sigmoid_derivative;
///
/// assert_eq!(sigmoid_derivative(0.5), 0.25); // ½ · (1 − ½)
/// assert_eq!(sigmoid_derivative(1.0), 0.0); // saturated: nothing flows back
/// ```
pub fn sigmoid_derivative<T: Real>(a: T) -> T {
    a * (T::ONE - a)
}

/// Tanh: `σ(z) = tanh z = (e^z − e^{−z}) / (e^z + e^{−z})`.
///
/// ```
/// use bplab_manual::layers::activation::elementwise::tanh;
///
/// assert_eq!(tanh(0.0), 0.0);
/// assert!((tanh(1.0f64) - 0.761_594_155_955_764_9).abs() < 1e-15);
/// ```
pub fn tanh<T: Real>(z: T) -> T {
    z.tanh()
}

/// Tanh's derivative from its output `a = tanh z`: `σ' = 1 − a²`.
///
/// ```
/// use bplab_manual::layers::activation::elementwise::tanh_derivative;
///
/// assert_eq!(tanh_derivative(0.0), 1.0); // the slope at the origin
/// assert_eq!(tanh_derivative(0.5), 0.75); // 1 − ½²
/// ```
pub fn tanh_derivative<T: Real>(a: T) -> T {
    T::ONE - a * a
}

/// Exact GELU: `σ(z) = z Φ(z) = ½ z (1 + erf(z/√2))`, `Φ` the standard normal's CDF.
///
/// ```
/// use bplab_manual::layers::activation::elementwise::gelu;
///
/// assert_eq!(gelu(0.0), 0.0);
/// assert!((gelu(1.0f64) - 0.841_344_746).abs() < 1e-9); // 1 · Φ(1)
/// ```
pub fn gelu<T: Real>(z: T) -> T {
    T::from_f64(0.5) * z * (T::ONE + (z * T::from_f64(FRAC_1_SQRT_2)).erf())
}

/// GELU's derivative: `σ' = Φ(z) + z φ(z)`, with `Φ(z) = ½(1 + erf(z/√2))` and
/// `φ(z) = e^{−z²/2}/√(2π)`.
///
/// ```
/// use bplab_manual::layers::activation::elementwise::gelu_derivative;
///
/// assert_eq!(gelu_derivative(0.0), 0.5); // Φ(0) + 0 · φ(0)
/// ```
pub fn gelu_derivative<T: Real>(z: T) -> T {
    let cdf = T::from_f64(0.5) * (T::ONE + (z * T::from_f64(FRAC_1_SQRT_2)).erf());
    let pdf = T::from_f64(INV_SQRT_2PI) * (T::from_f64(-0.5) * z * z).exp();
    cdf + z * pdf
}
