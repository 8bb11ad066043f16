//! The lesson's cost claim per engine: the backward pass alone against the forward pass, on
//! one of the sweep's networks (width [`WIDTH`], depth [`DEPTH`], tanh, mse, f64, the lab's
//! batch) in every engine's trainer — `forward()` against `grads()` (forward + backward), both
//! on a model built once, so `bwd/fwd = (grads − forward) / forward`. The framework engines'
//! backward also pays their graph (an allocation and a recorded node per op).

use super::config::ModesConfig;
use super::nets::sweep_spec;
use bplab_core::{DType, Result};
use bplab_harness::timing::measure;
use bplab_harness::workload::workload;
use bplab_output::table::Table;

/// The network's width and depth.
pub const WIDTH: usize = 64;
pub const DEPTH: usize = 3;

/// One engine's two timings, in seconds.
#[derive(Debug, Clone)]
pub struct EngineRatio {
    pub engine: String,
    pub forward: f64,
    pub grads: f64,
}

impl EngineRatio {
    /// The backward pass alone against the forward.
    pub fn backward_ratio(&self) -> f64 {
        (self.grads - self.forward) / self.forward
    }
}

/// Times `forward()` and `grads()` in the manual engine and the three framework engines.
pub fn measure_engines(cfg: &ModesConfig) -> Result<Vec<EngineRatio>> {
    let spec = sweep_spec(WIDTH, DEPTH)?;
    let (net, batch) = workload(&spec, cfg.batch);
    let mut out = Vec::new();
    for engine in bplab_harness::engines::select("manual,burn-ndarray,burn-flex,candle")? {
        let mut t = engine.trainer(&net, &batch, DType::F64)?;
        let forward = measure(cfg.budget, || t.forward().map(drop))?.median_ns * 1e-9;
        let grads = measure(cfg.budget, || t.grads().map(drop))?.median_ns * 1e-9;
        out.push(EngineRatio {
            engine: engine.name().to_string(),
            forward,
            grads,
        });
    }
    Ok(out)
}

/// `engine, fwd µs, fwd+bwd µs, bwd/fwd`.
pub fn engine_table(rows: &[EngineRatio]) -> Table {
    let mut t = Table::new(&["engine", "fwd µs", "fwd+bwd µs", "bwd/fwd"]);
    for r in rows {
        t.row(vec![
            r.engine.clone(),
            format!("{:.1}", r.forward * 1e6),
            format!("{:.1}", r.grads * 1e6),
            format!("{:.2}", r.backward_ratio()),
        ]);
    }
    t
}
