//! What `experiment norm` runs: the five architectures ([`Arch`]), [`NormConfig`] (the
//! documented default and the quick setting) with the networks it implies, and the flags
//! ([`NormArgs`]) that change it.

use crate::flags::{set, Common, Sgd, Steps, Sweep, Width};
use bplab_core::{Activation, DType, Init, Loss, NetSpec, Norm, Result};
use clap::Args;

/// The architectures compared: each hidden layer computes `h = act(Norm(W h_prev + b))`,
/// plus `h_prev` where residual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Plain,
    Layer,
    Batch,
    Residual,
    ResidualLayer,
}

impl Arch {
    /// Every architecture, in the order of the table.
    pub const ALL: [Arch; 5] = [
        Arch::Plain,
        Arch::Layer,
        Arch::Batch,
        Arch::Residual,
        Arch::ResidualLayer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Arch::Plain => "plain",
            Arch::Layer => "layernorm",
            Arch::Batch => "batchnorm",
            Arch::Residual => "residual",
            Arch::ResidualLayer => "residual+layernorm",
        }
    }

    /// The hidden layers' norm.
    pub fn norm(self) -> Norm {
        match self {
            Arch::Layer | Arch::ResidualLayer => Norm::Layer,
            Arch::Batch => Norm::Batch,
            Arch::Plain | Arch::Residual => Norm::None,
        }
    }

    /// Whether square hidden layers add their input.
    pub fn residual(self) -> bool {
        matches!(self, Arch::Residual | Arch::ResidualLayer)
    }
}

/// What `experiment norm` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct NormConfig {
    /// Numbers of hidden layers.
    pub depths: Vec<usize>,
    pub activations: Vec<Activation>,
    /// Hidden width (equal in every hidden layer).
    pub width: usize,
    /// Weights: `normal:0.05` by default, as `experiment residual`: small enough that a
    /// plain network's signals shrink layer by layer. γ = 1, β = 0.
    pub init: Init,
    pub seed: u64,
    /// Full-batch SGD steps and learning rate.
    pub steps: usize,
    pub lr: f64,
    pub test_fraction: f64,
    pub dtype: DType,
}

impl Default for NormConfig {
    fn default() -> Self {
        NormConfig {
            depths: vec![10, 20, 50],
            activations: vec![Activation::Sigmoid, Activation::Tanh, Activation::Relu],
            width: 64,
            init: Init::Normal(0.05),
            seed: 42,
            steps: 100,
            lr: 0.02,
            test_fraction: 0.3,
            dtype: DType::F64,
        }
    }
}

impl NormConfig {
    /// A small setting for the report and the tests (seconds on every engine).
    pub fn quick() -> Self {
        NormConfig {
            depths: vec![10],
            activations: vec![Activation::Sigmoid, Activation::Relu],
            width: 16,
            steps: 20,
            ..Self::default()
        }
    }

    /// The network of `depth` hidden layers of architecture `arch`.
    pub fn spec(&self, act: Activation, depth: usize, arch: Arch) -> Result<NetSpec> {
        let mut widths = vec![4];
        widths.extend(std::iter::repeat_n(self.width, depth));
        widths.push(2);
        let mut acts = vec![act; depth];
        acts.push(Activation::Softmax);
        NetSpec::new(widths, acts, Loss::CrossEntropy, arch.residual())?.with_norm(arch.norm())
    }
}

/// `bplab experiment norm`.
#[derive(Args, Debug)]
pub struct NormArgs {
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

impl NormArgs {
    /// The run the flags ask for.
    pub fn config(&self) -> NormConfig {
        let c = &self.common;
        let mut cfg = c.start(NormConfig::quick, NormConfig::default);
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
