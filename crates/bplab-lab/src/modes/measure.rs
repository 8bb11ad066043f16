//! `lab modes`' measurement: forward-mode against reverse-mode differentiation in the manual engine
//! (`bplab_manual::schedules::jvp`), in f64. Networks of `depth` Linear layers, every width `w`, tanh
//! hidden layers, identity output, mse loss, batch `B`:
//!
//! - **sweep** (widths at a fixed depth, depths at a fixed width): the median time of a plain
//!   forward pass, of the full gradient by reverse mode (forward + backward into reused
//!   buffers), of one JVP, and of the full gradient by forward mode (one JVP per parameter).
//!   Forward mode is timed for at most a per-point budget: when fewer JVPs than parameters
//!   fit, the time is the mean JVP time × the parameter count and the row says `scaled`;
//! - **sensitivity** (`n_in → 64 → 64 → M`, one input direction `ẋ`): the tangent of all `M`
//!   outputs by one JVP, against reverse mode's one backward pass per output.
//!
//! Before timing, forward-mode gradients of a small network are checked against reverse mode
//! (`|a−b| ≤ atol + rtol·|b|`, rtol 1e-12). The networks and the check are in
//! [`super::nets`]; what is measured is returned as a plain [`ModesResult`].

use super::config::ModesConfig;
use super::nets::{
    compare_gradients, model, random_batch, sensitivity_spec, sweep_spec, AGREEMENT,
};
use bplab_core::{Comparison, Result};
use bplab_harness::progress::Progress;
use bplab_harness::timing::{measure, Budget};
use bplab_manual::schedules::jvp::{
    param_indices, reverse_output_directional, unit_jvp, Direction, Jvp,
};
use bplab_manual::{Backward, Cache};
use std::time::Instant;

/// Which sweep a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    Width,
    Depth,
}

impl Sweep {
    pub fn name(self) -> &'static str {
        match self {
            Sweep::Width => "width",
            Sweep::Depth => "depth",
        }
    }
}

/// How the forward-mode time of a row was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FmTiming {
    /// Every parameter's JVP ran at least once within the budget.
    Measured,
    /// Only `jvps` of the parameters' JVPs ran: mean JVP time × parameter count.
    Scaled,
}

/// One network of a sweep, times in seconds.
#[derive(Debug, Clone)]
pub struct SweepRow {
    pub sweep: Sweep,
    pub width: usize,
    pub depth: usize,
    pub params: usize,
    pub forward: f64,
    pub reverse: f64,
    pub jvp: f64,
    pub forward_mode: f64,
    /// JVPs actually timed for the forward-mode column.
    pub jvps: usize,
    pub fm_timing: FmTiming,
}

/// One sensitivity network, times in seconds.
#[derive(Debug, Clone)]
pub struct SensitivityRow {
    pub outputs: usize,
    pub forward: f64,
    /// One JVP along `ẋ`: every output's tangent.
    pub jvp: f64,
    /// Forward + one backward pass per output.
    pub reverse: f64,
    /// Worst `|a−b|/(atol+rtol|b|)` of the two answers (≤ 1 agrees).
    pub excess: f64,
}

/// Everything `lab modes` measured.
#[derive(Debug, Clone)]
pub struct ModesResult {
    pub sweep: Vec<SweepRow>,
    pub sensitivity: Vec<SensitivityRow>,
    /// Forward-mode vs reverse-mode gradient of a small network, one comparison per tensor.
    pub agreement: Vec<Comparison>,
}

fn secs(f: impl FnMut() -> Result<()>, budget: Budget) -> Result<f64> {
    Ok(measure(budget, f)?.median_ns * 1e-9)
}

