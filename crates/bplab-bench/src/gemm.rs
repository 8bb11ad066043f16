//! The machine's f32 matrix-product throughput, measured through the very kernel the manual
//! engine's Linear layers use ([`bplab_manual::kernels::matmul::matmul`]), so every configuration's
//! GFLOP/s can be read as a fraction of what this machine's GEMM does on one large product.

use bplab_core::Result;
use bplab_harness::timing::{measure, Budget, Timing};
use bplab_manual::kernels::matmul::matmul;
use bplab_manual::kernels::view::MatRef;

/// Side of the square product measured (`n × n` times `n × n`, `2n³` FLOPs).
pub const GEMM_N: usize = 1024;

/// GFLOP/s of one `GEMM_N³` f32 product, and its timing.
pub fn gemm_gflops(budget: Budget) -> Result<(f64, Timing)> {
    let n = GEMM_N;
    let a: Vec<f32> = (0..n * n)
        .map(|i| ((i % 97) as f32 - 48.0) / 64.0)
        .collect();
    let b: Vec<f32> = (0..n * n)
        .map(|i| ((i % 89) as f32 - 44.0) / 64.0)
        .collect();
    let mut c = vec![0.0f32; n * n];
    let timing = measure(budget, || {
        matmul(
            &mut c,
            MatRef::row_major(&a, n, n),
            MatRef::row_major(&b, n, n),
            false,
        );
        Ok(())
    })?;
    let flops = 2.0 * (n as f64).powi(3);
    Ok((flops / timing.median_ns, timing))
}
