//! The burn tests' helpers: the two engines, and the shared helpers of
//! [`bplab_core::testing`] with burn's inputs ([`Draw::Normal`]: Xavier-normal weights,
//! `N(0, 0.1²)` biases, `N(0, 1)` inputs, softmax or `N(0, 0.5²)` targets), on which the
//! pinned figures of these tests were measured.

use bplab_burn::{BurnBackend, BurnEngine};
use bplab_core::testing::Draw;
use bplab_core::{Batch, Init, NetSpec, Network, ParamSet};

pub use bplab_core::testing::{
    assert_passed, exact_tol, fd, fd_tol, in_own_process, spec, tensor, worst_excess,
};

/// Both engines, ndarray first.
pub fn engines() -> Vec<BurnEngine> {
    BurnBackend::ALL.into_iter().map(BurnEngine::new).collect()
}

/// Xavier-normal weights and `N(0, 0.1²)` biases drawn from `seed`.
pub fn params(spec: &NetSpec, seed: u64) -> ParamSet {
    Draw::Normal.params(spec, Init::XavierNormal, seed)
}

/// The network of `spec` with [`params`].
pub fn network(spec: &NetSpec, seed: u64) -> Network {
    Draw::Normal.network(spec, Init::XavierNormal, seed)
}

/// A batch of `b` rows: inputs `N(0, 1)`; targets a probability row for cross-entropy (a
/// softmax of `N(0, 1)` draws) and `N(0, 0.5²)` values for mse.
pub fn batch(spec: &NetSpec, b: usize, seed: u64) -> Batch {
    Draw::Normal.batch(spec, b, seed)
}
