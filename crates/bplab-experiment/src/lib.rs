//! `bplab experiment NAME`: measurements of the lesson's claims, run on every selected engine.
//! Each experiment is one file with a `Config` (enums and defaults that reproduce the
//! documented results, plus a `quick()` setting for the report and tests), a `run` that
//! returns an [`Outcome`], and the CSV/JSON/SVG files it writes under its output directory.
//!
//! - [`init`]: gradient flow at initialisation across schemes, activations and depths;
//! - [`residual`]: plain vs residual networks, gradients at init and training loss;
//! - [`clip`]: an exploding setup trained with each [`bplab_core::Clip`] rule;
//! - [`train`]: the assignment network trained on Iris, loss trajectories compared step by
//!   step across engines;
//! - [`data`]: the Iris data shipped in `data/iris.csv`; [`measure`]: norms and accuracy.
//!
//! Each experiment is also a report section (`InitSection`, …, implementing
//! [`bplab_output::report::ReportSection`]). The files go through [`bplab_output::files`];
//! engines are compared by [`bplab_harness::agreement`].

pub mod args;
pub mod clip;
pub mod data;
pub mod init;
pub mod measure;
pub mod residual;
pub mod train;

use std::path::PathBuf;

/// The default output directory of experiment `name`: `results/NAME/`.
pub fn default_out(name: &str) -> PathBuf {
    PathBuf::from("results").join(name)
}
