//! What `experiment residual` runs: the two architectures ([`Arch`]), [`ResidualConfig`]
//! (the documented default and the quick setting) with the networks it implies, and the
//! flags ([`ResidualArgs`]) that change it.

use crate::flags::{set, Common, Sgd, Steps, Sweep, Width};
use bplab_core::{Activation, DType, Init, Loss, NetSpec, Result};
use clap::Args;

/// The two architectures compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Plain,
    Residual,
}

impl Arch {
    pub fn name(self) -> &'static str {
        match self {
            Arch::Plain => "plain",
            Arch::Residual => "residual",
        }
    }
}

/// What `experiment residual` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ResidualConfig {
    /// Numbers of hidden layers.
    pub depths: Vec<usize>,
    pub activations: Vec<Activation>,
    /// Hidden width (equal in every hidden layer).
    pub width: usize,
    /// Weights: `normal:0.05` by default — small enough that a plain network's gradients
    /// shrink layer by layer, as they do in any deep network whose layers contract.
    pub init: Init,
    pub seed: u64,
    /// Full-batch SGD steps and learning rate.
    pub steps: usize,
    pub lr: f64,
    pub test_fraction: f64,
    pub dtype: DType,
}

impl Default for ResidualConfig {
    fn default() -> Self {
        ResidualConfig {
            depths: vec![10, 20, 50],
            activations: vec![Activation::Tanh, Activation::Relu],
            width: 64,
            init: Init::Normal(0.05),
            seed: 42,
            steps: 100,
            lr: 0.01,
            test_fraction: 0.3,
            dtype: DType::F64,
        }
    }
}

impl ResidualConfig {
    /// A small setting for the report and the tests.
    pub fn quick() -> Self {
        ResidualConfig {
            depths: vec![10, 20],
            width: 32,
            steps: 30,
            ..Self::default()
        }
    }

    /// The network of `depth` hidden layers.
    pub fn spec(&self, act: Activation, depth: usize, arch: Arch) -> Result<NetSpec> {
        let mut widths = vec![4];
        widths.extend(std::iter::repeat_n(self.width, depth));
        widths.push(2);
        let mut acts = vec![act; depth];
        acts.push(Activation::Softmax);
        NetSpec::new(widths, acts, Loss::CrossEntropy, arch == Arch::Residual)
    }
}

/// `bplab experiment residual`.
#[derive(Args, Debug)]
pub struct ResidualArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub sweep: Sweep,
    #[command(flatten)]
    pub width: Width,
    #[command(flatten)]
    pub sgd: Sgd,
    #[command(flatten)]
    pub steps: Steps,
}

impl ResidualArgs {
    /// The run the flags ask for.
    pub fn config(&self) -> ResidualConfig {
        let c = &self.common;
        let mut cfg = c.start(ResidualConfig::quick, ResidualConfig::default);
        cfg.dtype = *c.dtype;
        set(&mut cfg.seed, &c.seed);
        set(&mut cfg.depths, &self.sweep.depths);
        set(&mut cfg.activations, &self.sweep.activations);
        set(&mut cfg.width, &self.width.width);
        set(&mut cfg.init, &self.sgd.init);
        set(&mut cfg.steps, &self.steps.steps);
        set(&mut cfg.lr, &self.sgd.lr);
        cfg
    }
}
