//! Interleaved rounds: every engine of one cell (configuration × operation) is timed in turn,
//! round after round, the order rotated each round, so that a burst of load on a shared
//! machine lands on every engine of the cell rather than on one engine's cells. Each visit
//! takes [`PER_VISIT`] samples; an engine's time is the median over rounds of its per-round
//! medians, with the interquartile range of the per-round medians as its spread.

use bplab_core::train::Trainer;
use bplab_core::Result;
use bplab_harness::alloc;
use bplab_harness::timing::{Budget, Timing};
use bplab_harness::workload::{Op, BENCH_SGD};
use std::time::Instant;

/// Samples per visit of one engine in one round.
pub const PER_VISIT: usize = 3;

/// One engine's time on one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellTiming {
    /// `median_ns`: the median of the per-round medians; allocations over every timed call.
    pub timing: Timing,
    /// First and third quartile of the per-round medians.
    pub q1_ns: f64,
    pub q3_ns: f64,
    pub rounds: usize,
}

/// One call of `op`.
pub fn call(trainer: &mut dyn Trainer, op: Op) -> Result<()> {
    match op {
        Op::Forward => trainer.forward().map(drop),
        Op::Grads => trainer.grads().map(drop),
        Op::TrainStep => trainer.step(&BENCH_SGD).map(drop),
    }
}

/// Times `op` on every trainer in `budget.samples` interleaved rounds (at least three).
pub fn time_cell(
    trainers: &mut [Box<dyn Trainer>],
    op: Op,
    budget: Budget,
) -> Result<Vec<CellTiming>> {
    let n = trainers.len();
    let rounds = budget.samples.max(3);
    let per_sample = budget.time.as_secs_f64() / (rounds * PER_VISIT) as f64;
    let mut iters = Vec::with_capacity(n);
    for t in trainers.iter_mut() {
        // Warm-up: at least two calls and about a tenth of the budget.
        let start = Instant::now();
        let mut calls = 0u32;
        while calls < 2 || (start.elapsed() < budget.time / 10 && calls < 1000) {
            call(t.as_mut(), op)?;
            calls += 1;
        }
        let per_call = start.elapsed().as_secs_f64() / calls as f64;
        iters.push(((per_sample / per_call.max(1e-9)) as usize).clamp(1, 1_000_000));
    }
    let mut medians: Vec<Vec<f64>> = (0..n).map(|_| Vec::with_capacity(rounds)).collect();
    let mut counted = vec![(0u64, 0u64); n];
    for r in 0..rounds {
        for j in 0..n {
            let e = (r + j) % n;
            let mut samples = [0.0f64; PER_VISIT];
            let (a0, b0) = alloc::counts();
            for s in samples.iter_mut() {
                let t = Instant::now();
                for _ in 0..iters[e] {
                    call(trainers[e].as_mut(), op)?;
                }
                *s = t.elapsed().as_secs_f64() * 1e9 / iters[e] as f64;
            }
            let (a1, b1) = alloc::counts();
            counted[e].0 += a1 - a0;
            counted[e].1 += b1 - b0;
            samples.sort_by(f64::total_cmp);
            medians[e].push(samples[PER_VISIT / 2]);
        }
    }
    Ok((0..n)
        .map(|e| {
            let m = &mut medians[e];
            m.sort_by(f64::total_cmp);
            let calls = (rounds * PER_VISIT * iters[e]) as f64;
            CellTiming {
                timing: Timing {
                    median_ns: quantile(m, 0.5),
                    allocs_per_iter: counted[e].0 as f64 / calls,
                    bytes_per_iter: counted[e].1 as f64 / calls,
                    iters: iters[e],
                },
                q1_ns: quantile(m, 0.25),
                q3_ns: quantile(m, 0.75),
                rounds,
            }
        })
        .collect())
}

/// The `q`-quantile of sorted values, interpolated linearly.
///
/// ```
/// use bplab_bench::rounds::quantile;
/// assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5), 3.0);
/// assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), 2.0);
/// assert_eq!(quantile(&[1.0, 2.0], 0.5), 1.5);
/// ```
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let x = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo as f64)
}
