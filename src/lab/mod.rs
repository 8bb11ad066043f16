//! `bplab lab NAME`: the autograd internals lab — measurements of how backpropagation behaves
//! inside the engines, each with a table, CSV/JSON and SVG plots under `--out`, a section in
//! `docs/internals.md` and in the HTML report.
//!
//! - [`precision`]: gradients in `f16` and `bf16` (candle and the manual engine) against the
//!   `f64` truth, with static and dynamic loss scaling ([`scaler`]);
//! - [`overhead`]: where a training step's time goes in each engine — forward, backward,
//!   update, allocations, recorded graph nodes and the fixed cost per op ([`fit`]).

pub mod fit;
pub mod half_grads;
pub mod overhead;
pub mod overhead_out;
pub mod precision;
pub mod precision_files;
pub mod precision_out;
pub mod scaler;

use crate::experiment::Outcome;
use crate::render::Format;
use bplab_core::{Error, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Flags every lab takes.
#[derive(Args, Debug, Clone)]
pub struct LabCommon {
    /// Write NAME.csv, NAME.json and the SVG plots here (default `results/lab-NAME/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// table (default) or json.
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// The small setting (a few seconds).
    #[arg(long)]
    pub quick: bool,
}

/// `bplab lab` subcommands.
#[derive(Subcommand, Debug)]
pub enum LabCommand {
    /// f16 and bf16 gradients against f64: error per layer, underflow, loss scaling.
    Precision(precision::PrecisionArgs),
    /// Where each engine's step time goes: forward, backward, update, allocations, graph ops.
    Overhead(overhead::OverheadArgs),
}

/// `bplab lab NAME`.
#[derive(Args, Debug)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

impl LabArgs {
    /// `--format` of the chosen lab.
    pub fn format(&self) -> Result<Format> {
        let common = match &self.command {
            LabCommand::Precision(a) => &a.common,
            LabCommand::Overhead(a) => &a.common,
        };
        common.format.parse()
    }
}

/// Runs the lab.
pub fn run(args: LabArgs) -> Result<Outcome> {
    match args.command {
        LabCommand::Precision(a) => precision::run_args(a),
        LabCommand::Overhead(a) => overhead::run_args(a),
    }
}

/// What `bplab lab` prints: the tables and findings, or (`json`) the `NAME.json` document the
/// lab wrote.
pub fn render(o: &Outcome, format: Format) -> Result<String> {
    match format {
        Format::Table => Ok(crate::experiment::args::render(o)),
        Format::Json => {
            let path = o
                .files
                .iter()
                .find(|f| f.extension().is_some_and(|e| e == "json"))
                .ok_or_else(|| Error::Parse(format!("lab {}: no JSON document written", o.name)))?;
            std::fs::read_to_string(path).map_err(|e| Error::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    }
}

/// `results/lab-NAME/` unless `--out` says otherwise.
pub fn out_dir(common: &LabCommon, name: &str) -> PathBuf {
    common
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("lab-{name}")))
}

/// A whole number from `lo` to `hi` for `flag`, else a usage error.
pub fn in_range(flag: &str, v: usize, lo: usize, hi: usize) -> Result<usize> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(Error::Parse(format!(
            "{flag}: {v} is not from {lo} to {hi}"
        )))
    }
}

pub use crate::engines::guard;
