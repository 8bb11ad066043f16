//! Other frameworks' arithmetic, reproduced: each documented deviation of a framework from the
//! exact formula as a small named kernel ([`burn`], [`candle`]), and [`Emulated`], the kernel
//! set that runs the manual model with a chosen list of them ([`Conventions`]).
//!
//! None of this is the lesson: the model a learner reads runs over [`crate::layers::Exact`].
//! A harness that sees a framework's gradients differ from the exact manual engine re-runs the
//! manual engine over [`Emulated`] with that framework's conventions
//! ([`crate::ManualEngine::with_conventions`]); when the two then agree at the exact tolerance
//! of the dtype, the difference is explained, and anything else is a real mismatch.
//!
//! | convention | framework | source |
//! |---|---|---|
//! | [`Conventions::kinks`] | candle, burn | relu/leaky-relu derivative at exactly 0 ([`KinkGrads`]) |
//! | [`GeluBackward::BurnNdarrayTanh`] | burn-ndarray | [`burn::ndarray_gelu_derivative`] |
//! | [`GeluBackward::CandleConstant`] | candle | [`candle::gelu_erf_derivative`] |
//! | [`Conventions::sigmoid_f32`] | burn-ndarray | [`burn::ndarray_sigmoid`] |
//! | [`Conventions::layer_norm_eps_f32`] | candle | [`candle::layer_norm_eps`] |
//! | [`Conventions::layers`] | the custom-op engines | the above on the normalized layers only ([`Layers`]) |
//! | (none uses it) | burn-autodiff | [`burn::div_scalar_grad`] |
//!
//! burn's norms need no convention: `LayerNorm` (burn-nn-0.22.1/src/modules/norm/layer.rs:84-105,
//! burn-backend-0.22.1/src/backend/ops/modules/base.rs:983-1013, differentiated op by op) and
//! `BatchNorm`'s training path (burn-nn-0.22.1/src/modules/norm/batch.rs:153-177; its backward
//! burn-backend-0.22.1/src/backend/ops/modules/base.rs:206-262) take ε as an f64, the biased
//! variance and the same three-term backward as [`crate::layers::norm`]; they differ from it
//! only in rounding (`(z − μ)/√(σ² + ε)` divides where the manual engine multiplies by
//! `rstd`). candle-nn's `BatchNorm` adds its f64 ε (candle-nn-0.11.1/src/batch_norm.rs:242).

pub mod burn;
pub mod candle;

use crate::layers::activation::{activation_backward, activation_forward};
use crate::layers::linear::linear_backward;
use crate::layers::loss::cross_entropy_backward;
use crate::layers::norm::{layernorm_forward, layernorm_forward_eps};
use crate::layers::BackwardKernels;
use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::{Activation, NetSpec, Norm};

/// Which derivative GELU's backward takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeluBackward {
    /// `Φ(z) + z φ(z)`, the derivative of the exact forward.
    #[default]
    Exact,
    /// burn-ndarray: the tanh approximation's derivative ([`burn::ndarray_gelu_derivative`]).
    BurnNdarrayTanh,
    /// candle: `0.398942` for `1/√(2π)` ([`candle::gelu_erf_derivative`]).
    CandleConstant,
}

/// The layers a convention set applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layers {
    /// Every layer: the framework computes the whole network.
    #[default]
    Every,
    /// The normalized layers only: a custom-op engine runs every other layer as the manual
    /// engine's fused op (`CustomOps::covers`), and a normalized layer with the framework's
    /// own norm and activation.
    Normalized,
}

/// A framework's deviations from the exact formulas, as the manual engine reproduces them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Conventions {
    /// ReLU's and leaky-ReLU's derivative at exactly 0.
    pub kinks: KinkGrads,
    /// GELU's derivative.
    pub gelu_backward: GeluBackward,
    /// The sigmoid computed in f32 and cast back, whatever the network's dtype
    /// ([`burn::ndarray_sigmoid`]).
    pub sigmoid_f32: bool,
    /// LayerNorm's `ε` rounded through f32 ([`candle::layer_norm_eps`]).
    pub layer_norm_eps_f32: bool,
    /// The layers the conventions apply to (the others compute exactly).
    pub layers: Layers,
}

impl Conventions {
    /// The exact formulas, PyTorch's kink convention: the manual engine itself.
    pub const EXACT: Conventions = Conventions {
        kinks: KinkGrads::PYTORCH,
        gelu_backward: GeluBackward::Exact,
        sigmoid_f32: false,
        layer_norm_eps_f32: false,
        layers: Layers::Every,
    };

