//! `lab checkpoint`'s measurement: memory against compute. Deep networks (`depth` Linear layers, every
//! width `w`, tanh hidden, identity output, mse, batch `B`) differentiated by:
//!
//! - the manual engine's plain pass (`Model::forward_into` + `backward_into`: every `z`, `a`,
//!   `h` and `δ` kept);
//! - the manual engine with gradient checkpointing (`bplab_manual::schedules::checkpoint`): segments of
//!   `k = 1`, `k = ⌈√L⌉` and `k = L` layers;
//! - burn-flex with `GradientCheckpointingStrategy::Disabled` and `Balanced`
//!   (`bplab_burn::checkpointing`).
//!
//! For each: the peak bytes the step held above what was live before it (from the counting
//! allocator, fresh buffers, gradients included), and for the manual methods the same less the
//! gradients (which every method must return; the manual engine allocates them up front) next
//! to the activation bytes its buffers hold by construction; for burn, the bytes its autodiff
//! graph holds after forward, before backward (burn frees saved state as backward consumes
//! it while gradients accumulate, so its peak is not activations plus gradients). And the
//! median time per step (buffers reused). Before timing, checkpointed gradients are
//! checked bit-identical to plain ones and burn's `Balanced` gradients compared with
//! `Disabled` ones, in f64 (the gradients and the comparison are in [`super::grads`]).
//! Everything is returned as a plain [`CheckpointResult`].

use super::config::{CheckpointConfig, Method, Segment};
use super::grads::{
    burn_grads, checkpointed_grads, guarded, identity_check, narrow, plain_grads, Check,
};
use crate::modes::{random_batch, sweep_spec};
use bplab_burn::checkpointing::{Checkpointing, DeepNet};
use bplab_burn::BurnBackend;
use bplab_core::{DType, Init, NetSpec, ParamSet, Result, Tensor};
use bplab_harness::alloc;
use bplab_harness::progress::Progress;
use bplab_harness::timing::{measure, Budget};
use bplab_manual::schedules::checkpoint::Checkpointed;
use bplab_manual::{Backward, Cache, Model, Real};

/// One (depth, method) measurement.
#[derive(Debug, Clone)]
pub struct Row {
    pub depth: usize,
    pub method: Method,
    /// Segment length (manual checkpointing only).
    pub k: Option<usize>,
    /// Bytes of batch-shaped buffers the step holds by construction (manual methods).
    pub analytic_bytes: Option<u64>,
    /// Peak bytes above the level before the step (gradients included).
    pub peak_bytes: u64,
    /// Bytes of the gradients.
    pub grad_bytes: u64,
    /// Bytes live after forward, before backward, above the level before the step (burn:
    /// what the autodiff graph holds for backward).
    pub after_forward: Option<u64>,
    /// Median seconds per step.
    pub time: f64,
    /// Median seconds of one plain manual forward pass at this depth.
    pub forward_time: f64,
}

/// Everything `lab checkpoint` measured.
#[derive(Debug, Clone)]
pub struct CheckpointResult {
    pub rows: Vec<Row>,
    pub checks: Vec<Check>,
    /// Whether the allocator counted (the `bplab` binary installs it).
    pub counted: bool,
}

impl Row {
    /// Manual methods: the peak less the gradients (allocated up front), i.e. what the step
    /// held besides its result.
    pub fn held(&self) -> Option<u64> {
        match self.method {
            Method::Burn(_) => None,
            _ => Some(self.peak_bytes.saturating_sub(self.grad_bytes)),
        }
    }
}

impl CheckpointResult {
    /// The rows of method `m`, by depth.
    pub fn rows_of(&self, m: Method) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.method == m).collect()
    }

    /// The bytes `row` held for backward: with the counting allocator, the peak less the
    /// gradients (manual) or what burn's graph holds after forward; without it, the
    /// activations by construction (0 where none apply).
    pub fn memory(&self, row: &Row) -> u64 {
        let v = match (self.counted, row.method) {
            (true, Method::Burn(_)) => row.after_forward,
            (true, _) => row.held(),
            (false, _) => row.analytic_bytes,
        };
        v.unwrap_or(0)
    }
}

/// The network and data of one depth.
struct Setup {
    spec: NetSpec,
    params: ParamSet,
    x: Vec<f64>,
    y: Vec<f64>,
}

fn setup(cfg: &CheckpointConfig, depth: usize, width: usize, batch: usize) -> Result<Setup> {
    let spec = sweep_spec(width, depth)?;
    let params = Init::XavierUniform.params(&spec, cfg.seed);
    let (x, y) = random_batch(&spec, batch, cfg.seed);
    Ok(Setup { spec, params, x, y })
}

/// The f64 gradient checks at one depth.
fn checks(cfg: &CheckpointConfig, depth: usize, width: usize, batch: usize) -> Result<Vec<Check>> {
    let s = setup(cfg, depth, width, batch)?;
    let model = Model::<f64>::new(&s.spec, &s.params);
    let (_, plain) = plain_grads(&model, &s.x, &s.y);
    let mut out = Vec::new();
    for seg in [Segment::One, Segment::SqrtL, Segment::Whole] {
        let k = seg.k(depth);
        let (_, g) = checkpointed_grads(&model, &s.x, &s.y, k);
        out.push(identity_check(
            depth,
            format!("manual k={k} vs plain"),
            &g,
            &plain,
        ));
    }
    if cfg.methods.iter().any(|m| matches!(m, Method::Burn(_))) {
        let xt = Tensor::new(vec![batch, s.spec.n_in()], s.x.clone())?;
        let yt = Tensor::new(vec![batch, s.spec.n_out()], s.y.clone())?;
        let run = |c| burn_grads(&s.spec, &s.params, &xt, &yt, c, DType::F64);
        let (_, dis) = run(Checkpointing::Disabled)?;
        let (_, bal) = run(Checkpointing::Balanced)?;
        out.push(identity_check(
            depth,
            "burn balanced vs disabled".into(),
            &bal,
            &dis,
        ));
    }
    Ok(out)
}

