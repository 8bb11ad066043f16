//! What `experiment init` runs: [`InitConfig`] (the documented default and the quick
//! setting), the networks and the random batch it implies, and the flags ([`InitArgs`]) that
//! change it.

use crate::flags::{set, Common, Sweep, Width, MAX_STEPS};
use bplab_core::rng::Rng;
use bplab_core::{Activation, Batch, DType, Init, Loss, NetSpec, Result};
use bplab_harness::flags;
use clap::Args;
use std::str::FromStr;

/// What `experiment init` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct InitConfig {
    pub schemes: Vec<Init>,
    pub activations: Vec<Activation>,
    /// Numbers of hidden layers.
    pub depths: Vec<usize>,
    /// Input and hidden width.
    pub width: usize,
    /// Output classes.
    pub n_out: usize,
    /// Rows of the random batch.
    pub batch: usize,
    pub seed: u64,
    /// SGD steps of the symmetry measurement (at the smallest depth).
    pub symmetry_steps: usize,
    pub dtype: DType,
}

impl Default for InitConfig {
    /// The documented run: 9 schemes × 4 activations × depths 2, 5, 10, 20, 50, width 64.
    fn default() -> Self {
        InitConfig {
            schemes: Init::ALL.to_vec(),
            activations: vec![
                Activation::Sigmoid,
                Activation::Tanh,
                Activation::Relu,
                Activation::Gelu,
            ],
            depths: vec![2, 5, 10, 20, 50],
            width: 64,
            n_out: 10,
            batch: 32,
            seed: 42,
            symmetry_steps: 20,
            dtype: DType::F64,
        }
    }
}

impl InitConfig {
    /// A small setting for the report and the tests.
    pub fn quick() -> Self {
        InitConfig {
            schemes: vec![
                Init::Normal(1.0),
                Init::XavierNormal,
                Init::HeNormal,
                Init::Zeros,
            ],
            activations: vec![Activation::Sigmoid, Activation::Tanh, Activation::Relu],
            depths: vec![2, 10, 20],
            width: 32,
            symmetry_steps: 10,
            ..Self::default()
        }
    }

    /// The network of `depth` hidden layers of activation `act`.
    pub fn spec(&self, act: Activation, depth: usize) -> Result<NetSpec> {
        let mut widths = vec![self.width; depth + 1];
        widths.push(self.n_out);
        let mut acts = vec![act; depth];
        acts.push(Activation::Softmax);
        NetSpec::new(widths, acts, Loss::CrossEntropy, false)
    }

    /// The random batch: `x ~ N(0, 1)` `(B, width)`, one-hot targets of random classes.
    pub fn data(&self) -> Result<Batch> {
        let mut rng = Rng::stream(self.seed, 3_000_017);
        let x = (0..self.batch)
            .map(|_| (0..self.width).map(|_| rng.normal()).collect())
            .collect();
        let y = (0..self.batch)
            .map(|_| {
                let k = rng.below(self.n_out);
                (0..self.n_out)
                    .map(|j| f64::from(u8::from(j == k)))
                    .collect()
            })
            .collect();
        Batch::from_rows(x, y)
    }
}

/// `bplab experiment init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub common: Common,
    /// Init schemes, comma-separated (e.g. normal:1,he-normal,zeros).
    #[arg(long, value_name = "S,S,...", value_delimiter = ',', value_parser = Init::from_str)]
    pub schemes: Option<Vec<Init>>,
    #[command(flatten)]
    pub sweep: Sweep,
    #[command(flatten)]
    pub width: Width,
    /// SGD steps of the symmetry measurement.
    #[arg(long, value_name = "N", value_parser = flags::count(MAX_STEPS))]
    pub symmetry_steps: Option<usize>,
}

impl InitArgs {
    /// The run the flags ask for.
    pub fn config(&self) -> InitConfig {
        let c = &self.common;
        let mut cfg = c.start(InitConfig::quick, InitConfig::default);
        cfg.dtype = *c.dtype;
        set(&mut cfg.seed, &c.seed);
        set(&mut cfg.schemes, &self.schemes);
        set(&mut cfg.activations, &self.sweep.activations);
        set(&mut cfg.depths, &self.sweep.depths);
        set(&mut cfg.width, &self.width.width);
        set(&mut cfg.symmetry_steps, &self.symmetry_steps);
        cfg
    }
}
