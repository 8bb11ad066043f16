//! `experiment residual`: plain against residual networks of equal width on the Iris task
//! (`4 → depth hidden layers of width → 2`, softmax cross-entropy; in the residual network
//! every hidden layer after the first computes `h = h_prev + act(W h_prev + b)`). Per-layer
//! gradient norms and error signals `‖δ_l‖` at init, then full-batch SGD on every engine: the
//! loss trajectory. `config.rs` says what runs, `measure.rs` runs it on every engine,
//! `report.rs` turns the results into a table, findings, plots and files.

mod config;
mod measure;
mod report;

pub use config::{Arch, ResidualArgs, ResidualConfig};
pub use measure::{measure, run_of, ResidualResults, Run};
pub use report::{findings, plots, run, table, SECTION};