/// Times one sweep network.
fn sweep_row(cfg: &ModesConfig, sweep: Sweep, width: usize, depth: usize) -> Result<SweepRow> {
    let spec = sweep_spec(width, depth)?;
    let model = model(&spec, cfg.seed);
    let (x, y) = random_batch(&spec, cfg.batch, cfg.seed);
    let mut cache = Cache::new(&spec, cfg.batch);
    cache.set_batch(&x, &y);
    let mut grads = Backward::new(&spec, cfg.batch);
    let forward = secs(
        || {
            model.forward_into(&mut cache);
            Ok(())
        },
        cfg.budget,
    )?;
    let reverse = secs(
        || {
            model.forward_into(&mut cache);
            model.backward_into(&cache, &mut grads, false);
            Ok(())
        },
        cfg.budget,
    )?;
    let mut jvp = Jvp::new(&spec, cfg.batch);
    let mut v = Direction::zero_params(&spec);
    let indices = param_indices(&spec);
    let mut next = 0usize;
    let jvp_time = secs(
        || {
            unit_jvp(
                &mut jvp,
                &model,
                &x,
                &y,
                &mut v,
                indices[next % indices.len()],
            );
            next += 1;
            Ok(())
        },
        cfg.budget,
    )?;
    // The full gradient by forward mode: JVPs over every parameter, within the budget.
    let start = Instant::now();
    let mut jvps = 0usize;
    while jvps < indices.len() && (jvps == 0 || start.elapsed() < cfg.forward_mode_budget) {
        std::hint::black_box(unit_jvp(&mut jvp, &model, &x, &y, &mut v, indices[jvps]));
        jvps += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let (forward_mode, fm_timing) = if jvps == indices.len() {
        (elapsed, FmTiming::Measured)
    } else {
        (
            elapsed / jvps as f64 * indices.len() as f64,
            FmTiming::Scaled,
        )
    };
    Ok(SweepRow {
        sweep,
        width,
        depth,
        params: spec.n_params(),
        forward,
        reverse,
        jvp: jvp_time,
        forward_mode,
        jvps,
        fm_timing,
    })
}

/// Times one sensitivity network and checks the two answers agree.
fn sensitivity_row(cfg: &ModesConfig, m: usize) -> Result<SensitivityRow> {
    let spec = sensitivity_spec(cfg.sensitivity_inputs, m)?;
    let model = model(&spec, cfg.seed);
    let (x, y) = random_batch(&spec, cfg.batch, cfg.seed);
    let (dx, _) = random_batch(&spec, cfg.batch, cfg.seed + 1);
    let v = Direction::input(dx.clone());
    let mut jvp = Jvp::new(&spec, cfg.batch);
    let mut cache = Cache::new(&spec, cfg.batch);
    cache.set_batch(&x, &y);
    let mut grads = Backward::new(&spec, cfg.batch);
    let mut rev = vec![0.0; cfg.batch * m]; // (B, M)
    let forward = secs(
        || {
            model.forward_into(&mut cache);
            Ok(())
        },
        cfg.budget,
    )?;
    let jvp_time = secs(
        || {
            jvp.run(&model, &x, &y, &v);
            Ok(())
        },
        cfg.budget,
    )?;
    let reverse = secs(
        || {
            model.forward_into(&mut cache);
            reverse_output_directional(&model, &mut cache, &mut grads, &dx, &mut rev)
        },
        cfg.budget,
    )?;
    jvp.run(&model, &x, &y, &v);
    let tol = AGREEMENT;
    let excess = jvp
        .output_tangent()
        .iter()
        .zip(&rev)
        .map(|(&a, &b)| tol.excess(a, b))
        .fold(0.0, f64::max);
    Ok(SensitivityRow {
        outputs: m,
        forward,
        jvp: jvp_time,
        reverse,
        excess,
    })
}

/// Measures everything.
pub fn measure_all(cfg: &ModesConfig) -> Result<ModesResult> {
    // The check first: a small network with every layer kind the sweep uses.
    let spec = sweep_spec(5, 3)?;
    let m = model(&spec, cfg.seed);
    let (x, y) = random_batch(&spec, 4, cfg.seed);
    let agreement = compare_gradients(&m, &x, &y)?;

    let total = cfg.widths.len() + cfg.depths.len() + cfg.outputs.len();
    let mut bar = Progress::new("lab modes", total);
    let mut sweep = Vec::new();
    for &w in &cfg.widths {
        sweep.push(sweep_row(cfg, Sweep::Width, w, cfg.width_depth)?);
        bar.tick(&format!("width {w}"));
    }
    for &d in &cfg.depths {
        sweep.push(sweep_row(cfg, Sweep::Depth, cfg.depth_width, d)?);
        bar.tick(&format!("depth {d}"));
    }
    let mut sensitivity = Vec::new();
    for &m in &cfg.outputs {
        sensitivity.push(sensitivity_row(cfg, m)?);
        bar.tick(&format!("{m} outputs"));
    }
    bar.finish();
    Ok(ModesResult {
        sweep,
        sensitivity,
        agreement,
    })
}
