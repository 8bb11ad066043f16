//! `bplab bench --gemm-plot FILE`: GFLOP/s against the size of a square f32 product, the
//! manual kernel measured now at every size the baseline file recorded, beside the baseline's
//! own GEMM rates (PyTorch's and NumPy's), and the machine's theoretical peak as a flat line.
//! One SVG, drawn by [`bplab_output::plot::LineChart`].

use crate::baseline::Baseline;
use crate::gemm::gemm_rate;
use bplab_core::{Error, Result};
use bplab_harness::timing::Budget;
use bplab_output::plot::{LineChart, Scale, Series};
use std::path::Path;

/// The square sizes of the baseline's GEMM rates, ascending.
pub fn sizes(b: &Baseline) -> Vec<usize> {
    let mut s: Vec<usize> = b
        .gemm
        .iter()
        .filter(|g| g.m == g.k && g.k == g.n)
        .map(|g| g.m)
        .collect();
    s.sort_unstable();
    s.dedup();
    s
}

/// Measures the kernel at every size of `b` and writes the plot to `path`.
pub fn write(path: &Path, b: &Baseline, peak_gflops: f64, budget: Budget) -> Result<()> {
    let sizes = sizes(b);
    let mut ours = Vec::with_capacity(sizes.len());
    for &n in &sizes {
        ours.push((n as f64, gemm_rate(n, n, n, budget)?.0));
    }
    let mut chart = LineChart::new("square f32 GEMM: GFLOP/s vs size (n × n times n × n)")
        .x("n", Scale::Log10)
        .y("GFLOP/s", Scale::Linear)
        .series(Series::new("manual kernel", ours));
    let mut libraries: Vec<&str> = b.gemm.iter().map(|g| g.library.as_str()).collect();
    libraries.dedup();
    libraries.sort_unstable();
    libraries.dedup();
    for lib in libraries {
        let points = b
            .gemm
            .iter()
            .filter(|g| g.library == lib && g.m == g.k && g.k == g.n)
            .map(|g| (g.m as f64, g.gflops))
            .collect();
        chart = chart.series(Series::new(lib, points));
    }
    if let (Some(&lo), Some(&hi)) = (sizes.first(), sizes.last()) {
        let peak = vec![(lo as f64, peak_gflops), (hi as f64, peak_gflops)];
        chart = chart.series(Series::new("theoretical peak", peak));
    }
    std::fs::write(path, chart.to_svg()).map_err(|e| Error::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}
