//! What `experiment train` runs: [`TrainConfig`] (the documented default and the quick
//! setting) and the flags ([`TrainArgs`]) that change it.

use crate::flags::{set, Common, Sgd, MAX_STEPS};
use bplab_core::{DType, Init, Tolerance};
use bplab_harness::flags;
use clap::Args;

/// What `experiment train` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub init: Init,
    pub seed: u64,
    pub test_fraction: f64,
    pub dtype: DType,
    /// Loss trajectories vs the manual engine (f64 default: `1e-12 + 1e-9·|b|`).
    pub tolerance: Tolerance,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 60,
            batch_size: 10,
            lr: 0.1,
            init: Init::XavierNormal,
            seed: 42,
            test_fraction: 0.3,
            dtype: DType::F64,
            tolerance: Tolerance::EXACT_F64,
        }
    }
}

impl TrainConfig {
    /// A small setting for the report and the tests (15 epochs = 105 steps).
    pub fn quick() -> Self {
        TrainConfig {
            epochs: 15,
            ..Self::default()
        }
    }
}

/// `bplab experiment train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub common: Common,
    /// Epochs.
    #[arg(long, value_name = "N", value_parser = flags::count(MAX_STEPS))]
    pub epochs: Option<usize>,
    /// Minibatch size.
    #[arg(long, value_name = "N", value_parser = flags::count(MAX_STEPS))]
    pub batch_size: Option<usize>,
    #[command(flatten)]
    pub sgd: Sgd,
}

impl TrainArgs {
    /// The run the flags ask for; in f32 the trajectories are compared at f32's tolerance.
    pub fn config(&self) -> TrainConfig {
        let c = &self.common;
        let mut cfg = c.start(TrainConfig::quick, TrainConfig::default);
        cfg.dtype = *c.dtype;
        if cfg.dtype == DType::F32 {
            cfg.tolerance = Tolerance::new(1e-5, 1e-3);
        }
        set(&mut cfg.seed, &c.seed);
        set(&mut cfg.epochs, &self.epochs);
        set(&mut cfg.batch_size, &self.batch_size);
        set(&mut cfg.lr, &self.sgd.lr);
        set(&mut cfg.init, &self.sgd.init);
        cfg
    }
}
