//! burn-ndarray's arithmetic where it is not the exact formula, written as burn's source
//! writes it (burn-backend-0.22.1's trait defaults, which burn-ndarray does not override;
//! burn-flex overrides both with exact kernels).

use crate::real::Real;

/// burn-ndarray's GELU derivative: the derivative of the *tanh approximation*
/// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`, with burn's 6-digit constants, although its forward
/// pass is the exact erf form (burn-backend-0.22.1/src/backend/ops/activation.rs:98-128,
/// `gelu_backward`; burn-autodiff-0.22.1/src/ops/activation.rs:35 calls it):
///
/// `0.5·tanh(u) + (0.398942x + 0.0535161x³)(1 − tanh²(u)) + 0.5`, `u = 0.0356774x³ + 0.797885x`
///
/// in the network's dtype (`float_mul_scalar` rounds each constant to it; `float_tanh` goes
/// through f64, burn-ndarray-0.22.1/src/ops/tensor.rs:664-670).
///
/// ```
/// use bplab_manual::conventions::burn::ndarray_gelu_derivative;
///
/// assert_eq!(ndarray_gelu_derivative(0.0f64), 0.5); // equal to Φ(0) + 0·φ(0)
/// let d = ndarray_gelu_derivative(-0.75f64); // the exact derivative is 7.7428e-4
/// assert!((d - 1.0618610625562908e-3).abs() < 1e-15);
/// ```
pub fn ndarray_gelu_derivative<T: Real>(x: T) -> T {
    let c = T::from_f64;
    let x3 = x * x * x; // float_powi_scalar(x, 3)
    let inner1 = x3 * c(0.0356774) + x * c(0.797885);
    let inner2 = x3 * c(0.0535161) + x * c(0.398942);
    let tanh = T::from_f64(inner1.to_f64().tanh());
    let sech = -(tanh * tanh) + T::ONE;
    let y1 = tanh * c(0.5);
    let y2 = inner2 * sech + c(0.5);
    y1 + y2
}

/// burn-ndarray's sigmoid, in every dtype computed in f32 and cast back: burn-ndarray has no
/// sigmoid kernel, and the trait default casts to `FloatDType::F32` and evaluates
/// `exp(−ln(1 + exp(−x)))` (burn-backend-0.22.1/src/backend/ops/activation.rs:139-148; f32's
/// `exp`/`ln` are Rust's, burn-ndarray-0.22.1/src/element.rs:102-109). Its backward recomputes
/// this `σ` from the input and takes `σ(1 − σ)` in the network's dtype
/// (burn-autodiff-0.22.1/src/ops/activation.rs:107-108, burn-backend's `sigmoid_backward`), so
/// the manual engine's `a(1 − a)` from this cached `a` is the same arithmetic.
///
/// ```
/// use bplab_manual::conventions::burn::ndarray_sigmoid;
///
/// // burn-ndarray's "f64" sigmoid is its f32 one (docs/frameworks-burn.md).
/// assert_eq!(ndarray_sigmoid(1.0f64), f64::from(ndarray_sigmoid(1.0f32)));
/// assert_eq!(ndarray_sigmoid(0.0f64), 0.5);
/// assert_ne!(ndarray_sigmoid(-4.97f64), 1.0 / (1.0 + 4.97f64.exp()));
/// ```
pub fn ndarray_sigmoid<T: Real>(z: T) -> T {
    let x = z.to_f64() as f32; // float_cast(tensor, F32)
    let s = (-(((-x).exp() + 1.0).ln())).exp();
    T::from_f64(f64::from(s)) // float_cast back
}

/// burn-autodiff's `div_scalar` backward: the gradient is multiplied by `1/s` computed in
/// **f32** (`1.0 / scalar.elem::<f32>()`, burn-autodiff-0.22.1/src/ops/tensor.rs:507-510), in
/// every dtype. No engine of this project divides by a scalar inside a differentiated graph
/// (the mse loss multiplies by `0.5/B`, bplab-burn's `model::loss`), so no engine's convention
/// list names it; the kernel exists so that statement is checked:
/// `crates/bplab-burn/tests/it/div_scalar.rs` shows burn's gradient of `Σ w ⊙ (x / 10)` in
/// f64 agreeing with this kernel bit for bit and failing the exact tolerance against `w/10`.
///
/// ```
/// use bplab_manual::conventions::burn::div_scalar_grad;
///
/// assert_eq!(div_scalar_grad(1.0f64, 10.0), 0.10000000149011612); // (x / 10).sum()
/// assert_eq!(div_scalar_grad(1.0f64, 4.0), 0.25); // a power of two is exact
/// ```
pub fn div_scalar_grad<T: Real>(grad: T, s: f64) -> T {
    grad * T::from_f64(f64::from(1.0f32 / s as f32))
}
