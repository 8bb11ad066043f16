//! `bplab-manual`: the network's forward and backward pass written out by hand — the chain
//! rule layer by layer, with no tensor or autodiff crate — generic over `f32` and `f64`.
//!
//! The backward pass is the lesson's recursion, with the batch mean entering once, in the
//! loss's seed gradient:
//! - output error: `δ_L = ∂L/∂z_L` (`= (ŷ − y)/B` for softmax + cross-entropy,
//!   `= (ŷ − y)/B ⊙ σ'(z_L)` for mse);
//! - hidden errors: `δ_l = (δ_{l+1} W_{l+1}) ⊙ σ'(z_l)` (batch rows; `W_{l+1}ᵀ δ_{l+1}` per
//!   example), plus the skip path `∂L/∂h_l` for residual layers;
//! - parameter gradients: `∂L/∂W_l = δ_lᵀ h_{l−1}` (`δ_l h_{l−1}ᵀ` summed over examples),
//!   `∂L/∂b_l = Σ_b δ_l`.
//!
//! Each layer kind's forward and backward sit side by side ([`linear`], [`activation`],
//! [`loss`]); [`model`] caches every `z`, activation and `h` in forward and runs backward as
//! the literal reverse; [`engine`] adapts it to [`bplab_core::Engine`].

pub mod activation;
pub mod checkpoint;
pub mod dense;
pub mod engine;
pub mod fastmath;
pub mod fault;
pub mod half_real;
pub mod jvp;
pub mod linear;
pub mod loss;
pub mod matmul;
pub mod model;
pub mod packed;
mod pool;
pub mod real;
pub mod trainer;

pub use dense::{CustomOps, Dense, DenseGrads};
pub use engine::ManualEngine;
pub use fault::Fault;
pub use model::{Backward, Cache, Model};
pub use real::Real;
pub use trainer::ManualTrainer;
