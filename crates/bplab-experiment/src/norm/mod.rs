//! `experiment norm`: the lesson's fourth remedy for vanishing and exploding gradients,
//! normalization, against the others on the Iris task (`4 → depth hidden layers of width →
//! 2`, softmax cross-entropy): plain, LayerNorm, BatchNorm, residual and residual + LayerNorm
//! networks of equal width ([`Arch`]). At init: the error signal that reaches the first layer
//! (`‖δ_1‖/‖δ_L‖`) and every hidden layer's activation standard deviation; then full-batch
//! SGD on every engine: the loss and the test accuracy (BatchNorm evaluated with its running
//! statistics). `config.rs` says what runs, `measure.rs` runs it, `report.rs` shows it.

mod config;
mod measure;
mod report;

pub use config::{Arch, NormArgs, NormConfig};
pub use measure::{measure, run_of, NormResults, Run};
pub use report::{findings, run, table, SECTION};
