//! The network's forward pass in burn: a stack of `burn::nn::Linear` layers, burn's activation
//! functions, and the loss from burn ops, recorded by burn-autodiff when the device is an
//! autodiff device and the parameters (or the input) require gradients.
//!
//! Layer `l` (0-based, `(n_in, n_out) = spec.layer_dims(l)`), over a batch of `B` rows:
//! - `z_l = h_{l−1} W_l + b_l` with burn's `W_l: [n_in, n_out]` (`= x W_lᵀ` in bplab's
//!   `[n_out, n_in]` naming), shape `(B, n_out)`, `h_{−1} = x`;
//! - `h_l = act_l(z_l)`, or `h_l = h_{l−1} + act_l(z_l)` when `spec.is_residual(l)`;
//! - on a normalized hidden layer, `n_l = Norm(z_l)` first and `act_l` reads `n_l`: burn-nn's
//!   `LayerNorm` module, or for BatchNorm burn-nn's `BatchNorm` module on an autodiff device
//!   (its training path: batch statistics, and it moves the module's running statistics) and
//!   the op that training path calls, `burn::tensor::module::batch_norm_train`, on the plain
//!   device (where the module would take its inference path; burn-nn-0.22.1
//!   src/modules/norm/batch.rs:133). See docs/frameworks.md for how both differ from PyTorch.
//!
//! Loss, a batch mean:
//! - cross-entropy: `L = −(1/B) Σ_b Σ_k y_bk · log_softmax(z_L)_bk`, from burn's `log_softmax`
//!   on the last layer's `z` (never `log(softmax)`);
//! - mse: `L = (1/B) Σ_b ½ Σ_k (ŷ_bk − y_bk)²`, from burn-nn's `MseLoss` with `Reduction::Sum`
//!   times `1/(2B)`.

use crate::custom::dense;
use crate::norm::Norms;
use bplab_core::{Activation, Loss, NetSpec};
use bplab_manual::CustomOps;
use burn::nn::loss::{MseLoss, Reduction};
use burn::nn::Linear;
use burn::tensor::activation;
use burn::tensor::Tensor;

/// Slope of `leaky-relu` for negative inputs (PyTorch's default, as the contract says).
pub const LEAKY_SLOPE: f64 = bplab_core::spec::LEAKY_SLOPE;

/// `act(z)` with burn's own activation function, element-wise (softmax row-wise over dim 1).
/// Shape `(B, n)` in, `(B, n)` out.
pub fn activate(act: Activation, z: Tensor<2>) -> Tensor<2> {
    match act {
        Activation::Identity => z,
        Activation::Relu => activation::relu(z),
        Activation::LeakyRelu => activation::leaky_relu(z, LEAKY_SLOPE),
        Activation::Sigmoid => activation::sigmoid(z),
        Activation::Tanh => activation::tanh(z),
        // burn's `gelu` is the exact erf form; `gelu_approximate` is the tanh form.
        Activation::Gelu => activation::gelu(z),
        Activation::Silu => activation::silu(z),
        Activation::Softmax => activation::softmax(z, 1),
    }
}

/// The batch-mean loss, shape `[1]`.
/// - `z_last`: the output layer's pre-activation `(B, n_out)` (cross-entropy uses it);
/// - `y_hat`: the network's output `(B, n_out)` (mse uses it);
/// - `y`: the targets `(B, n_out)`.
pub fn loss(kind: Loss, z_last: Tensor<2>, y_hat: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
    let [b, _] = y.dims();
    match kind {
        // −(1/B) Σ_b Σ_k y_bk log_softmax(z)_bk: (B, n) → sum_dim(1) (B, 1) → mean [1] → neg.
        Loss::CrossEntropy => (y * activation::log_softmax(z_last, 1))
            .sum_dim(1)
            .mean()
            .neg(),
        // Σ_b Σ_k (ŷ − y)² · 1/(2B). A product, not `div_scalar(2B)`: burn-autodiff's
        // `DivScalar` backward computes the reciprocal in f32 (`1.0 / scalar.elem::<f32>()`,
        // burn-autodiff-0.22.1/src/ops/tensor.rs:507-510), which would cost f64 gradients
        // about 1.5e-8 of relative precision whenever 1/(2B) is not a power of two.
        Loss::Mse => MseLoss::new()
            .forward(y_hat, y, Reduction::Sum)
            .mul_scalar(0.5 / b as f64),
    }
}

