//! Helpers shared by the integration tests: the networks, batches and assertions of
//! `bplab_core::testing`, finite differences through the engine the harness would use, the
//! PyTorch fixtures ([`fixtures`]) and running the binary ([`cli`]).

pub mod cli;
pub mod fixtures;

use bplab_core::{Batch, Comparison, DType, Engine, Network, Tolerance};

pub use bplab_core::testing::{assert_all_pass, batch, network};

/// Every comparison of `engine`'s gradients (parameters and input) with central finite
/// differences, kinks skipped: through the engine's own f64 forward, or the manual engine's
/// where the engine's f64 forward is not f64-accurate (`deviations::fd_through_manual`).
pub fn fd_comparisons(
    engine: &dyn Engine,
    net: &Network,
    batch: &Batch,
    dtype: DType,
    tol: Tolerance,
) -> Vec<Comparison> {
    let manual = bplab_manual::ManualEngine::new();
    let fd_engine: &dyn Engine =
        if bplab_harness::deviations::fd_through_manual(engine.name(), net.spec()) {
            &manual
        } else {
            engine
        };
    bplab_core::testing::fd_comparisons(engine, fd_engine, net, batch, dtype, tol)
}
