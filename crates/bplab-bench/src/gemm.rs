//! The machine's f32 matrix-product throughput, measured through the very kernel the manual
//! engine's Linear layers use ([`bplab_manual::kernels::matmul::matmul`]), so every configuration's
//! GFLOP/s can be read as a fraction of what this machine's GEMM does on one large product.

use bplab_core::Result;
use bplab_harness::timing::{measure, Budget, Timing};
use bplab_manual::kernels::matmul::matmul;
use bplab_manual::kernels::view::MatRef;

/// Side of the square product measured (`n × n` times `n × n`, `2n³` FLOPs).
pub const GEMM_N: usize = 1024;

/// The second shape compared with other libraries: one Linear layer of `wide-b256`
/// (`256 × 1024` times `1024 × 1024`).
pub const GEMM_WIDE: (usize, usize, usize) = (256, 1024, 1024);

/// GFLOP/s of one `GEMM_N³` f32 product, and its timing.
pub fn gemm_gflops(budget: Budget) -> Result<(f64, Timing)> {
    gemm_rate(GEMM_N, GEMM_N, GEMM_N, budget)
}

/// GFLOP/s of one `(m, k) × (k, n)` f32 product through the manual kernel, and its timing.
pub fn gemm_rate(m: usize, k: usize, n: usize, budget: Budget) -> Result<(f64, Timing)> {
    let a: Vec<f32> = (0..m * k)
        .map(|i| ((i % 97) as f32 - 48.0) / 64.0)
        .collect();
    let b: Vec<f32> = (0..k * n)
        .map(|i| ((i % 89) as f32 - 44.0) / 64.0)
        .collect();
    let mut c = vec![0.0f32; m * n];
    let timing = measure(budget, || {
        matmul(
            &mut c,
            MatRef::row_major(&a, m, k),
            MatRef::row_major(&b, k, n),
            false,
        );
        Ok(())
    })?;
    let flops = 2.0 * (m * k * n) as f64;
    Ok((flops / timing.median_ns, timing))
}
