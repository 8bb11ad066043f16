//! The clock the CPU actually runs at, measured: the peak's last factor ([`crate::peak`]).
//!
//! `/proc/cpuinfo`'s `cpu MHz` is, on a virtual machine, the figure the hypervisor chose to
//! report (typically the nominal base clock), and on bare metal a snapshot of one moment; a
//! core under load runs at its boost clock, which can be 40 % higher. So the bench times it:
//! one integer add whose operand is the previous add's result cannot start before that result
//! exists, and an x86 core computes an integer add in exactly one cycle (the latency of
//! `add r64, r64` on every x86 core since the Pentium Pro: Intel's and AMD's optimization
//! manuals, Agner Fog's instruction tables). A chain of `n` such adds therefore takes `n`
//! cycles, and `n / seconds` is the clock. The chain is written in assembly (16 adds per loop
//! iteration, the loop's own counter and branch running on other ALUs in parallel), adding a
//! register whose value the CPU cannot know at decode time (so no rename-stage folding of
//! immediates), and it touches no memory.
//!
//! Each of the kernel's threads times its own chain, all at once (a core's boost clock
//! depends on how many cores are busy, as during the GEMM), [`REPEATS`] times; a thread's
//! figure is its fastest chain (preemption by another process can only slow a chain down,
//! never speed it up). The clock is the mean over threads. On a CPU other than x86-64 there
//! is no measurement and the peak falls back to `/proc/cpuinfo`.

use std::time::{Duration, Instant};

/// Dependent adds in one timed chain (about 0.3 ms at 3.7 GHz: shorter than a scheduler
/// time slice, so on a busy machine many chains still run uninterrupted).
pub const CHAIN_ADDS: u64 = 1 << 20;
/// Chains per thread (about 60 ms in all); the fastest counts.
pub const REPEATS: usize = 200;

/// The measured clock: per thread, the rate of its fastest chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    /// GHz, one per thread.
    pub per_thread_ghz: Vec<f64>,
}

impl Clock {
    /// Times the chain on `threads` threads at once; `None` off x86-64 or when a figure is
    /// implausible (outside 0.2–10 GHz: a timer problem, not a clock).
    pub fn measure(threads: usize) -> Option<Clock> {
        let threads = threads.max(1);
        let best: Vec<Option<Duration>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| s.spawn(|| (0..REPEATS).filter_map(|_| time_chain()).min()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().ok().flatten())
                .collect()
        });
        let per_thread_ghz = best
            .into_iter()
            .map(|d| d.map(|d| ghz(CHAIN_ADDS, d)))
            .collect::<Option<Vec<f64>>>()?;
        Clock::from_rates(per_thread_ghz)
    }

    /// From per-thread rates in GHz; `None` when there are none or one is outside 0.2–10 GHz.
    pub fn from_rates(per_thread_ghz: Vec<f64>) -> Option<Clock> {
        let plausible = |g: &f64| (0.2..=10.0).contains(g);
        (!per_thread_ghz.is_empty() && per_thread_ghz.iter().all(plausible))
            .then_some(Clock { per_thread_ghz })
    }

    /// The mean over threads, GHz.
    pub fn ghz(&self) -> f64 {
        self.per_thread_ghz.iter().sum::<f64>() / self.per_thread_ghz.len() as f64
    }

    /// The slowest and the fastest thread, GHz.
    pub fn range(&self) -> (f64, f64) {
        let lo = self
            .per_thread_ghz
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let hi = self.per_thread_ghz.iter().copied().fold(0.0, f64::max);
        (lo, hi)
    }
}

/// The clock implied by `adds` dependent one-cycle adds taking `elapsed`: cycles per second,
/// in GHz.
///
/// ```
/// use bplab_bench::clock::ghz;
/// use std::time::Duration;
/// assert!((ghz(3_700_000_000, Duration::from_secs(1)) - 3.7).abs() < 1e-12);
/// assert!((ghz(1 << 20, Duration::from_micros(300)) - 3.4952533).abs() < 1e-6);
/// ```
pub fn ghz(adds: u64, elapsed: Duration) -> f64 {
    adds as f64 / elapsed.as_secs_f64() / 1e9
}

/// One chain of [`CHAIN_ADDS`] dependent adds, timed.
fn time_chain() -> Option<Duration> {
    let start = Instant::now();
    let sum = add_chain(CHAIN_ADDS / 16)?;
    let elapsed = start.elapsed();
    // The chain adds 1 each time: its result proves every add ran.
    (std::hint::black_box(sum) == CHAIN_ADDS).then_some(elapsed)
}

/// `16 · iterations` dependent `add`s of a register holding 1 (the CPU cannot fold it: it is
/// a run-time value), returning the sum.
#[cfg(target_arch = "x86_64")]
fn add_chain(iterations: u64) -> Option<u64> {
    if iterations == 0 {
        return None;
    }
    let one: u64 = std::hint::black_box(1);
    let mut acc: u64 = 0;
    // SAFETY: register arithmetic and a counted loop; no memory, no stack.
    unsafe {
        std::arch::asm!(
            "2:",
            "add {acc}, {one}", "add {acc}, {one}", "add {acc}, {one}", "add {acc}, {one}",
            "add {acc}, {one}", "add {acc}, {one}", "add {acc}, {one}", "add {acc}, {one}",
            "add {acc}, {one}", "add {acc}, {one}", "add {acc}, {one}", "add {acc}, {one}",
            "add {acc}, {one}", "add {acc}, {one}", "add {acc}, {one}", "add {acc}, {one}",
            "dec {n}",
            "jnz 2b",
            acc = inout(reg) acc,
            one = in(reg) one,
            n = inout(reg) iterations => _,
            options(nomem, nostack),
        );
    }
    Some(acc)
}

#[cfg(not(target_arch = "x86_64"))]
fn add_chain(_: u64) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_mean_and_range() {
        let c = Clock::from_rates(vec![3.6, 3.8]).unwrap();
        assert!((c.ghz() - 3.7).abs() < 1e-12);
        assert_eq!(c.range(), (3.6, 3.8));
        assert_eq!(Clock::from_rates(vec![]), None);
        assert_eq!(Clock::from_rates(vec![3.0, 42.0]), None, "a timer glitch");
        assert_eq!(Clock::from_rates(vec![0.01]), None);
    }

    /// The chain's sum proves its length (the timing itself is not tested).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_chain_adds_sixteen_per_iteration() {
        assert_eq!(add_chain(3), Some(48));
        assert_eq!(add_chain(0), None);
    }
}
