//! Training through an engine's own objects: the [`Trainer`] trait (a network's parameters and
//! one batch held as the engine's native tensors, a forward pass, a backward pass, an SGD step),
//! the [`Sgd`] configuration and the gradient-clipping rules ([`Clip`]) every engine implements
//! with the same semantics.
//!
//! A trainer is what a user's training loop looks like in that framework: data converted once,
//! then `forward`/`grads`/`step` on native tensors. Benchmarks time these calls; experiments
//! train with them; the values only cross back as `f64` through [`Trainer::params`].

use crate::batch::Batch;
use crate::error::Result;
use crate::params::ParamSet;
use std::fmt;

/// How gradients are clipped before the update. Every engine implements each rule exactly so.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Clip {
    /// No clipping.
    #[default]
    None,
    /// Each gradient element clamped to `[−c, c]` (PyTorch's `clip_grad_value_`, burn's
    /// `GradientClipping::Value`).
    Value(f64),
    /// One L2 norm over all parameters together; every gradient is scaled by
    /// `min(1, c / (norm + 1e-6))` (PyTorch's `clip_grad_norm_`).
    GlobalNorm(f64),
    /// Each tensor's own L2 norm; a tensor whose norm exceeds `c` is scaled by `c / norm`
    /// (burn's `GradientClipping::Norm`).
    PerTensorNorm(f64),
}

/// The `1e-6` PyTorch's `clip_grad_norm_` adds to the norm before dividing.
pub const GLOBAL_NORM_EPS: f64 = 1e-6;

impl Clip {
    /// The factor a tensor of L2 norm `tensor_norm` is scaled by, given the global norm over
    /// all tensors (`Value` does not scale: it clamps element-wise, so it returns 1).
    pub fn scale(self, tensor_norm: f64, global_norm: f64) -> f64 {
        match self {
            Clip::None | Clip::Value(_) => 1.0,
            // PyTorch: `clip_coef = max_norm / (total_norm + 1e-6)`, clamped to at most 1.
            Clip::GlobalNorm(c) => (c / (global_norm + GLOBAL_NORM_EPS)).min(1.0),
            Clip::PerTensorNorm(c) => {
                if tensor_norm > c {
                    c / tensor_norm
                } else {
                    1.0
                }
            }
        }
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
}
