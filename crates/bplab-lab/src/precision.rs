//! `bplab lab precision`: gradients in `f16` and `bf16` against the `f64` truth (the manual
//! engine in `f64`), on the assignment network and on a deep, small-init network whose
//! gradients are tiny. Per parameter tensor: the relative error `‖g − g₆₄‖ / ‖g₆₄‖` and the
//! fraction of elements that underflow (nonzero in `f64`, exactly 0 in half precision), with
//! no loss scaling, with static scales `S = 2^k`, and with a dynamic scaler ([`super::scaler`])
//! over a short training run.
//!
//! Two half-precision engines: candle's graph in `F16`/`BF16`
//! ([`bplab_candle::low_precision`]: loss in `f32`, matmuls accumulating in `f32`), and the
//! manual engine instantiated at `half::f16`/`half::bf16` (`bplab_manual::half_real`: every
//! operation, every partial sum included, rounded to the half type). The manual engine
//! applies the loss scale through its cross-entropy seed: `CE(z, S·y) = S·CE(z, y)` and its
//! seed gradient is `S·δ_L`, exact for a power of two — but `S·y` is a half-precision value,
//! so in `f16` a scale above 65504 overflows at the seed itself.

pub use super::half_grads::{half_grads, truth};
pub use super::precision_out::{run, run_args, PrecisionArgs};
use super::scaler::{self, ScalerConfig, ScalerStep};
use bplab_core::{Activation, Batch, Init, Loss, NetSpec, Network, ParamSet, Result, Tolerance};

/// The stated agreement of `f16` gradients of the assignment network with `f64`, element by
/// element (`|a−b| ≤ atol + rtol·|b|`): a few units of f16's rounding `2⁻¹¹ ≈ 4.9e-4`,
/// relative, and an absolute floor for elements near 0.
pub const F16_ASSIGNMENT_TOL: Tolerance = Tolerance::new(1e-3, 1e-2);

/// The half-precision engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// Elements nonzero in `f64` and exactly zero in low precision, over every tensor.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Underflow {
    pub zeroed: usize,
    /// Elements nonzero in `f64`.
    pub nonzero: usize,
}

impl Underflow {
    /// `zeroed / nonzero` (0 when nothing is nonzero).
    pub fn fraction(self) -> f64 {
        if self.nonzero == 0 {
            0.0
        } else {
            self.zeroed as f64 / self.nonzero as f64
        }
    }
}

/// Underflow of `g` against `g64` (same names and shapes).
pub fn underflow(g: &ParamSet, g64: &ParamSet) -> Underflow {
    let mut u = Underflow::default();
    for ((_, a), (_, b)) in g.iter().zip(g64.iter()) {
        for (&x, &y) in a.data.iter().zip(&b.data) {
            if y != 0.0 {
                u.nonzero += 1;
                u.zeroed += usize::from(x == 0.0);
            }
        }
    }
    u
}

/// `‖g − g₆₄‖ / ‖g₆₄‖` of one tensor (NaN if `g` is not finite; `‖g‖` if `g₆₄ = 0`).
pub fn rel_error(g: &[f64], g64: &[f64]) -> f64 {
    let diff: f64 = g.iter().zip(g64).map(|(a, b)| (a - b) * (a - b)).sum();
    let norm: f64 = g64.iter().map(|b| b * b).sum();
    if norm == 0.0 {
        diff.sqrt()
    } else {
        (diff / norm).sqrt()
    }
}

/// The network and batch of `net`.
pub fn network(net: Net, cfg: &PrecisionConfig) -> Result<(Network, Batch)> {
    match net {
        Net::Assignment => {
            let r = bplab_harness::netargs::NetArgs::default().resolve()?;
            Ok((r.network, r.batch))
        }
        Net::Deep => {
            let d = cfg.deep;
            let mut widths = vec![d.width; d.depth + 1];
            widths.push(10);
            let mut acts = vec![Activation::Tanh; d.depth];
            acts.push(Activation::Softmax);
            let spec = NetSpec::new(widths, acts, Loss::CrossEntropy, false)?;
            let (_, batch) = bplab_harness::workload::workload(&spec, d.batch);
            let params = Init::Normal(d.std).params(&spec, cfg.seed);
            Ok((Network::new(spec, params)?, batch))
        }
    }
}

