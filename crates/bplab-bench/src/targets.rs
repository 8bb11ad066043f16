//! The targets the manual engine is held to, judged from one [`BenchReport`] (one run, one
//! machine, so every ratio compares like with like):
//! - the fastest engine at every configuration and operation (within [`TIE`] counts as a tie
//!   where time is dominated by large matrix products);
//! - `seed-b1` grads under [`SEED_B1_GRADS_NS`];
//! - zero heap allocations per training step after the first;
//! - `wide-b256` grads at ≥ [`WIDE_GEMM_FRACTION`] of the kernel's measured 1024³ rate;
//! - with a `--baseline`: at most [`BASELINE_RATIO`] × PyTorch's time at every cell, and the
//!   kernel's 1024³ rate at ≥ [`BASELINE_GEMM_FRACTION`] of the best baseline GEMM.
//!
//! Every time compared is a median of the same interleaved rounds ([`crate::rounds`]).

use crate::measure::BenchReport;
use bplab_harness::workload::{BenchConfig, Op};

/// Relative margin that counts as a tie at GEMM-bound configurations.
pub const TIE: f64 = 0.05;
/// The `seed-b1` grads budget, in nanoseconds.
pub const SEED_B1_GRADS_NS: f64 = 1000.0;
/// The fraction of the GEMM throughput `wide-b256` grads must reach.
pub const WIDE_GEMM_FRACTION: f64 = 0.75;
/// The largest manual ÷ baseline time accepted at any cell.
pub const BASELINE_RATIO: f64 = 1.0;
/// The fraction of the best baseline GEMM (1024³) the kernel must reach.
pub const BASELINE_GEMM_FRACTION: f64 = 0.90;

/// One target and whether this run met it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub met: bool,
    /// The measured numbers behind the verdict.
    pub detail: String,
}

/// Every target that the report has the cells for.
pub fn judge(r: &BenchReport) -> Vec<Target> {
    let mut out = Vec::new();
    let manual_rows: Vec<_> = r.rows.iter().filter(|x| x.engine == "manual").collect();
    for m in &manual_rows {
        let others: Vec<_> = r
            .rows
            .iter()
            .filter(|x| x.engine != "manual" && x.config == m.config && x.op == m.op)
            .collect();
        let Some(best) = others
            .iter()
            .min_by(|a, b| a.timing.median_ns.total_cmp(&b.timing.median_ns))
        else {
            continue;
        };
        let tie = BenchConfig::by_name(m.config).is_ok_and(|c| c.gemm_bound());
        let limit = best.timing.median_ns * if tie { 1.0 + TIE } else { 1.0 };
        out.push(Target {
            name: format!("fastest at {} {}", m.config, m.op.name()),
            met: m.timing.median_ns <= limit,
            detail: format!(
                "manual {} vs {} {} ({:.2}× the fastest other engine{})",
                fmt_ns(m.timing.median_ns),
                best.engine,
                fmt_ns(best.timing.median_ns),
                m.timing.median_ns / best.timing.median_ns,
                if tie { "; ≤ 1.05 is a tie here" } else { "" }
            ),
        });
    }
    if let Some(m) = r.get("manual", "seed-b1", Op::Grads) {
        out.push(Target {
            name: "seed-b1 grads under 1 µs".into(),
            met: m.timing.median_ns < SEED_B1_GRADS_NS,
            detail: format!("median {}", fmt_ns(m.timing.median_ns)),
        });
    }
    let steps: Vec<_> = manual_rows
        .iter()
        .filter(|x| x.op == Op::TrainStep)
        .collect();
    if !steps.is_empty() {
        let worst = steps
            .iter()
            .max_by(|a, b| {
                a.timing
                    .allocs_per_iter
                    .total_cmp(&b.timing.allocs_per_iter)
            })
            .expect("non-empty");
        out.push(Target {
            name: "zero allocations per training step".into(),
            met: worst.timing.allocs_per_iter == 0.0,
            detail: format!(
                "most: {:.2} allocations per step at {}",
                worst.timing.allocs_per_iter, worst.config
            ),
        });
    }
    if let Some(m) = r.get("manual", "wide-b256", Op::Grads) {
        let frac = m.gflops / r.gemm_gflops;
        out.push(Target {
            name: format!(
                "wide-b256 grads at ≥ {:.0}% of the kernel's 1024³ rate",
                100.0 * WIDE_GEMM_FRACTION
            ),
            met: frac >= WIDE_GEMM_FRACTION,
            detail: format!(
                "{:.1} GFLOP/s of {:.1} ({:.0}%)",
                m.gflops,
                r.gemm_gflops,
                100.0 * frac
            ),
        });
    }
    if let Some(b) = &r.baseline {
        for m in &manual_rows {
            let Some(x) = b.get(m.config, m.op.name()) else {
                continue;
            };
            let ratio = m.timing.median_ns / x.median_ns;
            out.push(Target {
                name: format!(
                    "≤ {BASELINE_RATIO}× {} at {} {}",
                    x.engine,
                    m.config,
                    m.op.name()
                ),
                met: ratio <= BASELINE_RATIO,
                detail: format!(
                    "manual {} vs {} {} ({ratio:.2}×)",
                    fmt_ns(m.timing.median_ns),
                    x.engine,
                    fmt_ns(x.median_ns)
                ),
            });
        }
        if let Some(g) = b.best_gemm(1024, 1024, 1024) {
            let frac = r.gemm_gflops / g.gflops;
            out.push(Target {
                name: format!(
                    "kernel 1024³ at ≥ {:.0}% of the best baseline GEMM",
                    100.0 * BASELINE_GEMM_FRACTION
                ),
                met: frac >= BASELINE_GEMM_FRACTION,
                detail: format!(
                    "{:.1} GFLOP/s vs {} {:.1} ({:.0}%)",
                    r.gemm_gflops,
                    g.library,
                    g.gflops,
                    100.0 * frac
                ),
            });
        }
    }
    out
}

/// `812 ns`, `3.41 µs`, `27.0 ms`.
pub fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}
