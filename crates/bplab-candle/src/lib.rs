//! `bplab-candle` owns the network written with candle 0.11 (`candle-core` tensors and
//! autodiff, `candle_nn::Linear` layers and activations) behind the [`bplab_core::Engine`]
//! trait, as the engines `candle` and `candle-custom`, on `Device::Cpu` in `f32` or `f64`.
//!
//! - [`convert`]: boundary `f64` tensors and parameter sets ⇄ candle tensors and [`Var`]s;
//! - [`model`]: the forward pass (`Linear`, activations, residuals, losses) as a candle graph;
//! - [`engine`]: [`CandleEngine`], the backward pass through `loss.backward()` and the
//!   `GradStore` (parameter, input and per-layer `δ` gradients);
//! - [`train`]: [`CandleTrainer`], SGD with `candle_nn::optim::SGD` and hand-written clipping;
//! - [`custom`]: the manual engine's fused layer (`bplab_manual::Dense`) as a candle
//!   `CustomOp3` whose `bwd` is the hand-written backward — the engine `candle-custom`.
//!
//! How candle differentiates, the ReLU-at-0 behaviour and the measured precision of its
//! activations are written up in `docs/frameworks-candle.md`.
//!
//! [`Var`]: candle_core::Var

pub mod convert;
pub mod custom;
pub mod engine;
pub mod graph_stats;
pub mod low_precision;
pub mod model;
pub mod norm;
pub mod train;

pub use engine::CandleEngine;
pub use train::CandleTrainer;
