//! `bplab experiment NAME`: measurements of the lesson's claims, run on every selected engine.
//! Each experiment is a folder with the same three files: `config.rs` (the `Config` with
//! enums and defaults that reproduce docs/experiments.md, a `quick()` setting for the report
//! and tests, and the `Args` that build it), `measure.rs` (runs every engine, returns plain
//! results) and `report.rs` (table, findings, plots, the CSV/JSON/SVG files, `run` →
//! [`Outcome`](bplab_output::Outcome), and the report section).
//!
//! - [`init`]: gradient flow at initialisation across schemes, activations and depths;
//! - [`residual`]: plain vs residual networks, gradients at init and training loss;
//! - [`norm`]: plain vs LayerNorm vs BatchNorm vs residual (+ LayerNorm), gradients and
//!   activation scale at init, training loss and test accuracy;
//! - [`clip`]: an exploding setup trained with each [`bplab_core::Clip`] rule;
//! - [`train`]: the assignment network trained on Iris, loss trajectories compared step by
//!   step across engines;
//! - shared by them: [`data`] (the Iris data shipped in `data/iris.csv`), [`measure`] (norms
//!   and accuracy), [`flags`] (the flag groups); [`args`] is the `bplab experiment` command.
//!
//! Each experiment is also a report section (`init::SECTION`, …, a
//! [`bplab_output::report::OutcomeSection`]). The files go through [`bplab_output::files`];
//! engines are compared by [`bplab_harness::agreement`]. Experiments never import each other.

pub mod args;
pub mod clip;
pub mod data;
pub mod flags;
pub mod init;
pub mod measure;
pub mod norm;
pub mod residual;
pub mod train;

use std::path::PathBuf;

/// The default output directory of experiment `name`: `results/NAME/`.
pub fn default_out(name: &str) -> PathBuf {
    PathBuf::from("results").join(name)
}
