//! `lab precision`'s measurement: gradients in `f16` and `bf16` against the `f64` truth
//! ([`super::truth`]: compensated `f64` arithmetic written from the formulas, no engine's
//! kernels), on the assignment network and on a deep, small-init network whose
//! gradients are tiny. Per parameter tensor: the relative error `‖g − g₆₄‖ / ‖g₆₄‖` and the
//! fraction of elements that underflow (nonzero in `f64`, exactly 0 in half precision), with
//! no loss scaling, with static scales `S = 2^k`, and with a dynamic scaler ([`super::scaler`])
//! over a short training run.
//!
//! Two half-precision engines: candle's graph in `F16`/`BF16`
//! ([`bplab_candle::low_precision`]: loss in `f32`, matmuls accumulating in `f32`), and the
//! manual engine instantiated at `half::f16`/`half::bf16` (`bplab_manual::real::half_real`: every
//! operation, every partial sum included, rounded to the half type). The manual engine
//! applies the loss scale through its cross-entropy seed: `CE(z, S·y) = S·CE(z, y)` and its
//! seed gradient is `S·δ_L`, exact for a power of two — but `S·y` is a half-precision value,
//! so in `f16` a scale above 65504 overflows at the seed itself.
//!
//! The gradients come from [`super::half_grads`], their comparison from [`super::compare`];
//! every cell and scaler trajectory is returned as plain [`PrecisionResults`], with lookups
//! by coordinates ([`cell`], [`best_static`]).

use super::compare::{compare, TensorError, Underflow};
use super::config::{HalfEngine, HalfType, Net, PrecisionConfig, Scaling};
use super::half_grads::half_grads;
use super::scaler::{self, ScalerAction, ScalerStep};
use super::truth::truth;
use bplab_core::{Activation, Batch, Init, Loss, NetSpec, Network, Result, Tolerance};

/// The stated agreement of `f16` gradients of the assignment network with `f64`, element by
/// element (`|a−b| ≤ atol + rtol·|b|`): a few units of f16's rounding `2⁻¹¹ ≈ 4.9e-4`,
/// relative, and an absolute floor for elements near 0.
pub const F16_ASSIGNMENT_TOL: Tolerance = Tolerance::new(1e-3, 1e-2);

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

impl Trajectory {
    /// The steps the scaler skipped (gradients held inf/NaN).
    pub fn skipped(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.action == ScalerAction::Skip)
            .count()
    }
}

/// Everything measured.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionResults {
    pub cells: Vec<Cell>,
    pub trajectories: Vec<Trajectory>,
    /// The deep network's description.
    pub deep_summary: String,
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

/// The cell for these coordinates.
pub fn cell(
    r: &PrecisionResults,
    net: Net,
    engine: HalfEngine,
    half: HalfType,
    scaling: Scaling,
) -> Option<&Cell> {
    r.cells
        .iter()
        .find(|c| c.net == net && c.engine == engine && c.half == half && c.scaling == scaling)
}

/// The largest static scale whose gradients stayed finite, per engine and format.
pub fn best_static(
    r: &PrecisionResults,
    net: Net,
    engine: HalfEngine,
    half: HalfType,
) -> Option<&Cell> {
    r.cells
        .iter()
        .filter(|c| c.net == net && c.engine == engine && c.half == half)
        .filter(|c| matches!(c.scaling, Scaling::Static(_)) && c.nonfinite() == 0)
        .max_by(|a, b| a.scaling.factor().total_cmp(&b.scaling.factor()))
}
