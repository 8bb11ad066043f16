//! The command line of `bplab experiment NAME`: the flags each experiment's `Config`
//! exposes (a flag left out keeps the documented default, `--quick` starts from the small
//! setting instead), the common `--engine`, `--dtype`, `--seed` and `--out DIR` (default
//! `results/NAME/`), and the text printed when an experiment finishes.

use super::{clip, default_out, init, residual, train};
use bplab_core::{Activation, Clip, DType, Error, Init, Result};
use bplab_output::Outcome;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::str::FromStr;

/// Flags every experiment takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// manual, burn-ndarray, burn-flex, candle, burn-custom, candle-custom, a comma-separated list, or all (the manual
    /// engine always runs: it is every comparison's reference).
    #[arg(long, default_value = "all", value_name = "NAME")]
    pub engine: String,
    /// f64 (default) or f32.
    #[arg(long, default_value = "f64", value_name = "DTYPE")]
    pub dtype: String,
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

#[derive(Subcommand, Debug)]
pub enum ExperimentCommand {
    /// Gradient flow at initialisation: schemes × activations × depths.
    Init(InitArgs),
    /// Plain vs residual networks: gradients at init and training loss.
    Residual(ResidualArgs),
    /// Exploding gradients trained with each clipping rule.
    Clip(ClipArgs),
    /// The assignment network trained on Iris; loss trajectories compared across engines.
    Train(TrainArgs),
}

#[derive(Args, Debug)]
pub struct ExperimentArgs {
    #[command(subcommand)]
    pub command: ExperimentCommand,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub common: Common,
    /// Init schemes, comma-separated (e.g. normal:1,he-normal,zeros).
    #[arg(long, value_name = "S,S,...")]
    pub schemes: Option<String>,
    /// Hidden activations, comma-separated.
    #[arg(long, value_name = "A,A,...")]
    pub activations: Option<String>,
    /// Numbers of hidden layers, comma-separated.
    #[arg(long, value_name = "D,D,...")]
    pub depths: Option<String>,
    /// Input and hidden width.
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// SGD steps of the symmetry measurement.
    #[arg(long, value_name = "N")]
    pub symmetry_steps: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ResidualArgs {
    #[command(flatten)]
    pub common: Common,
    /// Numbers of hidden layers, comma-separated.
    #[arg(long, value_name = "D,D,...")]
    pub depths: Option<String>,
    /// Hidden activations, comma-separated.
    #[arg(long, value_name = "A,A,...")]
    pub activations: Option<String>,
    /// Hidden width.
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// Init scheme.
    #[arg(long, value_name = "NAME")]
    pub init: Option<String>,
    /// SGD steps.
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Learning rate.
    #[arg(long, value_name = "X")]
    pub lr: Option<f64>,
}

#[derive(Args, Debug)]
pub struct ClipArgs {
    #[command(flatten)]
    pub common: Common,
    /// Clipping rules, comma-separated: none, value:C, global-norm:C, per-tensor-norm:C.
    #[arg(long, value_name = "R,R,...")]
    pub rules: Option<String>,
    /// Hidden layers.
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
    /// Hidden width.
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// Hidden activation.
    #[arg(long, value_name = "A")]
    pub activation: Option<String>,
    /// Init scheme.
    #[arg(long, value_name = "NAME")]
    pub init: Option<String>,
    /// SGD steps.
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Learning rate.
    #[arg(long, value_name = "X")]
    pub lr: Option<f64>,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub common: Common,
    /// Epochs.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Minibatch size.
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Learning rate.
    #[arg(long, value_name = "X")]
    pub lr: Option<f64>,
    /// Init scheme.
    #[arg(long, value_name = "NAME")]
    pub init: Option<String>,
}

/// A comma-separated list of `T`.
fn list<T: FromStr<Err = Error>>(s: &str) -> Result<Vec<T>> {
    s.split(',').map(|x| x.trim().parse()).collect()
}

/// A comma-separated list of counts, each in `1..=max`.
fn counts(flag: &str, s: &str, max: usize) -> Result<Vec<usize>> {
    s.split(',')
        .map(|x| match x.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(Error::Parse(format!(
                "{flag}: '{x}' is not a whole number from 1 to {max}"
            ))),
        })
        .collect()
}

/// `n` within `1..=max`.
fn count(flag: &str, n: usize, max: usize) -> Result<usize> {
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(Error::Parse(format!("{flag}: {n} is not from 1 to {max}")))
    }
}

/// A learning rate: finite and > 0.
fn lr(v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Error::Parse(format!(
            "--lr: {v} is not a finite number > 0"
        )))
    }
}

/// A hidden activation (softmax is for output layers only).
fn hidden(a: Activation) -> Result<Activation> {
    if a == Activation::Softmax {
        Err(Error::Parse(
            "--activation(s): softmax is an output activation, not a hidden one".into(),
        ))
    } else {
        Ok(a)
    }
}

