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
//! Read it in this order:
//! 1. [`layers`]: each layer kind's forward and backward side by side ([`layers::linear`],
//!    [`layers::activation`], [`layers::loss`]), every kernel with a worked example;
//! 2. [`model`]: the network — forward caches every `z`, activation and `h`, backward is the
//!    literal reverse — and around it the fused [`Dense`] layer a framework registers as a
//!    custom op, the [`ManualEngine`] adapter and the [`ManualTrainer`].
//!
//! Then, apart from the lesson:
//! - [`kernels`]: the matrix product every Linear layer runs on (blocked, packed, two-threaded)
//!   and the f32 SIMD `tanh`;
//! - [`schedules`]: the same layers in other orders — forward-mode JVPs
//!   ([`schedules::jvp`]) and gradient checkpointing ([`schedules::checkpoint`]);
//! - [`conventions`]: other frameworks' documented deviations from the exact formulas,
//!   reproduced as another kernel set ([`conventions::Emulated`]) for the harness to explain a
//!   difference by agreement;
//! - [`fault`]: planted bugs for negative controls, reaching the backward only as another
//!   kernel set ([`fault::Planted`]) chosen at the engine boundary;
//! - [`real`]: the scalar trait [`Real`] for `f32`, `f64` and the 16-bit floats.

pub mod layers;
pub mod model;

pub mod conventions;
pub mod fault;
pub mod kernels;
pub mod real;
pub mod schedules;

pub use conventions::{Conventions, Emulated};
pub use fault::{Fault, Planted};
pub use layers::{BackwardKernels, Exact};
pub use model::dense::{CustomOps, Dense, DenseGrads};
pub use model::engine::ManualEngine;
pub use model::trainer::ManualTrainer;
pub use model::{Backward, Cache, Model};
pub use real::Real;