/// Peak bytes held by `f` above the level before it (0 when the allocator is not installed).
fn peak_of(f: impl FnOnce()) -> u64 {
    let base = alloc::reset_peak();
    f();
    alloc::peak_bytes().saturating_sub(base)
}

fn secs(budget: Budget, f: impl FnMut() -> Result<()>) -> Result<f64> {
    Ok(measure(budget, f)?.median_ns * 1e-9)
}

/// Every method at one depth, in `T`.
fn measure_depth<T: Real>(cfg: &CheckpointConfig, depth: usize) -> Result<Vec<Row>> {
    let s = setup(cfg, depth, cfg.width, cfg.batch)?;
    let spec = &s.spec;
    let size = std::mem::size_of::<T>() as u64;
    let grad_bytes = spec.n_params() as u64 * size;
    let model = Model::<T>::new(spec, &s.params);
    let (x, y): (Vec<T>, Vec<T>) = (narrow(&s.x), narrow(&s.y));
    let mut cache = Cache::new(spec, cfg.batch);
    cache.set_batch(&x, &y);
    let forward_time = secs(cfg.budget, || {
        model.forward_into(&mut cache);
        Ok(())
    })?;
    let widest = cfg.width;
    let mut rows = Vec::new();
    for &method in &cfg.methods {
        let (k, analytic, peak, time, after_forward) = match method {
            Method::Plain => {
                let peak = peak_of(|| {
                    let mut c = Cache::new(spec, cfg.batch);
                    c.set_batch(&x, &y);
                    let mut g = Backward::new(spec, cfg.batch);
                    model.forward_into(&mut c);
                    model.backward_into(&c, &mut g, false);
                    std::hint::black_box((&c, &g));
                });
                let mut g = Backward::new(spec, cfg.batch);
                let time = secs(cfg.budget, || {
                    model.forward_into(&mut cache);
                    model.backward_into(&cache, &mut g, false);
                    Ok(())
                })?;
                let per_layer: usize = (0..spec.n_layers())
                    .map(|l| 4 * cfg.batch * spec.layer_dims(l).1)
                    .sum();
                let values =
                    cache.x.len() + cache.y.len() + per_layer + g.dx.len() + 2 * cfg.batch * widest;
                (None, Some(values as u64 * size), peak, time, None)
            }
            Method::Segments(seg) => {
                let k = seg.k(depth);
                let peak = peak_of(|| {
                    let mut ck = Checkpointed::<T>::new(spec, cfg.batch, k);
                    ck.step(&model, &x, &y);
                    std::hint::black_box(&ck);
                });
                let mut ck = Checkpointed::<T>::new(spec, cfg.batch, k);
                let time = secs(cfg.budget, || {
                    ck.step(&model, &x, &y);
                    Ok(())
                })?;
                let values = ck.activation_values() + x.len() + y.len();
                (Some(k), Some(values as u64 * size), peak, time, None)
            }
            Method::Burn(strategy) => {
                let xt = Tensor::new(vec![cfg.batch, spec.n_in()], s.x.clone())?;
                let yt = Tensor::new(vec![cfg.batch, spec.n_out()], s.y.clone())?;
                let (peak, held, time) = guarded(strategy, || {
                    let net =
                        DeepNet::new(spec, &s.params, BurnBackend::Flex, strategy, cfg.dtype)?;
                    net.step(&xt, &yt); // first step: burn's lazy set-up
                    let mut held = 0;
                    let base = alloc::live_bytes();
                    let peak = peak_of(|| {
                        net.step_with(&xt, &yt, || held = alloc::live_bytes().saturating_sub(base))
                    });
                    let time = secs(cfg.budget, || {
                        net.step(&xt, &yt);
                        Ok(())
                    })?;
                    Ok((peak, held, time))
                })?;
                (None, None, peak, time, Some(held))
            }
        };
        rows.push(Row {
            depth,
            method,
            k,
            analytic_bytes: analytic,
            peak_bytes: peak,
            grad_bytes,
            after_forward,
            time,
            forward_time,
        });
    }
    Ok(rows)
}

/// Measures everything.
pub fn measure_all(cfg: &CheckpointConfig) -> Result<CheckpointResult> {
    let mut bar = Progress::new("lab checkpoint", 1 + cfg.depths.len());
    // Bit-identity in f64 at the two smallest depths, on the configured width (at most 64).
    let mut checks_out = Vec::new();
    let mut depths = cfg.depths.clone();
    depths.sort_unstable();
    for &d in depths.iter().take(2) {
        checks_out.extend(checks(cfg, d, cfg.width.min(64), cfg.batch.min(16))?);
    }
    bar.tick("gradient checks");
    let mut rows = Vec::new();
    for &d in &cfg.depths {
        rows.extend(match cfg.dtype {
            DType::F32 => measure_depth::<f32>(cfg, d)?,
            DType::F64 => measure_depth::<f64>(cfg, d)?,
        });
        bar.tick(&format!("depth {d}"));
    }
    bar.finish();
    Ok(CheckpointResult {
        rows,
        checks: checks_out,
        counted: alloc::installed(),
    })
}
