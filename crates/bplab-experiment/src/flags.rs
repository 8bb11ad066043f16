//! The flag groups the experiments share, each flag declared once and flattened into every
//! experiment that takes it: [`Common`] (all four), [`Width`] (init, residual, clip),
//! [`Sweep`] (init and residual: hidden activations × depths), [`Sgd`] (residual, clip,
//! train: init scheme and learning rate) and [`Steps`] (residual, clip). A flag left out is
//! `None` and keeps the `Config`'s documented default ([`set`]). Values are checked by clap
//! with the limits below, through `bplab_harness::flags`; a rejection is one line.

use crate::default_out;
use bplab_core::{Activation, Init};
use bplab_harness::flags::{self, DTypeFlag, EngineFlag};
use clap::Args;
use std::path::PathBuf;
use std::str::FromStr;

/// Largest depth and width the experiments accept (larger ones would run for hours), and
/// the most SGD steps, epochs or rows per minibatch.
pub const MAX_DEPTH: u64 = 200;
pub const MAX_WIDTH: u64 = 1024;
pub const MAX_STEPS: u64 = 100_000;

/// Flags every experiment takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    // --engine (the manual engine always runs: it is every comparison's reference).
    #[command(flatten)]
    pub engine: EngineFlag,
    #[command(flatten)]
    pub dtype: DTypeFlag,
    /// Seed of the weights and the data order.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Output directory (default results/NAME/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The small setting the report uses.
    #[arg(long)]
    pub quick: bool,
}

impl Common {
    /// `--out`, or `results/NAME/`.
    pub fn out_dir(&self, name: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| default_out(name))
    }

    /// The setting a run starts from: `quick` with `--quick`, else `full` (the documented
    /// default).
    pub fn start<C>(&self, quick: fn() -> C, full: fn() -> C) -> C {
        if self.quick {
            quick()
        } else {
            full()
        }
    }
}

/// `--width`: the hidden width (in `init` also the input width).
#[derive(Args, Debug, Clone)]
pub struct Width {
    /// Hidden width (init: also the input width).
    #[arg(long, value_name = "N", value_parser = flags::count(MAX_WIDTH))]
    pub width: Option<usize>,
}

/// `--activations` × `--depths`: the grid of networks an experiment sweeps.
#[derive(Args, Debug, Clone)]
pub struct Sweep {
    /// Hidden activations, comma-separated.
    #[arg(long, value_name = "A,A,...", value_delimiter = ',', value_parser = flags::trimmed(flags::hidden_activation))]
    pub activations: Option<Vec<Activation>>,
    /// Numbers of hidden layers, comma-separated.
    #[arg(
        long,
        value_name = "D,D,...",
        value_delimiter = ',',
        value_parser = flags::trimmed(flags::count(MAX_DEPTH))
    )]
    pub depths: Option<Vec<usize>>,
}

/// `--init` and `--lr`: where SGD starts and how fast it moves.
#[derive(Args, Debug, Clone)]
pub struct Sgd {
    /// Init scheme.
    #[arg(long, value_name = "NAME", value_parser = Init::from_str)]
    pub init: Option<Init>,
    /// Learning rate.
    #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = flags::positive)]
    pub lr: Option<f64>,
}

/// `--steps`: how long SGD runs.
#[derive(Args, Debug, Clone)]
pub struct Steps {
    /// SGD steps.
    #[arg(long, value_name = "N", value_parser = flags::count(MAX_STEPS))]
    pub steps: Option<usize>,
}

/// `field` takes the flag's value if it was given.
pub fn set<T: Clone>(field: &mut T, flag: &Option<T>) {
    if let Some(v) = flag {
        *field = v.clone();
    }
}