    /// Whether any kernel differs from the lesson's (the kinks are an argument of those,
    /// unless the conventions cover only some layers).
    pub fn needs_kernels(&self) -> bool {
        self.gelu_backward != GeluBackward::Exact
            || self.sigmoid_f32
            || self.layer_norm_eps_f32
            || (self.layers != Layers::Every && self.kinks != KinkGrads::PYTORCH)
    }

    /// Whether the conventions apply to layer `l` of `spec`.
    pub fn cover(&self, spec: &NetSpec, l: usize) -> bool {
        self.layers == Layers::Every || spec.is_normalized(l)
    }

    /// The deviations that can change `spec`'s numbers, named for people (empty: none).
    ///
    /// ```
    /// use bplab_core::{Activation, Loss, NetSpec};
    /// use bplab_manual::conventions::{Conventions, GeluBackward};
    ///
    /// let spec = NetSpec::new(vec![2, 3, 1], vec![Activation::Gelu, Activation::Identity], Loss::Mse, false)?;
    /// let candle = Conventions { gelu_backward: GeluBackward::CandleConstant, ..Conventions::EXACT };
    /// assert_eq!(candle.names_for(&spec), ["gelu' with 0.398942 for 1/√(2π) (candle)"]);
    /// assert!(Conventions::EXACT.names_for(&spec).is_empty());
    /// # Ok::<(), bplab_core::Error>(())
    /// ```
    pub fn names_for(&self, spec: &NetSpec) -> Vec<String> {
        let has = |a: Activation| {
            let acts = spec.activations().iter().enumerate();
            acts.filter(|&(l, _)| self.cover(spec, l))
                .any(|(_, &b)| b == a)
        };
        let mut out = Vec::new();
        if has(Activation::Relu) && self.kinks.relu != KinkGrads::PYTORCH.relu {
            out.push(format!("relu'(0) = {}", self.kinks.relu));
        }
        if has(Activation::LeakyRelu) && self.kinks.leaky_relu != KinkGrads::PYTORCH.leaky_relu {
            out.push(format!("leaky_relu'(0) = {}", self.kinks.leaky_relu));
        }
        if has(Activation::Gelu) {
            match self.gelu_backward {
                GeluBackward::Exact => {}
                GeluBackward::BurnNdarrayTanh => {
                    out.push("gelu' of the tanh approximation (burn-ndarray)".into())
                }
                GeluBackward::CandleConstant => {
                    out.push("gelu' with 0.398942 for 1/√(2π) (candle)".into())
                }
            }
        }
        if has(Activation::Sigmoid) && self.sigmoid_f32 {
            out.push("sigmoid in f32 (burn-ndarray)".into());
        }
        if has(Activation::Silu) && self.sigmoid_f32 {
            out.push("silu's sigmoid in f32 (burn-ndarray)".into());
        }
        if spec.norm() == Norm::Layer && self.layer_norm_eps_f32 {
            out.push(format!(
                "LayerNorm's ε as f32, {:e} (candle)",
                candle::layer_norm_eps()
            ));
        }
        out
    }
}

/// The lesson's kernels with a framework's [`Conventions`] in place of the exact formulas it
/// deviates from; everything else is the exact kernel.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Emulated(pub Conventions);

impl BackwardKernels for Emulated {
    fn for_layer(&self, spec: &NetSpec, l: usize) -> Self {
        match self.0.cover(spec, l) {
            true => *self,
            false => Emulated(Conventions::EXACT),
        }
    }

    fn layernorm_forward<T: Real>(
        &self,
        out: &mut [T],
        mean: &mut [T],
        rstd: &mut [T],
        z: &[T],
        gamma: &[T],
        beta: &[T],
        n: usize,
    ) {
        match self.0.layer_norm_eps_f32 {
            true => {
                let eps = candle::layer_norm_eps();
                layernorm_forward_eps(out, mean, rstd, z, gamma, beta, n, eps)
            }
            false => layernorm_forward(out, mean, rstd, z, gamma, beta, n),
        }
    }

    fn activation_forward<T: Real>(&self, act: Activation, z: &[T], a: &mut [T], n: usize) {
        if act == Activation::Sigmoid && self.0.sigmoid_f32 {
            for (a, &z) in a.iter_mut().zip(z) {
                *a = burn::ndarray_sigmoid(z);
            }
        } else if act == Activation::Silu && self.0.sigmoid_f32 {
            // burn's silu is `x · sigmoid(x)` (burn-tensor-0.22.1/src/tensor/activation/base.rs:427-429).
            for (a, &z) in a.iter_mut().zip(z) {
                *a = z * burn::ndarray_sigmoid(z);
            }
        } else {
            activation_forward(act, z, a, n);
        }
    }

