//! The flags of `bplab lesson`: which engines cross-check the manual engine (`--engine`,
//! default all) and the output format (`--format table|json`). The network, the example and
//! the learning rate are the lesson's own and are not flags.

use bplab_harness::flags::EngineFlag;
use bplab_output::table::Format;
use clap::Args;

/// `bplab lesson [--engine NAME] [--format table|json]`.
#[derive(Args, Debug, Clone)]
pub struct LessonArgs {
    #[command(flatten)]
    pub engine: EngineFlag,
    /// table (default) or json.
    #[arg(long, value_enum, default_value_t = Format::Table, value_name = "FORMAT")]
    pub format: Format,
}

/// The lesson's learning rate (`lr = 0.1`).
pub const LR: f64 = 0.1;

/// Practice task 2's init scheme and seed: the lesson's `randn(...) * 0.5`, seed 42.
pub const PRACTICE_2_SEED: u64 = 42;
/// Practice task 2's standard deviation.
pub const PRACTICE_2_SIGMA: f64 = 0.5;
