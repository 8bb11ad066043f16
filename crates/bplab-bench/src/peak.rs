//! The machine's physical limit for f32 multiply–adds, printed beside the measured GEMM:
//! `threads × FMA units per core × f32 lanes × 2 FLOPs × clock`, each figure with where it
//! comes from — the CPU model, vendor and family from `/proc/cpuinfo`, the lanes from the
//! instruction set the kernel dispatched to ([`Isa::detect`]), the FMA units from a small table
//! by vendor and family (not something the CPU reports), and the clock measured at run time
//! ([`crate::clock`]: a chain of dependent one-cycle integer adds timed on every thread), with
//! `/proc/cpuinfo`'s `cpu MHz` beside it for comparison (on a virtual machine the hypervisor's
//! nominal figure; under load the CPU runs at its boost clock, well above it). Only where the
//! clock cannot be measured (not x86-64) does the peak use `/proc/cpuinfo`'s figure, and says so.

use crate::clock::Clock;
use bplab_manual::kernels::isa::Isa;

/// The theoretical f32 peak and where each factor comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Peak {
    pub model: String,
    /// The kernel's instruction set.
    pub isa: Isa,
    pub threads: usize,
    pub fma_units: usize,
    /// Where `fma_units` comes from.
    pub fma_source: String,
    pub lanes: usize,
    /// The clock the peak uses: the measured one when there is one, else `/proc/cpuinfo`'s.
    pub ghz: f64,
    /// Where `ghz` comes from.
    pub clock_source: String,
    /// `/proc/cpuinfo`'s `cpu MHz`, in GHz.
    pub cpuinfo_ghz: Option<f64>,
    /// The clock measured at run time ([`Clock::measure`]).
    pub measured: Option<Clock>,
    /// The CPU reports a hypervisor.
    pub virtual_machine: bool,
}

impl Peak {
    /// This machine, for a kernel on `threads` threads, at the clock measured now on that
    /// many threads.
    pub fn detect(threads: usize) -> Peak {
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Peak::from_cpuinfo(&info, Isa::detect(), threads).with_clock(Clock::measure(threads))
    }

    /// The same peak at a measured clock (`None`: keep `/proc/cpuinfo`'s figure).
    ///
    /// ```
    /// use bplab_bench::{clock::Clock, peak::Peak};
    /// use bplab_manual::kernels::isa::Isa;
    /// let info = "vendor_id\t: AuthenticAMD\ncpu family\t: 26\ncpu MHz\t\t: 2600.000\n";
    /// let p = Peak::from_cpuinfo(info, Isa::Avx512, 2)
    ///     .with_clock(Clock::from_rates(vec![3.68, 3.72]));
    /// assert_eq!(p.cpuinfo_ghz, Some(2.6));
    /// assert!((p.ghz - 3.7).abs() < 1e-12);
    /// assert!((p.gflops() - 2.0 * 2.0 * 16.0 * 2.0 * 3.7).abs() < 1e-9);
    /// ```
    pub fn with_clock(self, measured: Option<Clock>) -> Peak {
        let Some(c) = measured else {
            return self;
        };
        let (lo, hi) = c.range();
        let cpuinfo = match self.cpuinfo_ghz {
            Some(g) if self.virtual_machine => format!(
                "/proc/cpuinfo says {g:.2} GHz, the hypervisor's nominal figure, not the running clock"
            ),
            Some(g) => format!("/proc/cpuinfo said {g:.2} GHz when read"),
            None => "/proc/cpuinfo gives no clock".into(),
        };
        Peak {
            ghz: c.ghz(),
            clock_source: format!(
                "measured {:.2} GHz (dependent one-cycle integer adds timed on {} thread{} at once, {:.2}–{:.2} GHz; see bplab_bench::clock); {cpuinfo}",
                c.ghz(),
                c.per_thread_ghz.len(),
                if c.per_thread_ghz.len() == 1 { "" } else { "s" },
                lo,
                hi
            ),
            measured: Some(c),
            ..self
        }
    }

