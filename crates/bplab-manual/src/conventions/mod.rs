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
//! | (none uses it) | burn-autodiff | [`burn::div_scalar_grad`] |

pub mod burn;
pub mod candle;

use crate::layers::activation::{activation_backward, activation_forward};
use crate::layers::linear::linear_backward;
use crate::layers::loss::cross_entropy_backward;
use crate::layers::BackwardKernels;
use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::{Activation, NetSpec};

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
}

impl Conventions {
    /// The exact formulas, PyTorch's kink convention: the manual engine itself.
    pub const EXACT: Conventions = Conventions {
        kinks: KinkGrads::PYTORCH,
        gelu_backward: GeluBackward::Exact,
        sigmoid_f32: false,
    };

    /// Whether any kernel differs from the lesson's (the kinks are an argument of those).
    pub fn needs_kernels(&self) -> bool {
        self.gelu_backward != GeluBackward::Exact || self.sigmoid_f32
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
        let has = |a: Activation| spec.activations().contains(&a);
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
        out
    }
}

/// The lesson's kernels with a framework's [`Conventions`] in place of the exact formulas it
/// deviates from; everything else is the exact kernel.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Emulated(pub Conventions);

impl BackwardKernels for Emulated {
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
            sigmoid_f32: false,
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
