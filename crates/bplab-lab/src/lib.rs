//! `bplab lab NAME`: the autograd internals lab — the lesson's claims about how automatic
//! differentiation works inside, turned into measurements on this machine. Each lab has a
//! `Config` (a full default and a `quick()` setting for the report and the tests), a `run` that
//! returns an [`Outcome`] (table, findings, plots, files), and a report section; every lab
//! writes `NAME.csv`, `NAME.json` and `NAME*.svg` under `--out`, and `docs/internals.md` has
//! a section per lab.
//!
//! - [`modes`]: forward mode (JVPs) against reverse mode as the parameter count grows, and
//!   the one-input-many-outputs case where forward mode wins;
//! - [`checkpoint`]: gradient checkpointing in the manual engine (segments of `k` layers) and
//!   burn's `Balanced` strategy: peak bytes held against time per step;
//! - [`precision`]: gradients in `f16` and `bf16` (candle and the manual engine) against the
//!   `f64` truth, with static and dynamic loss scaling ([`scaler`]);
//! - [`overhead`]: where a training step's time goes in each engine — forward, backward,
//!   update, allocations, recorded graph nodes and the fixed cost per op ([`fit`]).

pub mod checkpoint;
pub mod checkpoint_config;
pub mod checkpoint_report;
pub mod fit;
pub mod half_grads;
pub mod modes;
pub mod modes_config;
pub mod modes_report;
pub mod overhead;
pub mod overhead_out;
pub mod precision;
pub mod precision_files;
pub mod precision_out;
pub mod scaler;

use bplab_core::{Error, Result};
use bplab_output::table::{Format, Table};
use bplab_output::Outcome;
pub use checkpoint_report::CheckpointSection;
use clap::{Args, Subcommand};
pub use modes_report::ModesSection;
pub use overhead_out::OverheadSection;
pub use precision_out::PrecisionSection;
use std::path::PathBuf;

/// Flags every lab takes.
#[derive(Args, Debug, Clone)]
pub struct LabCommon {
    /// Output directory (default results/lab/NAME/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// table (default) or json (the document written to NAME.json).
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// The small setting the report and the tests use (seconds instead of minutes).
    #[arg(long)]
    pub quick: bool,
}

#[derive(Subcommand, Debug)]
pub enum LabCommand {
    /// Forward mode vs reverse mode: full-gradient cost as the parameter count grows.
    Modes(modes::ModesArgs),
    /// Gradient checkpointing: peak bytes held for backward vs time per step.
    Checkpoint(checkpoint::CheckpointArgs),
    /// f16 and bf16 gradients against f64: error per layer, underflow, loss scaling.
    Precision(precision::PrecisionArgs),
    /// Where each engine's step time goes: forward, backward, update, allocations, graph ops.
    Overhead(overhead::OverheadArgs),
}

impl LabCommand {
    /// The flags every lab shares.
    pub fn common(&self) -> &LabCommon {
        match self {
            LabCommand::Modes(a) => &a.common,
            LabCommand::Checkpoint(a) => &a.common,
            LabCommand::Precision(a) => &a.common,
            LabCommand::Overhead(a) => &a.common,
        }
    }
}

#[derive(Args, Debug)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

/// The default output directory of lab `name`: `results/lab/NAME/`.
pub fn default_out(name: &str) -> PathBuf {
    PathBuf::from("results").join("lab").join(name)
}

/// Runs the lab named by `args`.
pub fn run(args: LabArgs) -> Result<Outcome, Error> {
    match args.command {
        LabCommand::Modes(a) => modes::run(&a.config()?, &a.common.out_dir("modes")),
        LabCommand::Checkpoint(a) => checkpoint::run(&a.config()?, &a.common.out_dir("checkpoint")),
        LabCommand::Precision(a) => precision::run_args(a),
        LabCommand::Overhead(a) => overhead::run_args(a),
    }
}

impl LabCommon {
    /// `--out`, or `results/lab/NAME/`.
    pub fn out_dir(&self, name: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| default_out(name))
    }
}

/// `--out`, or `results/lab/NAME/` (the same as [`LabCommon::out_dir`]).
pub fn out_dir(common: &LabCommon, name: &str) -> PathBuf {
    common.out_dir(name)
}

/// `bplab lab …` from the command line: the text to print (the table and where the files
/// are, or the JSON document) and the exit status (1 when a built-in check failed).
pub fn run_cli(args: LabArgs) -> Result<(String, u8)> {
    let format: Format = args.command.common().format.parse()?;
    let outcome = run(args)?;
    let code = if outcome.engines_agree { 0 } else { 1 };
    let stdout = match format {
        Format::Table => outcome.render(),
        Format::Json => {
            let want = format!("{}.json", outcome.name);
            let path = outcome
                .files
                .iter()
                .find(|f| f.file_name().is_some_and(|n| n.to_string_lossy() == want))
                .ok_or_else(|| Error::Parse(format!("lab {}: no {want} written", outcome.name)))?;
            std::fs::read_to_string(path).map_err(|e| Error::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?
        }
    };
    Ok((stdout, code))
}

/// A comma-separated list of counts, each in `1..=max` (`flag` names the option in errors).
pub fn counts(flag: &str, s: &str, max: usize) -> Result<Vec<usize>> {
    s.split(',')
        .map(|x| match x.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(Error::Parse(format!(
                "{flag}: '{}' is not a whole number from 1 to {max}",
                x.trim()
            ))),
        })
        .collect()
}

/// `n` within `1..=max`.
pub fn count(flag: &str, n: usize, max: usize) -> Result<usize> {
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(Error::Parse(format!("{flag}: {n} is not from 1 to {max}")))
    }
}

/// Median of `values` (sorted in place); NaN for none.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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

/// A lab's printed text and its Markdown: the `title` (text only), every table, then the
/// findings as bullets.
pub fn body(title: &str, tables: &[&Table], findings: &[String]) -> (String, String) {
    let bullets: String = findings.iter().map(|f| format!("- {f}\n")).collect();
    let join = |f: fn(&Table) -> String| tables.iter().map(|t| f(t)).collect::<Vec<_>>().join("\n");
    let text = format!("{title}\n\n{}\n{bullets}", join(Table::render));
    let markdown = format!("{}\n{bullets}", join(Table::markdown));
    (text, markdown)
}
