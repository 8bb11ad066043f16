//! What `experiment clip` runs: [`ClipConfig`] (the documented default and the quick
//! setting) with the network it implies, and the flags ([`ClipArgs`]) that change it.

use crate::flags::{set, Common, Sgd, Steps, Width, MAX_DEPTH};
use bplab_core::train::Clip;
use bplab_core::{Activation, DType, Init, Loss, NetSpec, Result, Tolerance};
use bplab_harness::flags;
use bplab_harness::flags::{hidden_activation, trimmed};
use clap::Args;
use std::str::FromStr;

/// What `experiment clip` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipConfig {
    /// Hidden layers and their width.
    pub depth: usize,
    pub width: usize,
    pub activation: Activation,
    pub init: Init,
    pub lr: f64,
    pub steps: usize,
    /// The rules compared (thresholds exact in `f32`, burn's threshold type).
    pub rules: Vec<Clip>,
    pub seed: u64,
    pub test_fraction: f64,
    pub dtype: DType,
    /// Trajectories vs the manual engine. Looser than a single gradient's bound: a deep ReLU
    /// network trained at a high rate amplifies rounding differences (measured: 1e-16 grows
    /// to ~3e-9 relative within 25 steps between correct engines).
    pub tolerance: Tolerance,
}

impl Default for ClipConfig {
    fn default() -> Self {
        ClipConfig {
            depth: 6,
            width: 64,
            activation: Activation::Relu,
            init: Init::Normal(1.0),
            lr: 0.1,
            steps: 100,
            rules: vec![
                Clip::None,
                Clip::Value(0.5),
                Clip::GlobalNorm(1.0),
                Clip::PerTensorNorm(1.0),
            ],
            seed: 42,
            test_fraction: 0.3,
            dtype: DType::F64,
            tolerance: Tolerance::new(1e-9, 1e-6),
        }
    }
}

impl ClipConfig {
    /// A small setting for the report and the tests.
    pub fn quick() -> Self {
        ClipConfig {
            width: 32,
            steps: 40,
            ..Self::default()
        }
    }

    /// The network.
    pub fn spec(&self) -> Result<NetSpec> {
        let mut widths = vec![4];
        widths.extend(std::iter::repeat_n(self.width, self.depth));
        widths.push(2);
        let mut acts = vec![self.activation; self.depth];
        acts.push(Activation::Softmax);
        NetSpec::new(widths, acts, Loss::CrossEntropy, false)
    }
}

/// `bplab experiment clip`.
#[derive(Args, Debug)]
pub struct ClipArgs {
    #[command(flatten)]
    pub common: Common,
    /// Clipping rules, comma-separated: none, value:C, global-norm:C, per-tensor-norm:C.
    #[arg(
        long,
        value_name = "R,R,...",
        value_delimiter = ',',
        value_parser = trimmed(Clip::from_str)
    )]
    pub rules: Option<Vec<Clip>>,
    /// Hidden layers.
    #[arg(long, value_name = "N", value_parser = flags::count(MAX_DEPTH))]
    pub depth: Option<usize>,
    #[command(flatten)]
    pub width: Width,
    /// Hidden activation.
    #[arg(long, value_name = "A", value_parser = hidden_activation)]
    pub activation: Option<Activation>,
    #[command(flatten)]
    pub sgd: Sgd,
    #[command(flatten)]
    pub steps: Steps,
}

impl ClipArgs {
    /// The run the flags ask for.
    pub fn config(&self) -> ClipConfig {
        let c = &self.common;
        let mut cfg = c.start(ClipConfig::quick, ClipConfig::default);
        cfg.dtype = *c.dtype;
        set(&mut cfg.seed, &c.seed);
        set(&mut cfg.rules, &self.rules);
        set(&mut cfg.depth, &self.depth);
        set(&mut cfg.width, &self.width.width);
        set(&mut cfg.activation, &self.activation);
        set(&mut cfg.init, &self.sgd.init);
        set(&mut cfg.steps, &self.steps.steps);
        set(&mut cfg.lr, &self.sgd.lr);
        cfg
    }
}
