//! candle's arithmetic where it is not the exact formula, written as candle's source writes it.

use crate::real::Real;
use bplab_core::norm::NORM_EPS;

/// The `ε` candle's LayerNorm adds to `σ²`: 1e-5 rounded to f32, 9.999999747378752e-6, in
/// every dtype. `candle_nn::ops::layer_norm_slow` (the differentiable path the candle engines
/// call) takes `eps: f32` and adds `eps as f64` to the variance
/// (candle-nn-0.11.1/src/ops.rs:912, 925); the `LayerNorm` module's fused path passes
/// `self.eps as f32` too (src/layer_norm.rs:120, src/ops.rs:932). In f64 `rstd` then changes by
/// `2.5e-14/(2(σ² + ε))` relative, about 1.3e-9 when `σ²` is small against `ε`: more than
/// the exact tolerance, reproduced by the manual engine running
/// [`crate::layers::norm::layernorm_forward_eps`] with it.
///
/// ```
/// use bplab_manual::conventions::candle::layer_norm_eps;
///
/// assert_eq!(layer_norm_eps(), 9.999999747378752e-6);
/// assert_ne!(layer_norm_eps(), 1e-5);
/// ```
pub fn layer_norm_eps() -> f64 {
    f64::from(NORM_EPS as f32)
}

/// candle's `gelu_erf` derivative, with `0.398942` for `1/√(2π) = 0.3989422804…`
/// (candle-core-0.11.1/src/backprop.rs:626-635):
///
/// `0.5 + 0.398942·e^{−x²/2}·x + 0.5·erf(x·(1/√2))`
///
/// in the network's dtype (`0.398942 * t` and `x / √2` are `affine` ops with the scalar
/// rounded to the dtype, `x / s` multiplying by `1/s`, candle-core-0.11.1/src/tensor.rs).
///
/// ```
/// use bplab_manual::conventions::candle::gelu_erf_derivative;
///
/// assert_eq!(gelu_erf_derivative(0.0f64), 0.5);
/// let d = gelu_erf_derivative(-0.75f64); // the exact derivative is 7.742782607648435e-4
/// assert!((d - 7.744370043442639e-4).abs() < 1e-15);
/// ```
pub fn gelu_erf_derivative<T: Real>(x: T) -> T {
    let c = T::from_f64;
    let neg_half_square = -(x * x) * c(0.5); // (arg.sqr().neg() / 2.)
    let scaled_exp_arg = c(0.398942) * neg_half_square.exp() * x;
    let arg_scaled_sqrt = x * c(1.0 / 2f64.sqrt()); // arg / 2f64.sqrt()
    let erf_scaled_sqrt = c(0.5) * arg_scaled_sqrt.erf();
    c(0.5) + scaled_exp_arg + erf_scaled_sqrt
}
