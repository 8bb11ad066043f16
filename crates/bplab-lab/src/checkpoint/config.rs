//! `lab checkpoint`'s knobs: the [`Method`]s compared, the segment length, the
//! [`CheckpointConfig`] (full default and `quick()`) and the command-line flags that build it
//! ([`CheckpointArgs`]: every value checked by clap, the size limit when the flags are read).

use crate::common::LabCommon;
use bplab_burn::checkpointing::Checkpointing;
use bplab_core::{DType, Error, Result};
use bplab_harness::flags;
use bplab_harness::timing::Budget;
use bplab_manual::schedules::checkpoint::sqrt_segment;
use clap::Args;
use std::str::FromStr;
use std::time::Duration;

/// How a step is differentiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The manual engine, every activation kept.
    Plain,
    /// The manual engine, checkpoints every `k` layers.
    Segments(Segment),
    /// burn-flex with one of burn's strategies.
    Burn(Checkpointing),
}

/// The segment length of a checkpointed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// `k = 1`: every layer's input kept.
    One,
    /// `k = ⌈√L⌉`.
    SqrtL,
    /// `k = L`: only the input `x` kept.
    Whole,
}

impl Segment {
    /// `k` for `n_layers` layers.
    pub fn k(self, n_layers: usize) -> usize {
        match self {
            Segment::One => 1,
            Segment::SqrtL => sqrt_segment(n_layers),
            Segment::Whole => n_layers,
        }
    }
}

impl Method {
    /// Every method, in table order.
    pub const ALL: [Method; 6] = [
        Method::Plain,
        Method::Segments(Segment::One),
        Method::Segments(Segment::SqrtL),
        Method::Segments(Segment::Whole),
        Method::Burn(Checkpointing::Disabled),
        Method::Burn(Checkpointing::Balanced),
    ];

    /// The name on the command line and in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::Plain => "plain",
            Method::Segments(Segment::One) => "k=1",
            Method::Segments(Segment::SqrtL) => "k=sqrt",
            Method::Segments(Segment::Whole) => "k=L",
            Method::Burn(Checkpointing::Disabled) => "burn-disabled",
            Method::Burn(Checkpointing::Balanced) => "burn-balanced",
        }
    }
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
                Error::Parse(format!(
                    "unknown method '{}' (expected {})",
                    s.trim(),
                    names.join(", ")
                ))
            })
    }
}

/// What `lab checkpoint` measures.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointConfig {
    /// Numbers of Linear layers `L`.
    pub depths: Vec<usize>,
    pub width: usize,
    pub batch: usize,
    pub methods: Vec<Method>,
    /// Precision of the timed steps (the gradient checks always run in f64).
    pub dtype: DType,
    /// Timing of one step (median of samples).
    pub budget: Budget,
    pub seed: u64,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            depths: vec![16, 32, 64, 128, 256],
            width: 256,
            batch: 64,
            methods: Method::ALL.to_vec(),
            dtype: DType::F32,
            budget: Budget {
                time: Duration::from_millis(800),
                samples: 5,
            },
            seed: 11,
        }
    }
}

impl CheckpointConfig {
    /// Seconds: shallow, narrow networks.
    pub fn quick() -> Self {
        CheckpointConfig {
            depths: vec![4, 16, 64],
            width: 32,
            batch: 8,
            budget: Budget {
                time: Duration::from_millis(30),
                samples: 3,
            },
            ..Self::default()
        }
    }
}

/// The most weights (`depth × width²`) `lab checkpoint` builds.
pub const MAX_WEIGHTS: usize = 1 << 26;

/// `bplab lab checkpoint` flags.
#[derive(Args, Debug)]
pub struct CheckpointArgs {
    #[command(flatten)]
    pub common: LabCommon,
    /// Numbers of Linear layers, comma-separated.
    #[arg(long, value_name = "L,L,...", value_delimiter = ',', value_parser = flags::trimmed(flags::count(1024)))]
    pub depths: Option<Vec<usize>>,
    /// Width of every layer.
    #[arg(long, value_name = "N", value_parser = flags::count(2048))]
    pub width: Option<usize>,
    /// Batch size.
    #[arg(long, value_name = "N", value_parser = flags::count(4096))]
    pub batch: Option<usize>,
    /// Methods, comma-separated: plain, k=1, k=sqrt, k=L, burn-disabled, burn-balanced.
    #[arg(long, value_name = "M,M,...", value_delimiter = ',', value_parser = flags::trimmed(Method::from_str))]
    pub methods: Option<Vec<Method>>,
    /// f32 (default) or f64 for the timed steps.
    #[arg(long, value_name = "DTYPE", value_parser = flags::parsed::<DType>)]
    pub dtype: Option<DType>,
    #[command(flatten)]
    pub memory: bplab_harness::budget::MemoryFlag,
}

impl CheckpointArgs {
    /// The configuration these flags describe; an error when the deepest network would hold
    /// more than [`MAX_WEIGHTS`] weights or its estimated memory exceeds `--max-memory`.
    pub fn config(&self) -> Result<CheckpointConfig> {
        let mut cfg = if self.common.quick {
            CheckpointConfig::quick()
        } else {
            CheckpointConfig::default()
        };
        if let Some(d) = &self.depths {
            cfg.depths.clone_from(d);
        }
        if let Some(n) = self.width {
            cfg.width = n;
        }
        if let Some(n) = self.batch {
            cfg.batch = n;
        }
        if let Some(m) = &self.methods {
            cfg.methods.clone_from(m);
        }
        if let Some(d) = self.dtype {
            cfg.dtype = d;
        }
        let values = cfg.depths.iter().max().copied().unwrap_or(0) * cfg.width * cfg.width;
        if values > MAX_WEIGHTS {
            return Err(Error::Parse(format!(
                "lab checkpoint: depth × width² = {values} weights is more than the limit of {MAX_WEIGHTS}"
            )));
        }
        // The deepest network's pass without checkpointing, before anything is allocated.
        let deepest = cfg.depths.iter().max().copied().unwrap_or(0);
        let widths = vec![cfg.width; deepest + 1];
        bplab_harness::budget::check(
            "lab checkpoint",
            bplab_harness::budget::grads(&widths, cfg.batch, 1),
            self.memory.limit(),
            "use fewer layers, a narrower width or a smaller batch",
        )?;
        Ok(cfg)
    }
}
