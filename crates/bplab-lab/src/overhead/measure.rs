//! `lab overhead`'s measurement: where a training step's time goes in each engine, on `seed-b1` and
//! `mnist-b64` (`bplab_harness::workload`): forward alone, backward (grads − forward), the SGD
//! update (step − grads, through each engine's [`Trainer`]), heap allocations per step (the
//! counting allocator), the tensor ops the framework records per step where it can be
//! counted, allocations per op, and the fixed cost per step from the intercept of
//! `time = a + b · FLOPs` fitted over a batch-size sweep ([`super::fit`]), divided by the ops.
//! One plain [`Row`] per engine × configuration.

use super::config::OverheadConfig;
use super::fit::LineFit;
use bplab_core::train::Trainer;
use bplab_core::{Batch, DType, Engine, Network, Result};
use bplab_harness::alloc;
use bplab_harness::timing::measure;
use bplab_harness::workload::BENCH_SGD;
use bplab_harness::workload::{flops, workload, BenchConfig, Op};

/// How the ops of one step were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpCount {
    /// candle: the non-variable nodes `Tensor::sorted_nodes` returns from the loss.
    CandleGraph { ops: u64, nodes: u64 },
    /// burn: autodiff node ids drawn during one `grads()` call.
    BurnNodes(u64),
    /// The engine records no graph (hand-written) or exposes none.
    NotExposed,
}

impl OpCount {
    /// Ops per step, where counted.
    pub fn ops(self) -> Option<u64> {
        match self {
            OpCount::CandleGraph { ops, .. } => Some(ops),
            OpCount::BurnNodes(n) => Some(n),
            OpCount::NotExposed => None,
        }
    }
}

/// One engine × configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub engine: String,
    pub config: &'static str,
    pub forward_ns: f64,
    pub grads_ns: f64,
    pub step_ns: f64,
    /// Heap allocations per training step (`None` without the counting allocator).
    pub allocs_per_step: Option<f64>,
    pub ops: OpCount,
    /// `(batch, ops)` over the sweep: ops recorded must not depend on the batch size.
    pub ops_by_batch: Vec<(usize, Option<u64>)>,
    /// `(FLOPs, grads ns)` over the sweep.
    pub sweep: Vec<(f64, f64)>,
    pub fit: Option<LineFit>,
    /// FLOPs of one training step of this configuration.
    pub step_flops: f64,
}

impl Row {
    pub fn backward_ns(&self) -> f64 {
        self.grads_ns - self.forward_ns
    }
    pub fn update_ns(&self) -> f64 {
        self.step_ns - self.grads_ns
    }
    /// Allocations per recorded op.
    pub fn allocs_per_op(&self) -> Option<f64> {
        Some(self.allocs_per_step? / self.ops.ops()? as f64)
    }
    /// The intercept divided by the ops: fixed cost per op (ns).
    pub fn per_op_ns(&self) -> Option<f64> {
        Some(self.fit?.intercept / self.ops.ops()? as f64)
    }
}

/// Counts the ops `engine` records in one step of `trainer` (built on `net`, `batch`).
pub fn count_ops(
    engine: &dyn Engine,
    trainer: &mut dyn Trainer,
    net: &Network,
    batch: &Batch,
) -> Result<OpCount> {
    let name = engine.name();
    #[cfg(feature = "candle")]
    if name == "candle" || name == "candle-custom" {
        let custom = (name == "candle-custom").then_some(bplab_manual::CustomOps::CORRECT);
        let g = bplab_harness::engines::guard(name, || {
            bplab_candle::graph_stats::gradient_graph(net.spec(), net.params(), batch, custom)
        })?;
        return Ok(OpCount::CandleGraph {
            ops: g.ops as u64,
            nodes: g.nodes as u64,
        });
    }
    #[cfg(feature = "burn")]
    if name.starts_with("burn") {
        let (r, n) = bplab_burn::graph_stats::count_nodes(|| trainer.grads());
        r?;
        return Ok(OpCount::BurnNodes(n));
    }
    let _ = (name, trainer, net, batch);
    Ok(OpCount::NotExposed)
}

/// Measures every engine × configuration, and the sweep.
pub fn measure_all(cfg: &OverheadConfig) -> Result<Vec<Row>> {
    let engines = bplab_harness::engines::select(&cfg.engines)?;
    let configs: Vec<BenchConfig> = cfg
        .configs
        .iter()
        .map(|c| BenchConfig::by_name(c))
        .collect::<Result<_>>()?;
    let total = configs.len() * engines.len() * (1 + cfg.sweep.len());
    let mut bar = bplab_harness::progress::Progress::new("lab overhead", total);
    let mut rows = Vec::new();
    for bc in &configs {
        let (net, batch) = bc.workload();
        for engine in &engines {
            let mut t = engine.trainer(&net, &batch, DType::F32)?;
            let forward = measure(cfg.budget, || t.forward().map(drop))?;
            let grads = measure(cfg.budget, || t.grads().map(drop))?;
            let step = measure(cfg.budget, || t.step(&BENCH_SGD).map(drop))?;
            let ops = count_ops(engine.as_ref(), t.as_mut(), &net, &batch)?;
            bar.tick(&format!("{} {}", engine.name(), bc.name));
            let (mut sweep, mut ops_by_batch) = (Vec::new(), Vec::new());
            for &b in &cfg.sweep {
                let (n, data) = workload(net.spec(), b);
                let mut t = engine.trainer(&n, &data, DType::F32)?;
                let g = measure(cfg.budget, || t.grads().map(drop))?;
                sweep.push((flops(n.spec(), b, Op::Grads), g.median_ns));
                ops_by_batch.push((b, count_ops(engine.as_ref(), t.as_mut(), &n, &data)?.ops()));
                bar.tick(&format!("{} {} batch {b}", engine.name(), bc.name));
            }
            rows.push(Row {
                engine: engine.name().to_string(),
                config: bc.name,
                forward_ns: forward.median_ns,
                grads_ns: grads.median_ns,
                step_ns: step.median_ns,
                allocs_per_step: alloc::installed().then_some(step.allocs_per_iter),
                ops,
                ops_by_batch,
                fit: LineFit::fit(&sweep),
                sweep,
                step_flops: flops(net.spec(), bc.batch, Op::TrainStep),
            });
        }
    }
    bar.finish();
    Ok(rows)
}
