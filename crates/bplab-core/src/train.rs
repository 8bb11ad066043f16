//! Training through an engine's own objects: the [`Trainer`] trait (a network's parameters and
//! one batch held as the engine's native tensors, a forward pass, a backward pass, an SGD step),
//! the [`Sgd`] configuration and the gradient-clipping rules ([`Clip`]) every engine implements
//! with the same semantics.
//!
//! A trainer is what a user's training loop looks like in that framework: data converted once,
//! then `forward`/`grads`/`step` on native tensors. Benchmarks time these calls; experiments
//! train with them; the values only cross back as `f64` through [`Trainer::params`].

use crate::batch::Batch;
use crate::error::{Error, Result};
use crate::params::ParamSet;
use std::fmt;
use std::str::FromStr;

/// How gradients are clipped before the update. Every engine implements each rule exactly so.
///
/// The norm rules always multiply by a coefficient `k = min(1, c / (‖g‖ + ε))` computed as
/// PyTorch and burn compute it: a NaN norm gives `k = NaN` (every gradient becomes NaN, the
/// step is visibly lost), an infinite norm gives `k = 0` (finite elements become 0, infinite
/// ones NaN). Norms are `sqrt(Σ g²)` in the engine's dtype, without rescaling, so a sum of
/// squares that overflows is an infinite norm on every engine.
///
/// burn stores its clipping thresholds as `f32`: a threshold that is not exactly an `f32`
/// (0.1, say) is applied by burn at the nearest `f32`; thresholds such as 1, 0.5 or 0.25 give
/// every engine the same rule.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Clip {
    /// No clipping.
    #[default]
    None,
    /// Each gradient element clamped to `[−c, c]` (PyTorch's `clip_grad_value_`, burn's
    /// `GradientClipping::Value`); NaN stays NaN, `±inf` becomes `±c`.
    Value(f64),
    /// One L2 norm over all parameters together, `n = sqrt(Σ_tensors Σ g²)`; every gradient
    /// is scaled by `min(1, c / (n + 1e-6))` (PyTorch's `clip_grad_norm_`; note that a norm
    /// just below `c` is still scaled by slightly less than 1, as in PyTorch).
    GlobalNorm(f64),
    /// Each tensor's own L2 norm `n_t`; that tensor is scaled by `min(1, c / n_t)` (burn's
    /// `GradientClipping::Norm`, which divides by `n_t + min_positive(dtype)`: the same
    /// value for every norm that is not subnormal).
    PerTensorNorm(f64),
}

/// The `1e-6` PyTorch's `clip_grad_norm_` adds to the norm before dividing.
pub const GLOBAL_NORM_EPS: f64 = 1e-6;

/// `min(1, k)`, with a NaN `k` kept NaN (PyTorch's `clamp(max=1)`, burn's `clamp_max(1)`).
fn at_most_one(k: f64) -> f64 {
    if k.is_nan() || k < 1.0 {
        k
    } else {
        1.0
    }
}

impl Clip {
    /// The factor a tensor of L2 norm `tensor_norm` is multiplied by, given the global norm
    /// over all tensors: `min(1, c / (global_norm + 1e-6))` for [`Clip::GlobalNorm`],
    /// `min(1, c / tensor_norm)` for [`Clip::PerTensorNorm`], NaN propagating. `Value` does
    /// not scale (it clamps element-wise, see [`Clip::clamp`]), so it returns 1, as does `None`.
    pub fn scale(self, tensor_norm: f64, global_norm: f64) -> f64 {
        match self {
            Clip::None | Clip::Value(_) => 1.0,
            Clip::GlobalNorm(c) => at_most_one(c / (global_norm + GLOBAL_NORM_EPS)),
            Clip::PerTensorNorm(c) => at_most_one(c / tensor_norm),
        }
    }

    /// One element after [`Clip::Value`]'s clamp (`g` itself for the other rules):
    /// `c` if `g > c`, `−c` if `g < −c`, otherwise `g` (NaN stays NaN).
    pub fn clamp(self, g: f64) -> f64 {
        match self {
            Clip::Value(c) if g > c => c,
            Clip::Value(c) if g < -c => -c,
            _ => g,
        }
    }

    /// Given each gradient tensor's sum of squares `Σ g²`, the global L2 norm
    /// `sqrt(Σ_tensors Σ g²)` and the factor each tensor is multiplied by ([`Clip::scale`]).
    /// The one place engines that clip by hand get their coefficients from.
    pub fn coefficients(self, sum_squares: &[f64]) -> (f64, Vec<f64>) {
        let global = sum_squares.iter().sum::<f64>().sqrt();
        let k = sum_squares
            .iter()
            .map(|&s| self.scale(s.sqrt(), global))
            .collect();
        (global, k)
    }

    /// The threshold `c`, if any.
    pub fn threshold(self) -> Option<f64> {
        match self {
            Clip::None => None,
            Clip::Value(c) | Clip::GlobalNorm(c) | Clip::PerTensorNorm(c) => Some(c),
        }
    }

    /// Checks the threshold: finite and `> 0`.
    pub fn validate(self) -> Result<()> {
        match self.threshold() {
            Some(c) if !(c.is_finite() && c > 0.0) => Err(Error::Parse(format!(
                "--clip: the threshold must be a finite number > 0, got {c}"
            ))),
            _ => Ok(()),
        }
    }
}

