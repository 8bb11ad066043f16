//! What burn records for one training step, counted through its public API. burn-autodiff
//! keeps its tape in a crate-private graph (`pub(crate) mod graph`,
//! `burn-autodiff-0.22.1/src/lib.rs:53`; the server's `steps` map is private,
//! `src/runtime/server.rs:31-35`), so the nodes cannot be listed. But every autodiff tensor —
//! a leaf (`AutodiffTensor::new`, `src/tensor.rs:157-158`) or the result of a recorded op
//! (`from_parents`, `src/tensor.rs:209-234`) — takes a fresh id from one process-wide counter,
//! `NodeId::new()` (`src/graph/node.rs:80-86`), and `NodeId` is public
//! (`burn::backend::autodiff::NodeId`). The ids drawn during a step are the autodiff nodes it
//! created. The count is exact while no other thread creates burn autodiff tensors.

use burn::backend::autodiff::NodeId;

/// The next value burn's node-id counter will hand out (this call draws one id itself).
fn next_id() -> u64 {
    NodeId::new().value
}

/// Runs `f` and returns its result with the number of burn autodiff nodes it created.
pub fn count_nodes<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = next_id();
    let r = f();
    let after = next_id();
    // `after − before − 1`: the ids strictly between the two probes.
    (r, after - before - 1)
}
