//! The network as a candle graph: one `candle_nn::Linear` per layer over [`Var`] parameters,
//! the activations (candle's own ops: `relu`, `candle_nn::ops::leaky_relu`,
//! `candle_nn::ops::sigmoid`, `tanh`, `gelu_erf`, the differentiable `candle_nn::ops::softmax`),
//! optional residual connections, and the two losses. Running [`Model::forward`] records the op
//! graph that `Tensor::backward` walks; this module owns the forward pass only.
//!
//! Shapes, batch rows `B`, layer `l` (0-based) mapping `n_in → n_out`:
//! - `z_l = h_{l−1} W_lᵀ + b_l` `(B, n_out)`, with `h_{−1} = x` `(B, n_in)`, `W_l` `[n_out, n_in]`;
//! - `h_l = act_l(z_l)`, or `h_l = h_{l−1} + act_l(z_l)` when `spec.is_residual(l)`; on a
//!   normalized hidden layer `act_l` reads `n_l = Norm(z_l)` ([`crate::norm`]);
//! - mse: `L = (1/B) Σ_b ½ Σ_k (ŷ_bk − y_bk)²`; cross-entropy:
//!   `L = −(1/B) Σ_b Σ_k y_bk · log_softmax(z_b)_k`.

use crate::convert::{engine_err, params_to_vars, LayerVars};
use crate::custom::DenseOp;
use crate::norm::Norms;
use bplab_core::spec::LEAKY_SLOPE;
use bplab_core::{Activation, DType, Loss, NetSpec, ParamSet, Result};
use bplab_manual::CustomOps;
use candle_core::{Tensor, Var, D};
use candle_nn::{Linear, Module};
use std::sync::Arc;

/// A network ready to run in candle: its description and one `Linear` per layer, built over
/// the variables in [`Model::layers`].
#[derive(Debug, Clone)]
pub struct Model {
    spec: NetSpec,
    vars: Vec<LayerVars>,
    linears: Vec<Linear>,
    /// The hidden layers' norms.
    norms: Norms,
    /// The layers that run as the manual engine's fused op ([`DenseOp`]), if any.
    custom: Option<CustomOps>,
}

/// The graph one forward pass built: every layer's `z` and `h` and the scalar loss.
#[derive(Debug, Clone)]
pub struct Forward {
    /// `z[l]`, `(B, n_out_l)`: the pre-activation (with its delta probe added, if any).
    pub z: Vec<Tensor>,
    /// `h[l]`, `(B, n_out_l)`: after activation and residual; the last one is `ŷ`.
    pub h: Vec<Tensor>,
    /// `n[l] = Norm(z_l)`, `(B, n_out_l)`, on a normalized layer (the activation's input);
    /// `None` elsewhere.
    pub n: Vec<Option<Tensor>>,
    /// The loss, a rank-0 tensor.
    pub loss: Tensor,
    /// Per layer, the [`DenseOp`] that computed it when it is a custom layer (after
    /// `backward()` it holds the `δ = ∂L/∂z` its hand-written backward computed).
    pub ops: Vec<Option<Arc<DenseOp>>>,
}

impl Model {
    /// Builds the layers from a parameter set validated against `spec`, in `dtype`.
    pub fn new(spec: &NetSpec, params: &ParamSet, dtype: DType) -> Result<Self> {
        let vars = params_to_vars(spec, params, dtype)?;
        let linears = vars
            .iter()
            .map(|v| {
                Linear::new(
                    v.weight.as_tensor().clone(),
                    Some(v.bias.as_tensor().clone()),
                )
            })
            .collect();
        Ok(Model {
            spec: spec.clone(),
            vars,
            linears,
            norms: Norms::from_params(spec, params, dtype)?,
            custom: None,
        })
    }

    /// The same model with the layers `custom` covers computed by [`DenseOp`] (the manual
    /// engine's forward and hand-written backward inside candle's graph); `None`: all candle.
    pub fn with_custom(self, custom: Option<CustomOps>) -> Self {
        Model { custom, ..self }
    }

    /// The parameter variables, layer by layer (`W_l` `[n_out, n_in]`, `b_l` `[n_out]`).
    pub fn layers(&self) -> &[LayerVars] {
        &self.vars
    }

    /// The hidden layers' norms.
    pub fn norms(&self) -> &Norms {
        &self.norms
    }

    /// Every parameter variable in the order of `spec.param_shapes()`
    /// (`fc1.weight, fc1.bias, norm1.weight, norm1.bias, fc2.weight, …`).
    pub fn param_vars(&self) -> Vec<Var> {
        let mut out = Vec::new();
        for (l, v) in self.vars.iter().enumerate() {
            out.extend([v.weight.clone(), v.bias.clone()]);
            out.extend(self.norms.vars(l).into_iter().map(|(_, v)| v));
        }
        out
    }

    /// The description.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// Runs the network on `x` `(B, n_in)` against targets `y` `(B, n_out)`.
    ///
    /// `probes`, when given, holds one zero-valued [`Var`] of shape `(B, n_out_l)` per layer,
    /// added to `z_l`: `z_l = (h_{l−1} W_lᵀ + b_l) + 0`. The value is unchanged and the sum's
    /// gradient flows to the probe unchanged (an `Add` node passes `grad` to both sides), so
    /// after `backward()` the probe's gradient is `δ_l = ∂L/∂z_l`: candle keeps gradients of
    /// variables only (see `docs/frameworks-candle.md`).
    pub fn forward(&self, x: &Tensor, y: &Tensor, probes: Option<&[Var]>) -> Result<Forward> {
        self.forward_candle(x, y, probes).map_err(engine_err)
    }

