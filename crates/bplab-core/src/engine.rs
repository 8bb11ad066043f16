//! The [`Engine`] trait every implementation (hand-written, burn, candle) implements, and the
//! values that cross it: a validated [`Network`], a [`Batch`], and the [`ForwardTrace`] and
//! [`Gradients`] an engine returns, all as plain `f64` tensors in PyTorch naming and shapes.

use crate::batch::Batch;
use crate::dtype::DType;
use crate::error::Result;
use crate::params::ParamSet;
use crate::spec::NetSpec;
use crate::tensor::Tensor;
use crate::train::Trainer;

/// A description and parameters that fit it: the one thing every engine consumes.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    spec: NetSpec,
    params: ParamSet,
}

impl Network {
    /// Validates `params` against `spec` (names, shapes, finite values).
    pub fn new(spec: NetSpec, params: ParamSet) -> Result<Self> {
        params.validate(&spec)?;
        let params = params.ordered_like(&spec);
        Ok(Network { spec, params })
    }
    /// The description.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }
    /// The parameters, in `fc1.weight, fc1.bias, …` order.
    pub fn params(&self) -> &ParamSet {
        &self.params
    }
    /// The same network with other parameter values (checked again).
    pub fn with_params(&self, params: ParamSet) -> Result<Self> {
        Network::new(self.spec.clone(), params)
    }
}

/// What a [`Engine::grads`] call computes besides the loss and parameter gradients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GradRequest {
    /// Also compute `∂L/∂x`, shape `(B, n_in)`.
    pub input_grad: bool,
}

/// The values a forward pass computed, layer by layer.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardTrace {
    /// The loss (a batch mean).
    pub loss: f64,
    /// `z[l]`: pre-activation of layer `l`, shape `(B, n_out_l)`.
    pub z: Vec<Tensor>,
    /// `h[l]`: output of layer `l` after activation (and residual), shape `(B, n_out_l)`;
    /// the last one is `ŷ`.
    pub h: Vec<Tensor>,
    /// `n[l]`: `Norm(z_l)`, the activation's input, on a normalized layer, shape
    /// `(B, n_out_l)`; `None` on a layer without a norm (its activation reads `z[l]`).
    pub n: Vec<Option<Tensor>>,
}

impl ForwardTrace {
    /// The input of layer `l`'s activation: `n[l]` on a normalized layer, else `z[l]` — the
    /// value whose sign decides a ReLU-type kink.
    ///
    /// ```
    /// use bplab_core::{ForwardTrace, Tensor};
    ///
    /// let z = Tensor::new(vec![1, 2], vec![3.0, 5.0])?;
    /// let n = Tensor::new(vec![1, 2], vec![-1.0, 1.0])?; // LayerNorm of z (γ = 1, β = 0)
    /// let t = ForwardTrace { loss: 0.0, z: vec![z.clone(), z.clone()], h: vec![z.clone(), z.clone()], n: vec![Some(n.clone()), None] };
    /// assert_eq!(t.activation_input(0), &n);
    /// assert_eq!(t.activation_input(1), &z);
    /// # Ok::<(), bplab_core::Error>(())
    /// ```
    pub fn activation_input(&self, l: usize) -> &Tensor {
        self.n.get(l).and_then(Option::as_ref).unwrap_or(&self.z[l])
    }
}

/// The loss and every gradient an engine computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// The loss (a batch mean).
    pub loss: f64,
    /// `∂L/∂θ` for every parameter, PyTorch naming and shapes.
    pub params: ParamSet,
    /// `∂L/∂x`, shape `(B, n_in)`, when asked for.
    pub input: Option<Tensor>,
    /// `δ_l = ∂L/∂z_l` per layer, shape `(B, n_out_l)`, where the engine exposes them.
    pub deltas: Option<Vec<Tensor>>,
}

/// One implementation of the network's forward and backward pass.
///
/// Implementations take the network and batch as `f64` values, compute in `dtype`, and return
/// `f64` values. They must not panic on any validated input.
pub trait Engine: Send + Sync {
    /// The engine's name on the command line (`manual`, `burn-ndarray`, …).
    fn name(&self) -> &str;

    /// Forward pass: the loss and every layer's `z` and `h`.
    fn forward(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<ForwardTrace>;

    /// Forward and backward pass: the loss and every parameter gradient (and what `req` asks).
    fn grads(
        &self,
        net: &Network,
        batch: &Batch,
        dtype: DType,
        req: GradRequest,
    ) -> Result<Gradients>;

    /// A [`Trainer`]: `net`'s parameters and `batch` as this engine's own tensors in `dtype`,
    /// for timed loops and training runs.
    fn trainer(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<Box<dyn Trainer>>;
}
