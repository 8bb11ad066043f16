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
//! - [`data`]: the Iris data shipped in `data/iris.csv`; [`output`]: CSV/JSON/SVG writing
//!   with non-finite values that round-trip; [`measure`]: norms, agreement, accuracy.

pub mod args;
pub mod clip;
pub mod data;
pub mod init;
pub mod measure;
pub mod output;
pub mod residual;
pub mod train;

use std::path::PathBuf;

/// One plot an experiment drew.
#[derive(Debug, Clone)]
pub struct Plot {
    /// File stem under the output directory (`heatmap-sigmoid-normal-1`).
    pub name: String,
    /// What it shows, one line.
    pub caption: String,
    pub svg: String,
}

/// What an experiment produced: for the terminal, the report and the docs.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `init`, `residual`, `clip`, `train`.
    pub name: &'static str,
    /// One line: what was run.
    pub title: String,
    /// The headline table(s) and findings as plain text (printed by `bplab experiment`).
    pub text: String,
    /// The same as Markdown (for `report/summary.md`).
    pub markdown: String,
    /// The plots, most important first.
    pub plots: Vec<Plot>,
    /// Every file written.
    pub files: Vec<PathBuf>,
    /// Whether every cross-engine comparison the experiment makes agreed within tolerance
    /// (or differed for a documented, pinned reason).
    pub engines_agree: bool,
}

use bplab_core::{Engine, Result};

/// The selected engines with the manual engine first: it is every comparison's reference,
/// so it runs even when not selected (and is then left out of the tables' engine columns).
pub fn with_reference(spec: &str) -> Result<Vec<Box<dyn Engine>>> {
    let mut engines = crate::engines::select(spec)?;
    if engines.first().map(|e| e.name()) != Some("manual") {
        engines.insert(0, crate::engines::engine("manual")?);
    }
    Ok(engines)
}

/// The default output directory of experiment `name`: `results/NAME/`.
pub fn default_out(name: &str) -> PathBuf {
    PathBuf::from("results").join(name)
}
