//! `bplab-burn`: the network in burn 0.22 — `burn::nn::Linear` layers, burn's activation
//! functions and losses, gradients from burn-autodiff (`loss.backward()`, `param.grad(&grads)`)
//! — over two CPU backends: burn-ndarray (`burn-ndarray`, deprecated upstream but compared
//! here) and burn-flex (`burn-flex`, burn's recommended pure-Rust CPU backend), each in `f32`
//! and `f64`, in any order within one process.
//!
//! - [`backend`]: which backend, its autodiff device, and why dtypes are set per tensor;
//! - [`convert`]: bplab tensors and `ParamSet`s ↔ burn tensors and `Linear` layers, with the
//!   weight transposition (`[n_out, n_in]` ↔ burn's `[n_in, n_out]`);
//! - [`model`]: the forward pass and the loss;
//! - [`engine`]: [`BurnEngine`], the [`bplab_core::Engine`] implementation;
//! - [`train`]: [`BurnTrainer`], the network as a burn `Module` trained with burn's SGD and
//!   gradient clipping;
//! - [`wgpu`] (feature `wgpu` or `vulkan`): the adapter of burn's wgpu runtime; the
//!   `burn-wgpu` engine on it (CubeCL kernels through WGSL), `f32` only;
//! - [`vulkan`] (feature `vulkan`): the `burn-vulkan` engine's device, the same runtime pinned
//!   to Vulkan with kernels compiled straight to SPIR-V.
//!
//! `docs/frameworks-burn.md` explains how burn computes the gradients and records what the
//! tests measured (op precision, ReLU at 0, leaf-only gradients).

pub mod backend;
pub mod checkpointing;
pub mod convert;
pub mod custom;
pub mod engine;
pub mod graph_stats;
pub mod host;
pub mod model;
pub mod norm;
pub mod train;
#[cfg(feature = "vulkan")]
pub mod vulkan;
#[cfg(any(feature = "wgpu", feature = "vulkan"))]
pub mod wgpu;

pub use backend::BurnBackend;
pub use engine::BurnEngine;
pub use train::{BurnTrainer, Mlp};

/// The name of the engine whose layers are the manual engine's custom op (on burn-flex).
pub const CUSTOM_ENGINE: &str = "burn-custom";