    fn linear_backward<T: Real>(
        &self,
        dinp: Option<&mut [T]>,
        dw: &mut [T],
        db: &mut [T],
        delta: &[T],
        inp: &[T],
        w: &[T],
        n_in: usize,
        n_out: usize,
    ) {
        linear_backward(dinp, dw, db, delta, inp, w, n_in, n_out);
    }

    fn activation_backward<T: Real>(
        &self,
        act: Activation,
        delta: &mut [T],
        g: &[T],
        z: &[T],
        a: &[T],
        n: usize,
        _at_zero: KinkGrads,
    ) {
        if act == Activation::Silu && self.0.sigmoid_f32 {
            // The product rule through burn-ndarray's f32 sigmoid: g·s + (g·z)·s(1 − s).
            for ((d, &g), &z) in delta.iter_mut().zip(g).zip(z) {
                let s = burn::ndarray_sigmoid(z);
                *d = g * s + (g * z) * (s * (T::ONE - s));
            }
            return;
        }
        let gelu: fn(T) -> T = match (act, self.0.gelu_backward) {
            (Activation::Gelu, GeluBackward::BurnNdarrayTanh) => burn::ndarray_gelu_derivative,
            (Activation::Gelu, GeluBackward::CandleConstant) => candle::gelu_erf_derivative,
            _ => return activation_backward(act, delta, g, z, a, n, self.0.kinks),
        };
        for ((d, &g), &z) in delta.iter_mut().zip(g).zip(z) {
            *d = g * gelu(z);
        }
    }

    fn cross_entropy_backward<T: Real>(&self, delta: &mut [T], y_hat: &[T], y: &[T], n: usize) {
        cross_entropy_backward(delta, y_hat, y, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::activation::elementwise::{gelu_derivative, sigmoid};

    #[test]
    fn each_convention_is_a_small_deviation_from_the_exact_formula() {
        for i in -40..=40 {
            let z = i as f64 / 10.0 + 0.013;
            let exact = gelu_derivative(z);
            let tanh = burn::ndarray_gelu_derivative(z);
            let candle = candle::gelu_erf_derivative(z);
            assert!((tanh - exact).abs() < 2e-3, "{z}: {tanh} vs {exact}");
            assert!((candle - exact).abs() < 3e-7, "{z}: {candle} vs {exact}");
            let s = burn::ndarray_sigmoid(z);
            assert!((s - sigmoid(z)).abs() < 1e-7, "{z}");
            assert_eq!(s, f64::from(s as f32), "{z}: an f32 value");
        }
        // Far enough from 0, each deviation is visible.
        assert!((burn::ndarray_gelu_derivative(-0.75f64) - gelu_derivative(-0.75f64)).abs() > 2e-4);
        assert!((candle::gelu_erf_derivative(-0.75f64) - gelu_derivative(-0.75f64)).abs() > 1e-7);
        assert_ne!(burn::ndarray_sigmoid(-4.97f64), sigmoid(-4.97f64));
    }

    #[test]
    fn emulated_kernels_apply_only_the_named_conventions() {
        let z = [-0.75f64, 0.0, 1.5];
        let mut a = [0.0; 3];
        let g = [1.0; 3];
        let mut d = [0.0; 3];
        let candle = Emulated(Conventions {
            kinks: KinkGrads {
                relu: 1.0,
                leaky_relu: 0.505,
            },
            gelu_backward: GeluBackward::CandleConstant,
            ..Conventions::EXACT
        });
        candle.activation_backward(Activation::Gelu, &mut d, &g, &z, &a, 3, KinkGrads::PYTORCH);
        assert_eq!(d, z.map(candle::gelu_erf_derivative));
        candle.activation_backward(Activation::Relu, &mut d, &g, &z, &a, 3, KinkGrads::PYTORCH);
        assert_eq!(d, [0.0, 1.0, 1.0]); // the set's relu'(0), not the argument's
        candle.activation_forward(Activation::Sigmoid, &z, &mut a, 3);
        assert_eq!(a, z.map(sigmoid)); // candle's sigmoid is exact
        let burn = Emulated(Conventions {
            sigmoid_f32: true,
            ..Conventions::EXACT
        });
        burn.activation_forward(Activation::Sigmoid, &z, &mut a, 3);
        assert_eq!(a, z.map(burn::ndarray_sigmoid));
        burn.activation_backward(Activation::Gelu, &mut d, &g, &z, &a, 3, KinkGrads::PYTORCH);
        assert_eq!(d, z.map(gelu_derivative));
    }
}
