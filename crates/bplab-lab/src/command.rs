//! The `bplab lab NAME` command: one subcommand per lab, each with its own flags and the
//! shared [`LabCommon`] group; [`run`] builds the lab's configuration from its flags and runs
//! it, [`run_cli`] also picks what to print (the table or the JSON document) and the exit
//! status.

use crate::common::LabCommon;
use crate::{checkpoint, modes, overhead, precision, semantics};
use bplab_core::{Error, Result};
use bplab_output::table::Format;
use bplab_output::Outcome;
use clap::{Args, Subcommand};

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
    /// The autograd "common mistakes" (backward twice, zero_grad, in-place, detach, …) per framework.
    Semantics(semantics::SemanticsArgs),
}

impl LabCommand {
    /// The flags every lab shares.
    pub fn common(&self) -> &LabCommon {
        match self {
            LabCommand::Modes(a) => &a.common,
            LabCommand::Checkpoint(a) => &a.common,
            LabCommand::Precision(a) => &a.common,
            LabCommand::Overhead(a) => &a.common,
            LabCommand::Semantics(a) => &a.common,
        }
    }
}

#[derive(Args, Debug)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

/// Runs the lab named by `args`.
pub fn run(args: LabArgs) -> Result<Outcome, Error> {
    match args.command {
        LabCommand::Modes(a) => modes::run(&a.config(), &a.common.out_dir("modes")),
        LabCommand::Checkpoint(a) => checkpoint::run(&a.config()?, &a.common.out_dir("checkpoint")),
        LabCommand::Precision(a) => precision::run(&a.config(), &a.common.out_dir("precision")),
        LabCommand::Overhead(a) => overhead::run(&a.config(), &a.common.out_dir("overhead")),
        LabCommand::Semantics(a) => semantics::run(&a.config()?, &a.common.out_dir("semantics")),
    }
}

/// `bplab lab …` from the command line: the text to print (the table and where the files
/// are, or the JSON document) and the exit status (1 when a built-in check failed).
pub fn run_cli(args: LabArgs) -> Result<(String, u8)> {
    let format = args.command.common().format;
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