/// The values of one forward pass, still as burn tensors (tracked when gradients were asked).
pub struct Pass {
    /// `z[l]`, shape `(B, n_out_l)`.
    pub z: Vec<Tensor<2>>,
    /// `h[l]`, shape `(B, n_out_l)`; the last one is `ŷ`.
    pub h: Vec<Tensor<2>>,
    /// `n[l] = Norm(z_l)`, shape `(B, n_out_l)`, on a normalized layer (the activation's
    /// input); `None` elsewhere.
    pub n: Vec<Option<Tensor<2>>>,
    /// The batch-mean loss, shape `[1]`.
    pub loss: Tensor<1>,
}

/// The network: the description and one burn `Linear` per layer.
pub struct Model<'a> {
    spec: &'a NetSpec,
    layers: Vec<Linear>,
    /// The norms of the hidden layers, one per hidden layer when the network has one.
    norms: Norms,
    /// The layers that run as the manual engine's fused op ([`crate::custom::dense`]).
    custom: Option<CustomOps>,
}

impl<'a> Model<'a> {
    /// A model of `spec` with `layers` (one per Linear layer, in order).
    pub fn new(spec: &'a NetSpec, layers: Vec<Linear>) -> Self {
        debug_assert_eq!(layers.len(), spec.n_layers());
        Model {
            spec,
            layers,
            norms: Norms::default(),
            custom: None,
        }
    }

    /// The same model with the hidden layers' norm modules.
    pub fn with_norms(self, norms: Norms) -> Self {
        Model { norms, ..self }
    }

    /// The norm modules (their `gamma`, `beta` are leaves whose gradients burn keeps).
    pub fn norms(&self) -> &Norms {
        &self.norms
    }

    /// The same model with the layers `custom` covers computed by the custom autodiff
    /// operation [`crate::custom::dense`] (bplab-manual's forward and hand-written backward
    /// inside burn's graph), their `Linear`s supplying only the parameters; `None`: all burn.
    pub fn with_custom(self, custom: Option<CustomOps>) -> Self {
        Model { custom, ..self }
    }

    /// The layers, in order (their parameters are the leaves whose gradients burn keeps).
    pub fn layers(&self) -> &[Linear] {
        &self.layers
    }

    /// Forward pass of `x` `(B, n_in)` against targets `y` `(B, n_out)`.
    pub fn forward(&self, x: Tensor<2>, y: Tensor<2>) -> Pass {
        let n = self.layers.len();
        let mut z = Vec::with_capacity(n);
        let mut h: Vec<Tensor<2>> = Vec::with_capacity(n);
        let mut normed = Vec::with_capacity(n);
        let mut prev = x;
        for (l, layer) in self.layers.iter().enumerate() {
            let (z_l, n_l, a_l) = match self.custom.filter(|c| c.covers(self.spec, l)) {
                // (B, n_out) each; z_l is the op's read-out, a_l carries its backward.
                Some(c) => {
                    let (z_l, a_l) = dense(
                        prev.clone(),
                        layer.weight.val(),
                        layer.bias.as_ref().expect("bplab layers have a bias").val(),
                        c.layer(self.spec, l),
                    );
                    (z_l, None, a_l)
                }
                None => {
                    let z_l = layer.forward(prev.clone()); // (B, n_out)
                    let n_l = self.norms.forward(l, z_l.clone()); // (B, n_out)
                    let a_l = activate(self.spec.activations()[l], n_l.clone()); // (B, n_out)
                    (z_l, self.spec.is_normalized(l).then_some(n_l), a_l)
                }
            };
            let h_l = if self.spec.is_residual(l) {
                prev + a_l
            } else {
                a_l
            };
            z.push(z_l);
            normed.push(n_l);
            h.push(h_l.clone());
            prev = h_l;
        }
        let z_last = z[n - 1].clone();
        let loss = loss(self.spec.loss(), z_last, prev, y);
        Pass {
            z,
            h,
            n: normed,
            loss,
        }
    }
}
