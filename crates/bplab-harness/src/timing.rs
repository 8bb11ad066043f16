//! Timing one operation: warm up (the first call may allocate its buffers), pick how many
//! calls make one sample, take several samples, report the median time per call and the heap
//! allocations and bytes per call counted over every timed call.

use crate::alloc;
use bplab_core::Result;
use std::time::{Duration, Instant};

/// How long and how often to measure one cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Wall time aimed at for all samples of one cell.
    pub time: Duration,
    /// Samples taken (the median is reported).
    pub samples: usize,
}

impl Budget {
    /// `--quick`: the whole matrix in well under a minute.
    pub const QUICK: Budget = Budget {
        time: Duration::from_millis(250),
        samples: 7,
    };
    /// The default: steadier medians.
    pub const FULL: Budget = Budget {
        time: Duration::from_millis(1500),
        samples: 15,
    };
}

/// One measured cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Median over samples of the time per call, in nanoseconds.
    pub median_ns: f64,
    /// Heap allocations per call (averaged over every timed call).
    pub allocs_per_iter: f64,
    /// Bytes allocated per call.
    pub bytes_per_iter: f64,
    /// Calls per sample.
    pub iters: usize,
}

/// Times `f` within `budget`.
pub fn measure(budget: Budget, mut f: impl FnMut() -> Result<()>) -> Result<Timing> {
    // Warm-up: at least two calls (the first sets up buffers) and about a tenth of the budget.
    let warm_start = Instant::now();
    let mut warm_calls = 0u32;
    while warm_calls < 2 || (warm_start.elapsed() < budget.time / 10 && warm_calls < 1000) {
        f()?;
        warm_calls += 1;
    }
    let per_call = warm_start.elapsed().as_secs_f64() / warm_calls as f64;
    let per_sample = budget.time.as_secs_f64() / budget.samples as f64;
    let iters = ((per_sample / per_call.max(1e-9)) as usize).clamp(1, 1_000_000);

    let mut times = Vec::with_capacity(budget.samples);
    let (a0, b0) = alloc::counts();
    for _ in 0..budget.samples {
        let t = Instant::now();
        for _ in 0..iters {
            f()?;
        }
        times.push(t.elapsed().as_secs_f64() * 1e9 / iters as f64);
    }
    let (a1, b1) = alloc::counts();
    // The sample vector was allocated before counting started; nothing else here allocates.
    let calls = (budget.samples * iters) as f64;
    times.sort_by(f64::total_cmp);
    Ok(Timing {
        median_ns: times[times.len() / 2],
        allocs_per_iter: (a1 - a0) as f64 / calls,
        bytes_per_iter: (b1 - b0) as f64 / calls,
        iters,
    })
}

/// `"<cpu model> (<n> cores)"`.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{model} ({cores} cores)")
}
