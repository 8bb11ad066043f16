//! `bplab bench`: every selected engine × configuration × operation, timed through the
//! engine's [`Trainer`] (data and weights converted once, outside the timed loop), with
//! GFLOP/s, the ratio to the manual engine, allocations per call, the backward/forward cost
//! ratio, and the targets the manual engine is held to.

use crate::baseline::Baseline;
use crate::gemm::{gemm_gflops, gemm_rate, GEMM_WIDE};
use crate::peak::Peak;
use crate::rounds::{self, CellTiming};
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
    /// Threads of the manual kernel (`--threads`; 0: every core).
    pub threads: usize,
    /// Another framework's timings to show beside these (`--baseline`).
    pub baseline: Option<Baseline>,
}

/// One engine × configuration × operation.
#[derive(Debug, Clone)]
pub struct Row {
    pub engine: String,
    pub config: &'static str,
    pub op: Op,
    pub timing: Timing,
    /// The first call of this operation on a fresh trainer, timed alone before the
    /// measurement: where a backend compiles kernels (burn-wgpu: CubeCL's JIT to WGSL, naga to
    /// SPIR-V, the driver's pipeline) and autotunes, that cost lands here, not in `timing`.
    pub first_call_ns: f64,
    /// Useful GFLOP/s ([`flops`] over the median time).
    pub gflops: f64,
    /// First and third quartile of the per-round medians ([`rounds`]).
    pub q1_ns: f64,
    pub q3_ns: f64,
    /// Interleaved rounds behind the median.
    pub rounds: usize,
}

/// The fixed GEMM timed at the start and at the end of a run: when the two differ by more
/// than [`DISTURBED`], the machine was busy with something else during the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub start_gflops: f64,
    pub end_gflops: f64,
}

/// Relative change between the two calibrations that marks a run as disturbed.
pub const DISTURBED: f64 = 0.15;

impl Calibration {
    /// `|end − start| / start`.
    pub fn change(&self) -> f64 {
        (self.end_gflops - self.start_gflops).abs() / self.start_gflops
    }

    /// Whether the calibrations differ by more than [`DISTURBED`].
    pub fn disturbed(&self) -> bool {
        self.change() > DISTURBED || self.change().is_nan()
    }
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The machine, as `/proc/cpuinfo` names it, and its core count.
    pub machine: String,
    /// f32 GEMM throughput of the manual engine's kernel on this machine, this run (1024³, the
    /// better of the two calibrations).
    pub gemm_gflops: f64,
    /// The same kernel at [`GEMM_WIDE`].
    pub gemm_wide_gflops: f64,
    pub calibration: Calibration,
    /// The machine's theoretical f32 peak.
    pub peak: Peak,
    pub rows: Vec<Row>,
    pub budget: Budget,
    pub baseline: Option<Baseline>,
}

/// Runs the matrix: per configuration every engine's trainer, per operation the engines
/// timed in interleaved [`rounds`]; the fixed GEMM before and after.
pub fn run(set: &BenchConfigSet<'_>) -> Result<BenchReport> {
    bplab_manual::kernels::pool::set_threads(set.threads);
    let total = 3 + set.configs.len() * set.ops.len();
    let mut progress = Progress::new("bench", total);
    let (start_gflops, _) = gemm_gflops(set.budget)?;
    progress.tick("gemm");
    let (m, k, n) = GEMM_WIDE;
    let (gemm_wide_gflops, _) = gemm_rate(m, k, n, set.budget)?;
    progress.tick("gemm 256×1024×1024");
    let mut rows = Vec::new();
    for cfg in &set.configs {
        let (net, batch) = cfg.workload();
        let mut trainers = Vec::with_capacity(set.engines.len());
        for engine in set.engines {
            trainers.push(engine.trainer(&net, &batch, DType::F32)?);
        }
        for &op in &set.ops {
            let mut first = Vec::with_capacity(trainers.len());
            for t in trainers.iter_mut() {
                first.push(first_call(t.as_mut(), op)?);
            }
            let cells: Vec<CellTiming> = rounds::time_cell(&mut trainers, op, set.budget)?;
            for ((engine, cell), first_call_ns) in set.engines.iter().zip(cells).zip(first) {
                rows.push(Row {
                    engine: engine.name().to_string(),
                    config: cfg.name,
                    op,
                    timing: cell.timing,
                    first_call_ns,
                    gflops: flops(net.spec(), cfg.batch, op) / cell.timing.median_ns,
                    q1_ns: cell.q1_ns,
                    q3_ns: cell.q3_ns,
                    rounds: cell.rounds,
                });
            }
            progress.tick(&format!("{} {}", cfg.name, op.name()));
        }
    }
    let (end_gflops, _) = gemm_gflops(set.budget)?;
    progress.tick("gemm again");
    progress.finish();
    let calibration = Calibration {
        start_gflops,
        end_gflops,
    };
    if calibration.disturbed() {
        eprintln!(
            "bench: warning: the calibration GEMM moved by {:.0}% during the run ({:.1} → {:.1} GFLOP/s): the machine was busy with other work; compare ratios with care",
            100.0 * calibration.change(),
            start_gflops,
            end_gflops
        );
    }
    Ok(BenchReport {
        machine: machine(),
        gemm_gflops: start_gflops.max(end_gflops),
        gemm_wide_gflops,
        calibration,
        peak: Peak::detect(bplab_manual::kernels::pool::threads()),
        rows,
        budget: set.budget,
        baseline: set.baseline.clone(),
    })
}

/// Times one call of `op` on `trainer`, in nanoseconds (the first one: see
/// [`Row::first_call_ns`]).
pub fn first_call(trainer: &mut dyn Trainer, op: Op) -> Result<f64> {
    let start = std::time::Instant::now();
    match op {
        Op::Forward => trainer.forward().map(drop),
        Op::Grads => trainer.grads().map(drop),
        Op::TrainStep => trainer.step(&BENCH_SGD).map(drop),
    }?;
    Ok(start.elapsed().as_nanos() as f64)
}

/// Times one operation on a trainer alone (the sweep; the matrix uses [`rounds`]).
pub fn time_op(trainer: &mut dyn Trainer, op: Op, budget: Budget) -> Result<Timing> {
    measure(budget, || rounds::call(trainer, op))
}

impl BenchReport {
    /// The row for `engine`, `config`, `op`.
    pub fn get(&self, engine: &str, config: &str, op: Op) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.engine == engine && r.config == config && r.op == op)
    }

    /// The row's median over the baseline's (PyTorch's) median for the same cell.
    pub fn ratio_to_baseline(&self, row: &Row) -> Option<f64> {
        let b = self.baseline.as_ref()?.get(row.config, row.op.name())?;
        Some(row.timing.median_ns / b.median_ns)
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
