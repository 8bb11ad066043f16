//! [`CandleEngine`]: the candle [`Model`] behind the [`Engine`] trait, on `Device::Cpu` in
//! `f32` or `f64`. It owns the backward pass: `loss.backward()` and reading the [`GradStore`]
//! — parameter gradients from the weight and bias [`Var`]s, `∂L/∂x` from the input made a
//! [`Var`], and `δ_l = ∂L/∂z_l` from one zero-valued probe [`Var`] per layer, because
//! candle's `backward()` removes the gradient of every intermediate node (such as `z_l`) from
//! the store once it has propagated it (`candle-core-0.11.1/src/backprop.rs:173-175`).

use crate::convert::{
    engine_err, from_candle, grad_of, grads_to_params, scalar, to_candle, to_var, CUSTOM_ENGINE,
};
use crate::model::{Forward, Model};
use crate::train::CandleTrainer;
use bplab_core::train::Trainer;
use bplab_core::{
    Batch, DType, Engine, ForwardTrace, GradRequest, Gradients, Network, Result, Tensor,
};
use bplab_manual::CustomOps;
use candle_core::backprop::GradStore;
use candle_core::{Device, Var};

/// The candle engine (`candle` on the command line), or with the manual engine's fused layer
/// as a custom op (`candle-custom`). Stateless: every call builds the variables and the graph
/// afresh.
#[derive(Debug, Clone, Copy, Default)]
pub struct CandleEngine {
    /// The layers that run as [`crate::custom::DenseOp`]; `None`: plain candle.
    custom: Option<CustomOps>,
}

/// Everything one forward-and-backward run produced, in candle form (for tests that look
/// inside, e.g. at which tensors the [`GradStore`] holds).
#[derive(Debug)]
pub struct Backward {
    pub model: Model,
    /// The input: a [`Var`] when its gradient was asked for, else a plain tensor.
    pub x: candle_core::Tensor,
    /// The targets, a plain (untracked) tensor.
    pub y: candle_core::Tensor,
    /// One zero probe per layer, `(B, n_out_l)`, when deltas were asked for.
    pub probes: Option<Vec<Var>>,
    pub forward: Forward,
    pub grads: GradStore,
}

impl CandleEngine {
    /// The engine.
    pub fn new() -> Self {
        CandleEngine::default()
    }

    /// `candle-custom`: every layer [`CustomOps`] covers is the manual engine's fused layer
    /// registered as a candle `CustomOp3` (see [`crate::custom`]); `custom.fault` plants a
    /// bug in that op's backward (negative controls).
    pub fn custom(custom: CustomOps) -> Self {
        CandleEngine {
            custom: Some(custom),
        }
    }

    /// Forward then `loss.backward()`. `input_grad` makes `x` a [`Var`]; `deltas` adds the
    /// zero probes of [`Model::forward`].
    pub fn backward(
        &self,
        net: &Network,
        batch: &Batch,
        dtype: DType,
        input_grad: bool,
        deltas: bool,
    ) -> Result<Backward> {
        batch.validate(net.spec())?;
        let spec = net.spec();
        let model = Model::new(spec, net.params(), dtype)?.with_custom(self.custom);
        let x = if input_grad {
            to_var(&batch.x, dtype)?.into_inner()
        } else {
            to_candle(&batch.x, dtype)?
        };
        let y = to_candle(&batch.y, dtype)?;
        let probes = if deltas {
            let b = batch.len();
            let p = (0..spec.n_layers())
                .map(|l| Var::zeros((b, spec.layer_dims(l).1), x.dtype(), &Device::Cpu))
                .collect::<candle_core::Result<Vec<Var>>>()
                .map_err(engine_err)?;
            Some(p)
        } else {
            None
        };
        let forward = model.forward(&x, &y, probes.as_deref())?;
        let grads = forward.loss.backward().map_err(engine_err)?;
        Ok(Backward {
            model,
            x,
            y,
            probes,
            forward,
            grads,
        })
    }
}

impl Engine for CandleEngine {
    fn name(&self) -> &str {
        match self.custom {
            None => crate::convert::ENGINE,
            Some(_) => CUSTOM_ENGINE,
        }
    }

    fn forward(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<ForwardTrace> {
        batch.validate(net.spec())?;
        let model = Model::new(net.spec(), net.params(), dtype)?.with_custom(self.custom);
        let x = to_candle(&batch.x, dtype)?;
        let y = to_candle(&batch.y, dtype)?;
        let f = model.forward(&x, &y, None)?;
        let all =
            |ts: &[candle_core::Tensor]| ts.iter().map(from_candle).collect::<Result<Vec<_>>>();
        Ok(ForwardTrace {
            loss: scalar(&f.loss)?,
            z: all(&f.z)?,
            h: all(&f.h)?,
            n: f.n
                .iter()
                .map(|n| n.as_ref().map(from_candle).transpose())
                .collect::<Result<_>>()?,
        })
    }

    fn grads(
        &self,
        net: &Network,
        batch: &Batch,
        dtype: DType,
        req: GradRequest,
    ) -> Result<Gradients> {
        let run = self.backward(net, batch, dtype, req.input_grad, true)?;
        let mut params: Vec<(String, bplab_core::Tensor)> =
            grads_to_params(&run.grads, run.model.layers())?
                .iter()
                .map(|(n, t)| (n.to_string(), t.clone()))
                .collect();
        for l in 0..net.spec().n_layers() {
            params.extend(run.model.norms().grads(l, &run.grads)?);
        }
        let params = bplab_core::ParamSet::from_entries(params).ordered_like(net.spec());
        let input = if req.input_grad {
            Some(grad_of(&run.grads, &run.x)?)
        } else {
            None
        };
        // δ_l from the layer's probe, or, for a custom layer, from the op that computed it.
        let deltas = match &run.probes {
            Some(p) => Some(
                p.iter()
                    .zip(&run.forward.ops)
                    .map(|(v, op)| match op {
                        Some(op) => op
                            .delta()
                            .ok_or_else(|| engine_err("dense op computed no δ"))
                            .and_then(|d| from_candle(&d)),
                        None => grad_of(&run.grads, v.as_tensor()),
                    })
                    .collect::<Result<Vec<Tensor>>>()?,
            ),
            None => None,
        };
        Ok(Gradients {
            loss: scalar(&run.forward.loss)?,
            params,
            input,
            deltas,
        })
    }

    /// A [`CandleTrainer`]: `Var`s, `candle_nn::optim::SGD`, clipping on the `GradStore`.
    fn trainer(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<Box<dyn Trainer>> {
        Ok(Box::new(
            CandleTrainer::new(net.spec(), net.params(), batch, dtype)?.with_custom(self.custom),
        ))
    }
}
