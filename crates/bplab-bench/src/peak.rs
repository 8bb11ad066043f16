//! The machine's physical limit for f32 multiply–adds, printed beside the measured GEMM:
//! `threads × FMA units per core × f32 lanes × 2 FLOPs × clock`, each figure with where it
//! comes from — the CPU model, vendor and family from `/proc/cpuinfo`, the lanes from the
//! instruction set the kernel dispatched to ([`Isa::detect`]), the FMA units from a small table
//! by vendor and family (not something the CPU reports), and the clock from `/proc/cpuinfo`'s
//! `cpu MHz` (on a virtual machine the hypervisor's figure: an estimate, not a measured
//! frequency; turbo and AVX-512 down-clocking move the real one).

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
    pub ghz: f64,
    /// Where `ghz` comes from.
    pub clock_source: String,
    /// The CPU reports a hypervisor.
    pub virtual_machine: bool,
}

impl Peak {
    /// This machine, for a kernel on `threads` threads.
    pub fn detect(threads: usize) -> Peak {
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Peak::from_cpuinfo(&info, Isa::detect(), threads)
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
        let (ghz, clock_source) = match field("cpu MHz").and_then(|m| m.parse::<f64>().ok()) {
            Some(mhz) if virtual_machine => (
                mhz / 1e3,
                "/proc/cpuinfo cpu MHz, as the hypervisor reports it (a VM: an estimate)".into(),
            ),
            Some(mhz) => (
                mhz / 1e3,
                "/proc/cpuinfo cpu MHz (the current clock)".into(),
            ),
            None => (0.0, "unknown (no cpu MHz in /proc/cpuinfo)".into()),
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
                "peak f32: {:.0} GFLOP/s = {} threads × {} FMA units × {} lanes × 2 × {:.2} GHz",
                self.gflops(),
                self.threads,
                self.fma_units,
                self.lanes,
                self.ghz
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
