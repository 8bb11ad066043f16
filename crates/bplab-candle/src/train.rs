//! [`CandleTrainer`]: training the way a candle user writes it — the parameters as [`Var`]s,
//! `loss.backward()` into a [`GradStore`], and `candle_nn::optim::SGD`'s
//! `Optimizer::step(&grads)` (`θ ← θ − lr·g`, applied in place with `Var::set`).
//!
//! candle has no gradient clipping, so [`Clip`] is written here on the [`GradStore`] before
//! the step: every gradient's `Σ g²` is computed on candle tensors (`sqr`, `sum_all`) and read
//! back in one `[2L]` tensor; the coefficients come from [`Clip::coefficients`] (the shared
//! definition) and each gradient is replaced by `g · k` (norm rules) or by
//! `clamp(g, −c, c)` (value rule; candle's `maximum`/`minimum` keep NaN).

use crate::convert::{engine_err, from_candle, scalar, to_candle};
use crate::model::Model;
use bplab_core::train::{Clip, Sgd, StepStats, Trainer};
use bplab_core::{Batch, DType, NetSpec, ParamSet, Result};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::optim::{Optimizer, SGD};

/// A candle network, its SGD optimizer and one batch, in one dtype.
pub struct CandleTrainer {
    model: Model,
    dtype: DType,
    optim: SGD,
    /// The batch: `x` `(B, n_in)`, `y` `(B, n_out)`.
    x: Tensor,
    y: Tensor,
    /// The gradients of the last `grads()` call.
    grads: Option<GradStore>,
}

impl CandleTrainer {
    /// A trainer for `spec` starting at `params` (validated by the caller) on `batch`.
    pub fn new(spec: &NetSpec, params: &ParamSet, batch: &Batch, dtype: DType) -> Result<Self> {
        batch.validate(spec)?;
        let model = Model::new(spec, params, dtype)?;
        let optim = SGD::new(Self::vars(&model), 0.0).map_err(engine_err)?;
        Ok(CandleTrainer {
            x: to_candle(&batch.x, dtype)?,
            y: to_candle(&batch.y, dtype)?,
            model,
            dtype,
            optim,
            grads: None,
        })
    }

    /// The same trainer with the layers `custom` covers run as the manual engine's custom op.
    pub fn with_custom(self, custom: Option<bplab_manual::CustomOps>) -> Self {
        CandleTrainer {
            model: self.model.with_custom(custom),
            ..self
        }
    }

    /// Every parameter variable, in `fc1.weight, fc1.bias, norm1.weight, …` order.
    fn vars(model: &Model) -> Vec<Var> {
        model.param_vars()
    }

    /// Applies `clip` to the gradients in `grads`; returns each gradient's `Σ g²` before
    /// clipping, in parameter order.
    fn clip(&self, grads: &mut GradStore, clip: Clip) -> candle_core::Result<Vec<f64>> {
        let vars = Self::vars(&self.model);
        let mut sums = Vec::with_capacity(vars.len());
        for v in &vars {
            sums.push(match grads.get(v.as_tensor()) {
                Some(g) => g.sqr()?.sum_all()?,
                None => Tensor::zeros((), v.dtype(), v.device())?,
            });
        }
        let sums = Tensor::stack(&sums, 0)?.to_dtype(candle_core::DType::F64)?; // [2L]
        let sums = sums.to_vec1::<f64>()?;
        let (_, k) = clip.coefficients(&sums);
        for (v, &k) in vars.iter().zip(&k) {
            let Some(g) = grads.remove(v.as_tensor()) else {
                continue;
            };
            let g = match clip {
                Clip::None => g,
                Clip::Value(c) => g.clamp(-c, c)?,
                Clip::GlobalNorm(_) | Clip::PerTensorNorm(_) => (g * k)?,
            };
            grads.insert(v.as_tensor(), g);
        }
        Ok(sums)
    }
}

impl Trainer for CandleTrainer {
    fn set_batch(&mut self, batch: &Batch) -> Result<()> {
        batch.validate(self.model.spec())?;
        self.x = to_candle(&batch.x, self.dtype)?;
        self.y = to_candle(&batch.y, self.dtype)?;
        self.grads = None;
        Ok(())
    }

    fn forward(&mut self) -> Result<f64> {
        // Detached inputs to a graph nobody calls backward on: candle records no tape.
        scalar(&self.model.forward(&self.x, &self.y, None)?.loss)
    }

    fn grads(&mut self) -> Result<f64> {
        let loss = self.model.forward(&self.x, &self.y, None)?.loss;
        self.grads = Some(loss.backward().map_err(engine_err)?);
        scalar(&loss)
    }

    fn step(&mut self, sgd: &Sgd) -> Result<StepStats> {
        let loss = self.grads()?;
        let mut grads = self.grads.take().unwrap_or_default();
        let sums = self.clip(&mut grads, sgd.clip).map_err(engine_err)?;
        let grad_norm = sums.iter().sum::<f64>().sqrt();
        self.optim.set_learning_rate(sgd.lr);
        self.optim.step(&grads).map_err(engine_err)?;
        Ok(StepStats { loss, grad_norm })
    }

    fn params(&self) -> Result<ParamSet> {
        let mut entries = Vec::new();
        for (name, v) in self
            .model
            .spec()
            .param_shapes()
            .into_iter()
            .map(|(n, _)| n)
            .zip(Self::vars(&self.model))
        {
            entries.push((name, from_candle(v.as_tensor())?));
        }
        Ok(ParamSet::from_entries(entries))
    }

    fn running_stats(&self) -> Result<ParamSet> {
        self.model.norms().running_stats()
    }
}