    /// From the text of `/proc/cpuinfo`.
    ///
    /// ```
    /// use bplab_bench::peak::Peak;
    /// use bplab_manual::kernels::isa::Isa;
    /// let info = "vendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel name\t: AMD EPYC\n\
    ///             cpu MHz\t\t: 2600.000\nflags\t\t: fpu avx2 fma avx512f hypervisor\n";
    /// let p = Peak::from_cpuinfo(info, Isa::Avx512, 2);
    /// assert_eq!((p.fma_units, p.lanes), (2, 16));
    /// assert!((p.gflops() - 2.0 * 2.0 * 16.0 * 2.0 * 2.6).abs() < 1e-9);
    /// assert!(p.virtual_machine);
    /// ```
    pub fn from_cpuinfo(info: &str, isa: Isa, threads: usize) -> Peak {
        let field = |key: &str| {
            info.lines()
                .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        };
        let model = field("model name").unwrap_or_else(|| std::env::consts::ARCH.into());
        let vendor = field("vendor_id").unwrap_or_default();
        let family: u32 = field("cpu family")
            .and_then(|f| f.parse().ok())
            .unwrap_or(0);
        let virtual_machine =
            field("flags").is_some_and(|f| f.split(' ').any(|x| x == "hypervisor"));
        let lanes = isa.f32_lanes();
        let (fma_units, fma_source) = fma_units(&vendor, family, isa);
        let cpuinfo_ghz = field("cpu MHz")
            .and_then(|m| m.parse::<f64>().ok())
            .map(|mhz| mhz / 1e3);
        let (ghz, clock_source) = match cpuinfo_ghz {
            Some(g) if virtual_machine => (
                g,
                "/proc/cpuinfo cpu MHz, as the hypervisor reports it (not measured: an estimate; the running clock is usually higher)".into(),
            ),
            Some(g) => (g, "/proc/cpuinfo cpu MHz (not measured: the clock when read)".into()),
            None => (0.0, "unknown (no cpu MHz in /proc/cpuinfo, not measured)".into()),
        };
        Peak {
            model,
            isa,
            threads,
            fma_units,
            fma_source,
            lanes,
            ghz,
            clock_source,
            cpuinfo_ghz,
            measured: None,
            virtual_machine,
        }
    }

    /// `threads × fma_units × lanes × 2 × GHz`, in GFLOP/s.
    pub fn gflops(&self) -> f64 {
        (self.threads * self.fma_units * self.lanes * 2) as f64 * self.ghz
    }

    /// One line per factor, for the report.
    pub fn explain(&self) -> Vec<String> {
        vec![
            format!(
                "peak f32: {:.0} GFLOP/s = {} threads × {} FMA units × {} lanes × 2 × {:.2} GHz ({})",
                self.gflops(),
                self.threads,
                self.fma_units,
                self.lanes,
                self.ghz,
                if self.measured.is_some() {
                    "the measured clock"
                } else {
                    "/proc/cpuinfo's clock"
                }
            ),
            format!(
                "  threads: the kernel's thread count (bench --threads; {} available)",
                bplab_manual::kernels::pool::available()
            ),
            format!("  FMA units: {}", self.fma_source),
            format!(
                "  lanes: the dispatched kernel ({}, {} f32 per register)",
                self.isa.features(),
                self.lanes
            ),
            format!("  clock: {}", self.clock_source),
        ]
    }
}

/// FMA units per core able to issue one `lanes`-wide f32 FMA per cycle, and why.
fn fma_units(vendor: &str, family: u32, isa: Isa) -> (usize, String) {
    let wide = isa == Isa::Avx512;
    match (vendor, family) {
        ("AuthenticAMD", 26) => (
            2,
            "AMD family 1Ah (Zen 5): two FMA pipes, 512 bits wide on server parts".into(),
        ),
        ("AuthenticAMD", 25) if wide => (
            1,
            "AMD family 19h (Zen 4): two 256-bit FMA pipes, a 512-bit FMA takes both".into(),
        ),
        ("AuthenticAMD", 23 | 25) => (
            2,
            "AMD family 17h/19h (Zen 2–4): two 256-bit FMA pipes".into(),
        ),
        ("GenuineIntel", _) if wide => (
            2,
            "Intel with AVX-512: two 512-bit FMA units (most Xeon Scalable parts; some have one)"
                .into(),
        ),
        ("GenuineIntel", _) => (
            2,
            "Intel with AVX2: two 256-bit FMA units (Haswell and later)".into(),
        ),
        _ => (
            1,
            format!("unknown CPU ({vendor} family {family}): one FMA unit assumed"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VM: &str = "vendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel name\t: AMD EPYC\n\
                      cpu MHz\t\t: 2600.000\nflags\t\t: fpu avx2 fma avx512f hypervisor\n";

    /// The peak uses the measured clock and names both it and `/proc/cpuinfo`'s figure;
    /// without a measurement it says the figure is `/proc/cpuinfo`'s.
    #[test]
    fn measured_clock_replaces_cpuinfo_and_both_are_reported() {
        let base = Peak::from_cpuinfo(VM, Isa::Avx512, 2);
        assert_eq!(base.cpuinfo_ghz, Some(2.6));
        assert!(base.explain()[0].ends_with("× 2.60 GHz (/proc/cpuinfo's clock)"));
        let p = base.with_clock(Clock::from_rates(vec![3.6, 3.8]));
        assert!((p.gflops() - 2.0 * 2.0 * 16.0 * 2.0 * 3.7).abs() < 1e-9);
        let lines = p.explain();
        assert!(
            lines[0].starts_with("peak f32: 474 GFLOP/s"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].ends_with("× 3.70 GHz (the measured clock)"),
            "{}",
            lines[0]
        );
        let clock = lines.last().unwrap();
        assert!(clock.contains("measured 3.70 GHz"), "{clock}");
        assert!(clock.contains("3.60–3.80 GHz"), "{clock}");
        assert!(clock.contains("/proc/cpuinfo says 2.60 GHz"), "{clock}");
        let none = Peak::from_cpuinfo("", Isa::Avx512, 1).with_clock(None);
        assert_eq!((none.ghz, none.cpuinfo_ghz), (0.0, None));
    }
}
