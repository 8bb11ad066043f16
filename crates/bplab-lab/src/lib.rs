//! `bplab lab NAME`: the autograd internals lab — the lesson's claims about how automatic
//! differentiation works inside, turned into measurements on this machine. Every lab is a
//! folder with the same inner layout: `config.rs` (its `Config`, a full default and a
//! `quick()` setting for the report and the tests, and the clap flags that build it),
//! `measure.rs` (runs and returns plain results) and `report.rs` (tables, findings, the
//! CSV/JSON/SVG files, the report section, and `run`, which returns an [`Outcome`](bplab_output::Outcome)); every
//! lab writes `NAME.csv`, `NAME.json` and `NAME*.svg` under `--out`, and `docs/internals.md`
//! has a section per lab.
//!
//! - [`modes`]: forward mode (JVPs) against reverse mode as the parameter count grows, and
//!   the one-input-many-outputs case where forward mode wins;
//! - [`checkpoint`]: gradient checkpointing in the manual engine (segments of `k` layers) and
//!   burn's `Balanced` strategy: peak bytes held against time per step;
//! - [`precision`]: gradients in `f16` and `bf16` (candle and the manual engine) against the
//!   `f64` truth, with static and dynamic loss scaling ([`precision::scaler`]);
//! - [`overhead`]: where a training step's time goes in each engine — forward, backward,
//!   update, allocations, recorded graph nodes and the fixed cost per op
//!   ([`overhead::fit`]);
//! - [`semantics`]: the lesson's "common mistakes" (backward twice, `zero_grad`, in-place
//!   changes, detach, reused graphs, double backward, non-leaf gradients) in PyTorch (from a
//!   fixture), burn and candle.
//!
//! [`common`] holds what they share (the `--out`/`--format`/`--quick` flags, the printed
//! body); [`command`] the `bplab lab` subcommands.

pub mod checkpoint;
pub mod command;
pub mod common;
pub mod modes;
pub mod overhead;
pub mod precision;
pub mod semantics;

pub use command::{run, run_cli, LabArgs, LabCommand};
pub use common::{body, default_out, median, LabCommon};
