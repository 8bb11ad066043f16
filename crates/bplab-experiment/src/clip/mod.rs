//! `experiment clip`: exploding gradients and their cure. A deep ReLU network with naive
//! `normal:1` weights on the Iris task, full-batch SGD, trained once per clipping rule
//! ([`bplab_core::Clip`]: none, by value, by global norm, by norm per tensor) on every
//! engine. Per rule: the loss curve, the steps whose loss or gradient norm was not finite,
//! the largest gradient norm, the final accuracy; and how closely every engine's clipped run
//! follows the manual engine's. `config.rs` says what runs, `measure.rs` runs it on every
//! engine, `report.rs` turns the results into a table, plots and files.

mod config;
mod measure;
mod report;

pub use config::{ClipArgs, ClipConfig};
pub use measure::{measure, ClipResults, RuleRun};
pub use report::{plots, run, table, SECTION};
