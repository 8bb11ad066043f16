//! `bplab bench`: every selected engine × configuration × operation, timed through the
//! engine's [`Trainer`] (data and weights converted once, outside the timed loop), with
//! GFLOP/s, the ratio to the manual engine, allocations per call, the backward/forward cost
//! ratio, and the targets the manual engine is held to.

use crate::gemm::gemm_gflops;
use bplab_core::train::Trainer;
use bplab_core::{DType, Engine, Result};
use bplab_harness::progress::Progress;
use bplab_harness::timing::{machine, measure, Budget, Timing};
use bplab_harness::workload::{flops, BenchConfig, Op, BENCH_SGD};

/// What to run.
pub struct BenchConfigSet<'a> {
    pub engines: &'a [Box<dyn Engine>],
    pub configs: Vec<BenchConfig>,
    pub ops: Vec<Op>,
    pub budget: Budget,
}

/// One engine × configuration × operation.
#[derive(Debug, Clone)]
pub struct Row {
    pub engine: String,
    pub config: &'static str,
    pub op: Op,
    pub timing: Timing,
    /// Useful GFLOP/s ([`flops`] over the median time).
    pub gflops: f64,
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The machine, as `/proc/cpuinfo` names it, and its core count.
    pub machine: String,
    /// f32 GEMM throughput of the manual engine's kernel on this machine, this run.
    pub gemm_gflops: f64,
    pub rows: Vec<Row>,
    pub budget: Budget,
}

/// Runs the matrix.
pub fn run(set: &BenchConfigSet<'_>) -> Result<BenchReport> {
    let total = 1 + set.engines.len() * set.configs.len() * set.ops.len();
    let mut progress = Progress::new("bench", total);
    let (gemm, _) = gemm_gflops(set.budget)?;
    progress.tick("gemm");
    let mut rows = Vec::new();
    for cfg in &set.configs {
        let (net, batch) = cfg.workload();
        for engine in set.engines {
            let mut trainer = engine.trainer(&net, &batch, DType::F32)?;
            for &op in &set.ops {
                let timing = time_op(trainer.as_mut(), op, set.budget)?;
                let gflops = flops(net.spec(), cfg.batch, op) / timing.median_ns;
                rows.push(Row {
                    engine: engine.name().to_string(),
                    config: cfg.name,
                    op,
                    timing,
                    gflops,
                });
                progress.tick(&format!("{} {} {}", engine.name(), cfg.name, op.name()));
            }
        }
    }
    progress.finish();
    Ok(BenchReport {
        machine: machine(),
        gemm_gflops: gemm,
        rows,
        budget: set.budget,
    })
}

/// Times one operation on a trainer.
pub fn time_op(trainer: &mut dyn Trainer, op: Op, budget: Budget) -> Result<Timing> {
    match op {
        Op::Forward => measure(budget, || trainer.forward().map(drop)),
        Op::Grads => measure(budget, || trainer.grads().map(drop)),
        Op::TrainStep => measure(budget, || trainer.step(&BENCH_SGD).map(drop)),
    }
}

impl BenchReport {
    /// The row for `engine`, `config`, `op`.
    pub fn get(&self, engine: &str, config: &str, op: Op) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.engine == engine && r.config == config && r.op == op)
    }

    /// The row's median over the manual engine's median for the same cell.
    pub fn ratio_to_manual(&self, row: &Row) -> Option<f64> {
        self.get("manual", row.config, row.op)
            .map(|m| row.timing.median_ns / m.timing.median_ns)
    }

    /// `(grads − forward) / forward`: what the backward pass costs in forward passes.
    pub fn backward_forward_ratio(&self, engine: &str, config: &str) -> Option<f64> {
        let f = self.get(engine, config, Op::Forward)?.timing.median_ns;
        let g = self.get(engine, config, Op::Grads)?.timing.median_ns;
        Some((g - f) / f)
    }
}
