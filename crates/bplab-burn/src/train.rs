//! [`BurnTrainer`]: training the way a burn user writes it — the network as a burn
//! [`Module`] ([`Mlp`], a `Vec<Linear>` on the autodiff device), `loss.backward()`,
//! [`GradientsParams::from_grads`], and `optim.step(lr, model, grads)` with burn's own SGD
//! (`burn::optim::SgdConfig`, no momentum, no weight decay).
//!
//! Clipping, against [`Clip`]'s semantics:
//! - [`Clip::Value`] and [`Clip::PerTensorNorm`] are burn's `GradientClipping::Value` and
//!   `GradientClipping::Norm`, set in the `SgdConfig` and applied by the optimizer to each
//!   parameter's gradient (`burn-optim-0.22.1/src/grad_clipping/base.rs`). burn's thresholds
//!   are `f32`: a threshold that is not exactly an `f32` (0.1, say) is clipped at the nearest
//!   `f32` (0.10000000149…) — use thresholds exact in `f32` (1, 0.5, 0.25, …) to compare
//!   engines exactly. burn's per-tensor coefficient is `min(1, c · (1 / (‖g‖ +
//!   min_positive)))`, within an ulp of `min(1, c/‖g‖)`, NaN propagating (`clamp_max`).
//! - [`Clip::GlobalNorm`] has no burn equivalent: it is written here on burn tensors —
//!   `n = sqrt(Σ_t Σ g_t²)`, `k = min(1, c / (n + 1e-6))` as a `[1]` tensor, every gradient
//!   multiplied by `k` and registered back into the `GradientsParams` before the step.
//!
//! [`StepStats::grad_norm`] reads every gradient's `Σ g²` back in one `[2L]` tensor.

use crate::backend::BurnBackend;
use crate::convert::{linears_from_params, matrix, read, read_scalar, transpose};
use crate::model::Model;
use crate::norm::Norms;
use bplab_core::spec::{bias_name, weight_name};
use bplab_core::train::{Clip, Sgd, StepStats, Trainer, GLOBAL_NORM_EPS};
use bplab_core::{Batch, DType, Error, NetSpec, ParamSet, Result, Tensor};
use bplab_manual::CustomOps;
use burn::grad_clipping::GradientClippingConfig;
use burn::module::{Module, ParamId};
use burn::nn::{BatchNorm, LayerNorm, Linear};
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor as BurnTensor};

/// The network as a burn module: one `Linear` per layer (`weight` `[n_in, n_out]`) and, with a
/// norm, one burn-nn `LayerNorm` or `BatchNorm` per hidden layer (the other list empty).
#[derive(Module, Debug)]
pub struct Mlp {
    pub layers: Vec<Linear>,
    pub layer_norms: Vec<LayerNorm>,
    pub batch_norms: Vec<BatchNorm>,
}

impl Mlp {
    /// The norm modules (clones share their parameters and running statistics).
    fn norms(&self) -> Norms {
        Norms {
            layer: self.layer_norms.clone(),
            batch: self.batch_norms.clone(),
        }
    }
}

/// burn's SGD for one clipping rule: burn clips `Value` and `PerTensorNorm` itself.
fn optimizer(clip: Clip) -> ModuleOptimizer {
    let clipping = match clip {
        Clip::Value(c) => Some(GradientClippingConfig::Value(c as f32)),
        Clip::PerTensorNorm(c) => Some(GradientClippingConfig::Norm(c as f32)),
        Clip::None | Clip::GlobalNorm(_) => None,
    };
    SgdConfig::new().with_gradient_clipping(clipping).init()
}

/// A burn network, its optimizer and one batch, on one backend in one dtype.
pub struct BurnTrainer {
    name: &'static str,
    spec: NetSpec,
    device: Device,
    dtype: DType,
    /// `None` only while `optim.step` owns the module.
    mlp: Option<Mlp>,
    /// The optimizer and the clipping rule it was built for.
    optim: (ModuleOptimizer, Clip),
    /// The batch on the autodiff device: `x` `(B, n_in)`, `y` `(B, n_out)`.
    x: BurnTensor<2>,
    y: BurnTensor<2>,
    /// The gradients of the last `grads()` call.
    grads: Option<GradientsParams>,
    /// The layers that run as the manual engine's custom op.
    custom: Option<CustomOps>,
}

