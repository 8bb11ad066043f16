//! [`EngineTrace`]: one engine's forward values (`z_l`, `h_l`) and gradients (`∂L/∂W_l`,
//! `∂L/∂b_l`, and `δ_l` where the engine exposes it) from one pass — what the agreement,
//! the gradient flow and every view read.

use bplab_core::{DType, ForwardTrace, Gradients, Tensor};

/// One engine's forward values and gradients.
#[derive(Debug, Clone)]
pub struct EngineTrace {
    pub engine: String,
    pub dtype: DType,
    /// Loss, `z_l` and `h_l` per layer; `h` of the last layer is `ŷ`.
    pub forward: ForwardTrace,
    /// Loss, parameter gradients and (where exposed) `δ_l` per layer.
    pub grads: Gradients,
}

impl EngineTrace {
    /// `δ_l`, shape `(B, n_l)`, when the engine exposes it.
    pub fn delta(&self, l: usize) -> Option<&Tensor> {
        self.grads.deltas.as_ref().and_then(|d| d.get(l))
    }
    /// `∂L/∂W_l`, shape `(n_l, n_{l-1})`.
    pub fn grad_weight(&self, l: usize) -> &Tensor {
        self.grads.params.weight(l)
    }
    /// `∂L/∂b_l`, shape `(n_l)`.
    pub fn grad_bias(&self, l: usize) -> &Tensor {
        self.grads.params.bias(l)
    }
    /// `ŷ`, shape `(B, n_out)`.
    pub fn output(&self) -> &Tensor {
        self.forward
            .h
            .last()
            .expect("validated: at least one layer")
    }
}