impl FromStr for Clip {
    type Err = Error;
    /// `none`, `value:C`, `global-norm:C`, `per-tensor-norm:C` (the [`fmt::Display`] form).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::Parse(format!(
                "--clip: unknown clipping '{s}' (expected none, value:C, global-norm:C or per-tensor-norm:C)"
            ))
        };
        if s == "none" {
            return Ok(Clip::None);
        }
        let (kind, c) = s.split_once(':').ok_or_else(bad)?;
        let c: f64 = c.trim().parse().map_err(|_| bad())?;
        let clip = match kind {
            "value" => Clip::Value(c),
            "global-norm" => Clip::GlobalNorm(c),
            "per-tensor-norm" => Clip::PerTensorNorm(c),
            _ => return Err(bad()),
        };
        clip.validate()?;
        Ok(clip)
    }
}

impl fmt::Display for Clip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clip::None => f.write_str("none"),
            Clip::Value(c) => write!(f, "value:{c}"),
            Clip::GlobalNorm(c) => write!(f, "global-norm:{c}"),
            Clip::PerTensorNorm(c) => write!(f, "per-tensor-norm:{c}"),
        }
    }
}

/// Plain stochastic gradient descent: `θ ← θ − lr · clip(∂L/∂θ)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f64,
    /// Clipping applied to the gradients before the update.
    pub clip: Clip,
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd {
            lr: 0.1,
            clip: Clip::None,
        }
    }
}

/// What one training step measured (before the update was applied).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    /// The loss of the batch at the parameters before the step.
    pub loss: f64,
    /// The L2 norm over all parameter gradients, before clipping.
    pub grad_norm: f64,
}

/// A network's parameters and one batch as one engine's native objects, in one dtype.
pub trait Trainer {
    /// Replaces the batch (converted once into the engine's tensors).
    fn set_batch(&mut self, batch: &Batch) -> Result<()>;
    /// Forward pass on the current batch; returns the loss.
    fn forward(&mut self) -> Result<f64>;
    /// Forward and backward pass: the loss and every parameter gradient (kept by the trainer).
    fn grads(&mut self) -> Result<f64>;
    /// One SGD step: forward, backward, clipping, update.
    fn step(&mut self, sgd: &Sgd) -> Result<StepStats>;
    /// The current parameters, as `f64` in PyTorch naming.
    fn params(&self) -> Result<ParamSet>;
    /// BatchNorm's running statistics after the steps taken so far (`norm{l}.running_mean`,
    /// `norm{l}.running_var`, PyTorch's buffer names; updated once per [`Trainer::step`]);
    /// empty for a network without BatchNorm.
    fn running_stats(&self) -> Result<ParamSet> {
        Ok(ParamSet::from_entries(Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_rules_scale_like_pytorch_and_burn() {
        // Global: min(1, c/(n + 1e-6)) — a norm just below c is still scaled a little.
        assert_eq!(Clip::GlobalNorm(1.0).scale(0.0, 4.0), 1.0 / (4.0 + 1e-6));
        assert!(Clip::GlobalNorm(1.0).scale(0.0, 1.0 - 1e-7) < 1.0);
        assert_eq!(Clip::GlobalNorm(1.0).scale(0.0, 0.5), 1.0);
        // Per tensor: min(1, c/n_t); a zero norm is not scaled.
        assert_eq!(Clip::PerTensorNorm(2.0).scale(8.0, 100.0), 0.25);
        assert_eq!(Clip::PerTensorNorm(2.0).scale(0.0, 100.0), 1.0);
        // Non-finite norms: NaN propagates, inf gives 0.
        assert!(Clip::GlobalNorm(1.0).scale(0.0, f64::NAN).is_nan());
        assert!(Clip::PerTensorNorm(1.0).scale(f64::NAN, 0.0).is_nan());
        assert_eq!(Clip::GlobalNorm(1.0).scale(0.0, f64::INFINITY), 0.0);
        assert_eq!(Clip::None.scale(f64::NAN, f64::NAN), 1.0);
    }

    #[test]
    fn value_rule_clamps_and_keeps_nan() {
        let v = Clip::Value(0.5);
        assert_eq!(v.clamp(2.0), 0.5);
        assert_eq!(v.clamp(-f64::INFINITY), -0.5);
        assert_eq!(v.clamp(0.25), 0.25);
        assert!(v.clamp(f64::NAN).is_nan());
        assert_eq!(Clip::GlobalNorm(0.5).clamp(2.0), 2.0);
    }

    #[test]
    fn coefficients_from_sums_of_squares() {
        let (n, k) = Clip::PerTensorNorm(1.0).coefficients(&[9.0, 16.0, 0.25]);
        assert_eq!(n, 25.25f64.sqrt());
        assert_eq!(k, vec![1.0 / 3.0, 0.25, 1.0]);
    }

    #[test]
    fn parses_its_display_form_and_rejects_bad_thresholds() {
        for c in [
            Clip::None,
            Clip::Value(0.5),
            Clip::GlobalNorm(1.0),
            Clip::PerTensorNorm(2.5),
        ] {
            assert_eq!(c.to_string().parse::<Clip>().unwrap(), c);
        }
        for bad in [
            "value",
            "value:-1",
            "global-norm:0",
            "norm:1",
            "value:NaN",
            "value:inf",
        ] {
            let e = bad.parse::<Clip>().unwrap_err();
            assert!(e.to_string().starts_with("--clip"), "{bad}: {e}");
        }
    }
}