/// Largest depth and width the experiments accept (larger ones would run for hours).
const MAX_DEPTH: usize = 200;
const MAX_WIDTH: usize = 1024;
const MAX_STEPS: usize = 100_000;

/// Runs the experiment named by `a`; returns its outcome.
pub fn run(a: ExperimentArgs) -> Result<Outcome> {
    match a.command {
        ExperimentCommand::Init(x) => {
            let c = &x.common;
            let mut cfg = if c.quick {
                init::InitConfig::quick()
            } else {
                init::InitConfig::default()
            };
            cfg.dtype = DType::from_str(&c.dtype)?;
            if let Some(s) = c.seed {
                cfg.seed = s;
            }
            if let Some(s) = &x.schemes {
                cfg.schemes = list::<Init>(s)?;
            }
            if let Some(s) = &x.activations {
                cfg.activations = list::<Activation>(s)?
                    .into_iter()
                    .map(hidden)
                    .collect::<Result<_>>()?;
            }
            if let Some(s) = &x.depths {
                cfg.depths = counts("--depths", s, MAX_DEPTH)?;
            }
            if let Some(w) = x.width {
                cfg.width = count("--width", w, MAX_WIDTH)?;
            }
            if let Some(n) = x.symmetry_steps {
                cfg.symmetry_steps = count("--symmetry-steps", n, MAX_STEPS)?;
            }
            let out = c.out.clone().unwrap_or_else(|| default_out("init"));
            init::run(&cfg, &c.engine, &out)
        }
        ExperimentCommand::Residual(x) => {
            let c = &x.common;
            let mut cfg = if c.quick {
                residual::ResidualConfig::quick()
            } else {
                residual::ResidualConfig::default()
            };
            cfg.dtype = DType::from_str(&c.dtype)?;
            if let Some(s) = c.seed {
                cfg.seed = s;
            }
            if let Some(s) = &x.depths {
                cfg.depths = counts("--depths", s, MAX_DEPTH)?;
            }
            if let Some(s) = &x.activations {
                cfg.activations = list::<Activation>(s)?
                    .into_iter()
                    .map(hidden)
                    .collect::<Result<_>>()?;
            }
            if let Some(w) = x.width {
                cfg.width = count("--width", w, MAX_WIDTH)?;
            }
            if let Some(s) = &x.init {
                cfg.init = s.parse()?;
            }
            if let Some(n) = x.steps {
                cfg.steps = count("--steps", n, MAX_STEPS)?;
            }
            if let Some(v) = x.lr {
                cfg.lr = lr(v)?;
            }
            let out = c.out.clone().unwrap_or_else(|| default_out("residual"));
            residual::run(&cfg, &c.engine, &out)
        }
        ExperimentCommand::Clip(x) => {
            let c = &x.common;
            let mut cfg = if c.quick {
                clip::ClipConfig::quick()
            } else {
                clip::ClipConfig::default()
            };
            cfg.dtype = DType::from_str(&c.dtype)?;
            if let Some(s) = c.seed {
                cfg.seed = s;
            }
            if let Some(s) = &x.rules {
                cfg.rules = list::<Clip>(s)?;
            }
            if let Some(d) = x.depth {
                cfg.depth = count("--depth", d, MAX_DEPTH)?;
            }
            if let Some(w) = x.width {
                cfg.width = count("--width", w, MAX_WIDTH)?;
            }
            if let Some(a) = &x.activation {
                cfg.activation = hidden(a.parse()?)?;
            }
            if let Some(s) = &x.init {
                cfg.init = s.parse()?;
            }
            if let Some(n) = x.steps {
                cfg.steps = count("--steps", n, MAX_STEPS)?;
            }
            if let Some(v) = x.lr {
                cfg.lr = lr(v)?;
            }
            let out = c.out.clone().unwrap_or_else(|| default_out("clip"));
            clip::run(&cfg, &c.engine, &out)
        }
        ExperimentCommand::Train(x) => {
            let c = &x.common;
            let mut cfg = if c.quick {
                train::TrainConfig::quick()
            } else {
                train::TrainConfig::default()
            };
            cfg.dtype = DType::from_str(&c.dtype)?;
            if cfg.dtype == DType::F32 {
                cfg.tolerance = bplab_core::Tolerance::new(1e-5, 1e-3);
            }
            if let Some(s) = c.seed {
                cfg.seed = s;
            }
            if let Some(n) = x.epochs {
                cfg.epochs = count("--epochs", n, MAX_STEPS)?;
            }
            if let Some(n) = x.batch_size {
                cfg.batch_size = count("--batch-size", n, MAX_STEPS)?;
            }
            if let Some(v) = x.lr {
                cfg.lr = lr(v)?;
            }
            if let Some(s) = &x.init {
                cfg.init = s.parse()?;
            }
            let out = c.out.clone().unwrap_or_else(|| default_out("train"));
            train::run(&cfg, &c.engine, &out)
        }
    }
}