impl BurnTrainer {
    /// A trainer for `spec` starting at `params` (validated by the caller) on `batch`.
    pub fn new(
        backend: BurnBackend,
        spec: &NetSpec,
        params: &ParamSet,
        batch: &Batch,
        dtype: DType,
    ) -> Result<Self> {
        batch.validate(spec)?;
        let device = backend.device();
        let layers = linears_from_params(params, spec.n_layers(), &device, dtype, true);
        let norms = Norms::from_params(spec, params, &device, dtype, true);
        Ok(BurnTrainer {
            name: backend.engine_name(),
            spec: spec.clone(),
            x: matrix(&batch.x, &device, dtype),
            y: matrix(&batch.y, &device, dtype),
            device,
            dtype,
            mlp: Some(Mlp {
                layers,
                layer_norms: norms.layer,
                batch_norms: norms.batch,
            }),
            optim: (optimizer(Clip::None), Clip::None),
            grads: None,
            custom: None,
        })
    }

    /// The same trainer with the layers `custom` covers run as the manual engine's custom
    /// autodiff operation (the engine `burn-custom`).
    pub fn with_custom(self, custom: Option<CustomOps>) -> Self {
        let name = match custom {
            Some(_) => crate::CUSTOM_ENGINE,
            None => self.name,
        };
        BurnTrainer {
            custom,
            name,
            ..self
        }
    }

    fn mlp(&self) -> Result<&Mlp> {
        self.mlp
            .as_ref()
            .ok_or_else(|| Error::engine(self.name, "the model was lost in an optimizer step"))
    }

    /// Every parameter's id and rank, in `fc1.weight, fc1.bias, norm1.weight, norm1.bias,
    /// fc2.weight, …` order.
    fn param_ids(&self) -> Result<Vec<(ParamId, usize)>> {
        let mut ids = Vec::new();
        let norms = self.mlp()?.norms();
        for (l, layer) in self.mlp()?.layers.iter().enumerate() {
            ids.push((layer.weight.id, 2));
            let bias = layer
                .bias
                .as_ref()
                .ok_or_else(|| Error::engine(self.name, "a layer has no bias"))?;
            ids.push((bias.id, 1));
            if let Some((g, b)) = norms.affine(l) {
                ids.extend([(g.id, 1), (b.id, 1)]);
            }
        }
        Ok(ids)
    }

    /// The loss of the current model on the batch, as a tracked `[1]` tensor.
    fn loss(&self) -> Result<BurnTensor<1>> {
        let mlp = self.mlp()?;
        let model = Model::new(&self.spec, mlp.layers.clone())
            .with_norms(mlp.norms())
            .with_custom(self.custom);
        Ok(model.forward(self.x.clone(), self.y.clone()).loss)
    }

    /// The gradient of parameter `id` (of rank `rank`, 1 or 2), flattened.
    fn flat_grad(
        &self,
        grads: &GradientsParams,
        id: ParamId,
        rank: usize,
    ) -> Result<BurnTensor<1>> {
        let missing = || Error::engine(self.name, "burn kept no gradient for a parameter");
        Ok(if rank == 2 {
            grads.get::<2>(id).ok_or_else(missing)?.flatten(0, 1)
        } else {
            grads.get::<1>(id).ok_or_else(missing)?
        })
    }

    /// `Σ g²` of every gradient, one `[2L]` tensor in parameter order.
    fn sum_squares(
        &self,
        grads: &GradientsParams,
        ids: &[(ParamId, usize)],
    ) -> Result<BurnTensor<1>> {
        let sums = ids
            .iter()
            .map(|&(id, rank)| Ok(self.flat_grad(grads, id, rank)?.square().sum()))
            .collect::<Result<Vec<_>>>()?;
        Ok(BurnTensor::cat(sums, 0))
    }
}