    fn forward_candle(
        &self,
        x: &Tensor,
        y: &Tensor,
        probes: Option<&[Var]>,
    ) -> candle_core::Result<Forward> {
        let n = self.spec.n_layers();
        let (mut zs, mut hs) = (Vec::with_capacity(n), Vec::<Tensor>::with_capacity(n));
        let mut ops = Vec::with_capacity(n);
        let mut normed = Vec::with_capacity(n);
        for (l, linear) in self.linears.iter().enumerate() {
            let h_prev = if l == 0 { x } else { &hs[l - 1] };
            let (z, a) = match self.custom.filter(|c| c.covers(&self.spec, l)) {
                // a = σ(h_prev Wᵀ + b) in one op whose backward is bplab-manual's; its z is
                // the value the op saved (a constant here, off the gradient path).
                Some(c) => {
                    let op = DenseOp::new(c.layer(&self.spec, l));
                    let v = &self.vars[l];
                    let a = op.apply(h_prev, v.weight.as_tensor(), v.bias.as_tensor())?;
                    let z = op
                        .saved_z()
                        .ok_or_else(|| candle_core::Error::Msg("dense op saved no z".into()))?;
                    ops.push(Some(op));
                    normed.push(None);
                    (z, a)
                }
                None => {
                    let mut z = linear.forward(h_prev)?; // (B, n_out)
                    if let Some(p) = probes.and_then(|p| p.get(l)) {
                        z = z.add(p.as_tensor())?;
                    }
                    let n_l = self.norms.forward(l, &z)?; // (B, n_out)
                    let a = activate(self.spec.activations()[l], &n_l)?; // (B, n_out)
                    ops.push(None);
                    normed.push(self.spec.is_normalized(l).then_some(n_l));
                    (z, a)
                }
            };
            let h = if self.spec.is_residual(l) {
                h_prev.add(&a)?
            } else {
                a
            };
            zs.push(z);
            hs.push(h);
        }
        let (z_out, y_hat) = (&zs[n - 1], &hs[n - 1]);
        let loss = loss(self.spec.loss(), z_out, y_hat, y)?;
        Ok(Forward {
            z: zs,
            h: hs,
            n: normed,
            loss,
            ops,
        })
    }
}

/// `act(z)` element-wise (softmax: row-wise over the last dimension), each with candle's own
/// op and its backward:
/// - identity: `z` itself (no node);
/// - relu: `Tensor::relu` (`UnaryOp::Relu`);
/// - leaky-relu: `candle_nn::ops::leaky_relu(z, 0.01)` = `max(z, 0) + 0.01·min(z, 0)`;
/// - sigmoid: `candle_nn::ops::sigmoid` (a `CustomOp1` with `σ' = σ(1 − σ)`);
/// - tanh: `Tensor::tanh`;
/// - gelu: `Tensor::gelu_erf`, the exact `½ z (1 + erf(z/√2))` (not the tanh form `gelu`);
/// - silu: `candle_nn::ops::silu` (`Tensor::silu`, `z σ(z)`);
/// - softmax: `candle_nn::ops::softmax(z, D::Minus1)`, built from differentiable ops
///   (`softmax_last_dim` has no backward and would cut the graph).
pub fn activate(act: Activation, z: &Tensor) -> candle_core::Result<Tensor> {
    match act {
        Activation::Identity => Ok(z.clone()),
        Activation::Relu => z.relu(),
        Activation::LeakyRelu => candle_nn::ops::leaky_relu(z, LEAKY_SLOPE),
        Activation::Sigmoid => candle_nn::ops::sigmoid(z),
        Activation::Tanh => z.tanh(),
        Activation::Gelu => z.gelu_erf(),
        Activation::Silu => candle_nn::ops::silu(z),
        Activation::Softmax => candle_nn::ops::softmax(z, D::Minus1),
    }
}

/// The batch-mean loss, a rank-0 tensor, from the output layer's `z` and `ŷ` `(B, n_out)` and
/// the targets `y` `(B, n_out)`:
/// - mse: `(½/B) Σ_{b,k} (ŷ_bk − y_bk)²`, through `ŷ`;
/// - cross-entropy: `−(1/B) Σ_{b,k} y_bk · log_softmax(z)_bk`, through `z` with
///   `candle_nn::ops::log_softmax` (`ŷ` is not on the gradient path).
pub fn loss(kind: Loss, z: &Tensor, y_hat: &Tensor, y: &Tensor) -> candle_core::Result<Tensor> {
    let b = z.dim(0)? as f64;
    match kind {
        Loss::Mse => y_hat.sub(y)?.sqr()?.sum_all()?.affine(0.5 / b, 0.0),
        Loss::CrossEntropy => {
            let log_p = candle_nn::ops::log_softmax(z, D::Minus1)?; // (B, n_out)
            y.mul(&log_p)?.sum_all()?.affine(-1.0 / b, 0.0)
        }
    }
}
