//! What candle records for one training step: the op graph behind the loss. candle keeps the
//! graph in the tensors themselves (each result holds its `Op` and its operands); the op is
//! crate-private (`Tensor::op` is `pub(crate)`, `candle-core-0.11.1/src/tensor.rs:2111`), but
//! `Tensor::sorted_nodes` (`backprop.rs:35`) is public and returns exactly the nodes that
//! `backward()` visits: every tensor on a path from a variable to the loss, variables included.

use crate::convert::{engine_err, to_candle};
use crate::model::Model;
use bplab_core::{Batch, DType, NetSpec, ParamSet, Result};
use bplab_manual::CustomOps;

/// The gradient graph of one forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphStats {
    /// Every node `backward()` visits.
    pub nodes: usize,
    /// Of those, the variables (leaves: weights and biases).
    pub variables: usize,
    /// Of those, the recorded operations (`nodes − variables`): each costs one backward step.
    pub ops: usize,
}

/// Builds the engine's f32 graph (the same [`Model`] the `candle` engine and trainer run, or,
/// with `custom`, the `candle-custom` one, where each custom layer is one node) on `batch` and
/// counts the nodes from the loss back to the variables.
pub fn gradient_graph(
    spec: &NetSpec,
    params: &ParamSet,
    batch: &Batch,
    custom: Option<CustomOps>,
) -> Result<GraphStats> {
    batch.validate(spec)?;
    let model = Model::new(spec, params, DType::F32)?.with_custom(custom);
    let x = to_candle(&batch.x, DType::F32)?; // (B, n_in)
    let y = to_candle(&batch.y, DType::F32)?; // (B, n_out)
    let pass = model.forward(&x, &y, None)?;
    let nodes = pass.loss.sorted_nodes();
    let variables = nodes.iter().filter(|t| t.is_variable()).count();
    if nodes.is_empty() {
        return Err(engine_err("the loss has no gradient graph"));
    }
    Ok(GraphStats {
        nodes: nodes.len(),
        variables,
        ops: nodes.len() - variables,
    })
}