/// `g · k` for a `[1]` coefficient `k`, registered back under `id`.
fn scale_grad<const D: usize>(grads: &mut GradientsParams, id: ParamId, k: &BurnTensor<1>) {
    if let Some(g) = grads.remove::<D>(id) {
        let k = k.clone().unsqueeze::<D>();
        grads.register(id, g.mul(k));
    }
}

impl Trainer for BurnTrainer {
    fn set_batch(&mut self, batch: &Batch) -> Result<()> {
        batch.validate(&self.spec)?;
        self.x = matrix(&batch.x, &self.device, self.dtype);
        self.y = matrix(&batch.y, &self.device, self.dtype);
        self.grads = None;
        Ok(())
    }

    fn forward(&mut self) -> Result<f64> {
        // `valid()`: the same module on the plain device, no autodiff graph recorded.
        let valid = self.mlp()?.valid();
        let model = Model::new(&self.spec, valid.layers.clone())
            .with_norms(valid.norms())
            .with_custom(self.custom);
        let pass = model.forward(self.x.clone().inner(), self.y.clone().inner());
        read_scalar(self.name, pass.loss, self.dtype)
    }

    fn grads(&mut self) -> Result<f64> {
        let loss = self.loss()?;
        let value = read_scalar(self.name, loss.clone(), self.dtype)?;
        self.grads = Some(GradientsParams::from_grads(loss.backward(), self.mlp()?));
        Ok(value)
    }

    fn step(&mut self, sgd: &Sgd) -> Result<StepStats> {
        let loss = self.grads()?;
        let mut grads = self
            .grads
            .take()
            .ok_or_else(|| Error::engine(self.name, "no gradients after backward"))?;
        let ids = self.param_ids()?;
        let sums = self.sum_squares(&grads, &ids)?; // [2L]
        let grad_norm = read(self.name, sums.clone(), self.dtype)?
            .data
            .iter()
            .sum::<f64>()
            .sqrt();
        if let Clip::GlobalNorm(c) = sgd.clip {
            // k = min(1, c / (n + 1e-6)), NaN propagating, as a [1] tensor.
            let n = sums.sum().sqrt();
            let k = n
                .full_like(c)
                .div(n.add_scalar(GLOBAL_NORM_EPS))
                .clamp_max(1.0);
            for &(id, rank) in &ids {
                if rank == 2 {
                    scale_grad::<2>(&mut grads, id, &k);
                } else {
                    scale_grad::<1>(&mut grads, id, &k);
                }
            }
        }
        if self.optim.1 != sgd.clip {
            self.optim = (optimizer(sgd.clip), sgd.clip);
        }
        let mlp = self
            .mlp
            .take()
            .ok_or_else(|| Error::engine(self.name, "the model was lost in an optimizer step"))?;
        self.mlp = Some(self.optim.0.step(sgd.lr, mlp, grads));
        Ok(StepStats { loss, grad_norm })
    }

    fn params(&self) -> Result<ParamSet> {
        let mut entries = Vec::new();
        for (l, layer) in self.mlp()?.layers.iter().enumerate() {
            let w = read(self.name, layer.weight.val(), self.dtype)?; // [n_in, n_out]
            let (n_in, n_out) = (w.shape[0], w.shape[1]);
            let w = Tensor::new(vec![n_out, n_in], transpose(n_in, n_out, &w.data))?;
            entries.push((weight_name(l), w));
            let bias = layer
                .bias
                .as_ref()
                .ok_or_else(|| Error::engine(self.name, "a layer has no bias"))?;
            entries.push((bias_name(l), read(self.name, bias.val(), self.dtype)?));
            let norms = self.mlp()?.norms();
            entries.extend(norms.entries(l, |p| read(self.name, p.val(), self.dtype))?);
        }
        Ok(ParamSet::from_entries(entries))
    }

    fn running_stats(&self) -> Result<ParamSet> {
        self.mlp()?.norms().running_stats(self.name, self.dtype)
    }
}
