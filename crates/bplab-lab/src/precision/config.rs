//! `lab precision`'s knobs: the half-precision engines and formats, the loss scalings, the
//! networks, the [`PrecisionConfig`] (full default and `quick()`) and the command-line flags
//! that build it ([`PrecisionArgs`], every value checked by clap).

use super::scaler::ScalerConfig;
use crate::common::LabCommon;
use bplab_harness::flags;
use bplab_harness::flags::positive_up_to;
use clap::Args;

/// The half-precision engines (`--engine manual,candle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum HalfEngine {
    Manual,
    Candle,
}

/// The 16-bit formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HalfType {
    F16,
    Bf16,
}

/// How the loss is scaled before backward.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scaling {
    None,
    /// `S = 2^k`.
    Static(i32),
}

/// Which network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// The lesson's 4-5-3-2 network, its preset weights and example.
    Assignment,
    /// `depth` tanh layers of `width`, softmax output, N(0, σ²) weights.
    Deep,
}

/// The deep network and its batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeepNet {
    pub depth: usize,
    pub width: usize,
    /// Weight standard deviation (small: each layer shrinks the signal).
    pub std: f64,
    pub batch: usize,
}

/// Everything `lab precision` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionConfig {
    pub engines: Vec<HalfEngine>,
    pub halves: Vec<HalfType>,
    pub scalings: Vec<Scaling>,
    pub deep: DeepNet,
    pub scaler: ScalerConfig,
    /// Steps of the dynamic-scaler run (on the deep network).
    pub steps: usize,
    pub lr: f64,
    pub seed: u64,
}

impl Default for PrecisionConfig {
    fn default() -> Self {
        PrecisionConfig {
            engines: vec![HalfEngine::Manual, HalfEngine::Candle],
            halves: vec![HalfType::F16, HalfType::Bf16],
            scalings: vec![
                Scaling::None,
                Scaling::Static(10),
                Scaling::Static(13),
                Scaling::Static(16),
            ],
            deep: DeepNet {
                depth: 16,
                width: 32,
                std: 0.07,
                batch: 32,
            },
            scaler: ScalerConfig::default(),
            steps: 120,
            lr: 0.5,
            seed: 7,
        }
    }
}

impl PrecisionConfig {
    /// A few seconds in a debug build.
    pub fn quick() -> Self {
        PrecisionConfig {
            deep: DeepNet {
                depth: 12,
                width: 16,
                std: 0.08,
                batch: 8,
            },
            steps: 30,
            scaler: ScalerConfig {
                interval: 5,
                ..ScalerConfig::default()
            },
            ..Self::default()
        }
    }
}

impl HalfEngine {
    pub fn name(self) -> &'static str {
        match self {
            HalfEngine::Manual => "manual",
            HalfEngine::Candle => "candle",
        }
    }
}

impl HalfType {
    pub fn name(self) -> &'static str {
        match self {
            HalfType::F16 => "f16",
            HalfType::Bf16 => "bf16",
        }
    }
}

impl Scaling {
    /// `S` (1 without scaling).
    pub fn factor(self) -> f64 {
        match self {
            Scaling::None => 1.0,
            Scaling::Static(k) => 2f64.powi(k),
        }
    }
    pub fn name(self) -> String {
        match self {
            Scaling::None => "none".into(),
            Scaling::Static(k) => format!("2^{k}"),
        }
    }
}

impl Net {
    pub fn name(self) -> &'static str {
        match self {
            Net::Assignment => "assignment",
            Net::Deep => "deep",
        }
    }
}

/// `bplab lab precision` flags.
#[derive(Args, Debug)]
pub struct PrecisionArgs {
    #[command(flatten)]
    pub common: LabCommon,
    /// manual, candle, or both (comma-separated).
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',')]
    pub engine: Option<Vec<HalfEngine>>,
    /// Static loss scales as powers of two, e.g. 10,13,16 (no scaling is always measured).
    #[arg(long, value_name = "K,K,...", value_delimiter = ',', value_parser = flags::trimmed(flags::whole(1, 24)))]
    pub scales: Option<Vec<usize>>,
    /// Hidden layers of the deep network.
    #[arg(long, value_name = "N", value_parser = flags::whole(1, 64))]
    pub depth: Option<usize>,
    /// Width of the deep network.
    #[arg(long, value_name = "N", value_parser = flags::whole(1, 256))]
    pub width: Option<usize>,
    /// Standard deviation of the deep network's N(0, σ²) weights.
    #[arg(long, value_name = "X", value_parser = positive_up_to(10.0))]
    pub init_std: Option<f64>,
    /// Steps of the dynamic-scaler run.
    #[arg(long, value_name = "N", value_parser = flags::whole(1, 10_000))]
    pub steps: Option<usize>,
}

impl PrecisionArgs {
    /// The configuration these flags describe.
    pub fn config(&self) -> PrecisionConfig {
        let mut cfg = if self.common.quick {
            PrecisionConfig::quick()
        } else {
            PrecisionConfig::default()
        };
        if let Some(e) = &self.engine {
            cfg.engines.clone_from(e);
        }
        if let Some(ks) = &self.scales {
            cfg.scalings = std::iter::once(Scaling::None)
                .chain(ks.iter().map(|&k| Scaling::Static(k as i32)))
                .collect();
        }
        if let Some(d) = self.depth {
            cfg.deep.depth = d;
        }
        if let Some(w) = self.width {
            cfg.deep.width = w;
        }
        if let Some(v) = self.init_std {
            cfg.deep.std = v;
        }
        if let Some(n) = self.steps {
            cfg.steps = n;
        }
        cfg
    }
}