/// One parameter tensor's error in one setting.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorError {
    pub name: String,
    /// Layer index (0-based).
    pub layer: usize,
    pub rel: f64,
    pub underflow: Underflow,
    /// Elements that are inf or NaN.
    pub nonfinite: usize,
}

/// One network × engine × format × scaling.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub net: Net,
    pub engine: HalfEngine,
    pub half: HalfType,
    pub scaling: Scaling,
    pub loss: f64,
    pub tensors: Vec<TensorError>,
}

impl Cell {
    /// The largest relative error over the tensors (NaN if any tensor is not finite).
    pub fn worst_rel(&self) -> f64 {
        self.tensors.iter().map(|t| t.rel).fold(0.0, |m, v| {
            if v.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(v)
            }
        })
    }
    /// Underflow over every tensor.
    pub fn underflow(&self) -> Underflow {
        self.tensors
            .iter()
            .fold(Underflow::default(), |u, t| Underflow {
                zeroed: u.zeroed + t.underflow.zeroed,
                nonzero: u.nonzero + t.underflow.nonzero,
            })
    }
    pub fn nonfinite(&self) -> usize {
        self.tensors.iter().map(|t| t.nonfinite).sum()
    }
}

/// A dynamic-scaler run on the deep network.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    pub engine: HalfEngine,
    pub half: HalfType,
    pub steps: Vec<ScalerStep>,
}

/// Everything measured.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionResults {
    pub cells: Vec<Cell>,
    pub trajectories: Vec<Trajectory>,
    /// The deep network's description.
    pub deep_summary: String,
}

/// Compares `g` with `g64` tensor by tensor.
pub fn compare(g: &ParamSet, g64: &ParamSet) -> Vec<TensorError> {
    g.iter()
        .zip(g64.iter())
        .enumerate()
        .map(|(i, ((name, a), (_, b)))| {
            let one_a = ParamSet::from_entries(vec![(name.to_string(), a.clone())]);
            let one_b = ParamSet::from_entries(vec![(name.to_string(), b.clone())]);
            TensorError {
                name: name.to_string(),
                layer: i / 2,
                rel: rel_error(&a.data, &b.data),
                underflow: underflow(&one_a, &one_b),
                nonfinite: a.data.iter().filter(|v| !v.is_finite()).count(),
            }
        })
        .collect()
}

/// Runs every cell and every scaler trajectory.
pub fn measure(cfg: &PrecisionConfig) -> Result<PrecisionResults> {
    let nets = [Net::Assignment, Net::Deep];
    let per_net = cfg.engines.len() * cfg.halves.len() * cfg.scalings.len();
    let total = nets.len() * per_net + cfg.engines.len() * cfg.halves.len();
    let mut bar = bplab_harness::progress::Progress::new("lab precision", total);
    let mut cells = Vec::new();
    let mut deep_summary = String::new();
    for net_kind in nets {
        let (net, batch) = network(net_kind, cfg)?;
        if net_kind == Net::Deep {
            deep_summary = format!(
                "{} (N(0, {}²) weights, batch {})",
                net.spec().summary(),
                cfg.deep.std,
                batch.len()
            );
        }
        let g64 = truth(&net, &batch)?;
        for &engine in &cfg.engines {
            for &half in &cfg.halves {
                for &scaling in &cfg.scalings {
                    let (loss, g) = half_grads(engine, half, &net, &batch, scaling.factor())?;
                    cells.push(Cell {
                        net: net_kind,
                        engine,
                        half,
                        scaling,
                        loss,
                        tensors: compare(&g, &g64),
                    });
                    bar.tick(&format!(
                        "{} {} {} {}",
                        net_kind.name(),
                        engine.name(),
                        half.name(),
                        scaling.name()
                    ));
                }
            }
        }
    }
    let (net, batch) = network(Net::Deep, cfg)?;
    let mut trajectories = Vec::new();
    for &engine in &cfg.engines {
        for &half in &cfg.halves {
            let steps = scaler::train(
                cfg.scaler,
                cfg.steps,
                cfg.lr,
                net.params().rounded_to_f32(),
                |p, s| half_grads(engine, half, &net.with_params(p.clone())?, &batch, s),
                |p| truth(&net.with_params(p.clone())?, &batch),
            )?;
            trajectories.push(Trajectory {
                engine,
                half,
                steps,
            });
            bar.tick(&format!("scaler {} {}", engine.name(), half.name()));
        }
    }
    bar.finish();
    Ok(PrecisionResults {
        cells,
        trajectories,
        deep_summary,
    })
}
