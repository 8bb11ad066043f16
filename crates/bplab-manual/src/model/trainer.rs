//! [`ManualTrainer`]: the hand-written model in a training loop. It owns the model, the
//! forward [`Cache`] and the [`Backward`] buffers for one batch size, so after the first step
//! `forward`, `grads` and `step` allocate nothing: the same `forward_into`/`backward_into` as
//! every other use of the model, on buffers that are reused.
//!
//! The SGD update and the four clipping rules of [`Clip`] are written out here, in the order
//! the frameworks compute them: `k · g` (with `k` from [`Clip::scale`], or `g` clamped for
//! `Value`), then `lr · (k · g)`, then `θ − lr · (k · g)`; so in f64 every engine's trainer
//! agrees to rounding.

use crate::kernels::matmul::dot;
use crate::layers::{BackwardKernels, Exact};
use crate::model::{Backward, Cache, Model};
use crate::real::Real;
use bplab_core::spec::{bias_name, weight_name};
use bplab_core::train::{Clip, Sgd, StepStats, Trainer};
use bplab_core::{Batch, Error, Network, ParamSet, Result, Tensor};

/// The hand-written model, its batch and its buffers, in `T` (backward over the kernels `K`).
pub struct ManualTrainer<T: Real, K = Exact> {
    model: Model<T, K>,
    cache: Cache<T>,
    back: Backward<T>,
}

impl<T: Real> ManualTrainer<T> {
    /// A trainer for `net`'s parameters.
    pub fn for_network(net: &Network, batch: &Batch) -> Result<Self> {
        Self::new(Model::new(net.spec(), net.params()), batch)
    }
}

impl<T: Real, K: BackwardKernels> ManualTrainer<T, K> {
    /// A trainer for `model` holding `batch` (rounded to `T`).
    pub fn new(model: Model<T, K>, batch: &Batch) -> Result<Self> {
        batch.validate(model.spec())?;
        let spec = model.spec().clone();
        let mut t = ManualTrainer {
            cache: Cache::new(&spec, batch.len()),
            back: Backward::new(&spec, batch.len()),
            model,
        };
        t.set_batch(batch)?;
        Ok(t)
    }

    /// The model (its parameters after the steps taken so far).
    pub fn model(&self) -> &Model<T, K> {
        &self.model
    }

    /// The gradients of the last `grads` or `step` call.
    pub fn gradients(&self) -> &Backward<T> {
        &self.back
    }

    /// The forward values of the last pass.
    pub fn cache(&self) -> &Cache<T> {
        &self.cache
    }

    /// `Σ g²`, accumulated in `T` (as a framework's `sum(g²)` is, in eight interleaved
    /// partial sums), widened.
    fn sum_squares(g: &[T]) -> f64 {
        dot(g, g).to_f64()
    }
}

impl<T: Real, K: BackwardKernels> Trainer for ManualTrainer<T, K> {
    fn set_batch(&mut self, batch: &Batch) -> Result<()> {
        let spec = self.model.spec();
        batch.validate(spec)?;
        if batch.len() != self.cache.batch {
            self.cache = Cache::new(spec, batch.len());
            self.back = Backward::new(spec, batch.len());
        }
        for (d, &s) in self.cache.x.iter_mut().zip(&batch.x.data) {
            *d = T::from_f64(s);
        }
        for (d, &s) in self.cache.y.iter_mut().zip(&batch.y.data) {
            *d = T::from_f64(s);
        }
        Ok(())
    }

    fn forward(&mut self) -> Result<f64> {
        self.model.forward_into(&mut self.cache);
        Ok(self.cache.loss.to_f64())
    }

    fn grads(&mut self) -> Result<f64> {
        self.model.forward_into(&mut self.cache);
        self.model.backward_into(&self.cache, &mut self.back, false);
        Ok(self.cache.loss.to_f64())
    }

    fn step(&mut self, sgd: &Sgd) -> Result<StepStats> {
        if !sgd.lr.is_finite() {
            return Err(Error::Parse(format!(
                "learning rate must be finite, got {}",
                sgd.lr
            )));
        }
        sgd.clip.validate()?;
        let loss = self.grads()?;
        // The training-mode forward pass just run moves BatchNorm's running statistics.
        self.model.norms_mut().update_running(&self.cache);
        let g = &self.back;
        // Tensors in fc1.weight, fc1.bias, norm1.weight, norm1.bias, fc2.weight, … order (a
        // layer without a norm has empty γ, β gradients); Σ g² in T, as the frameworks
        // compute it; the coefficients are Clip::coefficients' without its vector.
        let tensors = || {
            g.dw.iter()
                .zip(&g.db)
                .zip(&g.dgamma)
                .zip(&g.dbeta)
                .flat_map(|(((w, b), c), d)| [w, b, c, d])
                .filter(|t| !t.is_empty())
        };
        let global = tensors().map(|t| Self::sum_squares(t)).sum::<f64>().sqrt();
        let lr = T::from_f64(sgd.lr);
        let update = |theta: &mut [T], grad: &[T]| match sgd.clip {
            Clip::None => {
                for (p, &gv) in theta.iter_mut().zip(grad) {
                    *p -= lr * gv;
                }
            }
            Clip::Value(_) => {
                for (p, &gv) in theta.iter_mut().zip(grad) {
                    *p -= lr * T::from_f64(sgd.clip.clamp(gv.to_f64()));
                }
            }
            Clip::GlobalNorm(_) | Clip::PerTensorNorm(_) => {
                let k = T::from_f64(sgd.clip.scale(Self::sum_squares(grad).sqrt(), global));
                for (p, &gv) in theta.iter_mut().zip(grad) {
                    *p -= lr * (k * gv);
                }
            }
        };
        for l in 0..g.dw.len() {
            let (w, b) = self.model.params_mut();
            update(&mut w[l], &g.dw[l]);
            update(&mut b[l], &g.db[l]);
            let norms = self.model.norms_mut();
            update(&mut norms.gamma[l], &g.dgamma[l]);
            update(&mut norms.beta[l], &g.dbeta[l]);
        }
        Ok(StepStats {
            loss,
            grad_norm: global,
        })
    }

    fn params(&self) -> Result<ParamSet> {
        let spec = self.model.spec();
        let (w, b) = self.model.params();
        let widen = |v: &[T]| v.iter().map(|x| x.to_f64()).collect::<Vec<f64>>();
        let mut entries = Vec::with_capacity(2 * spec.n_layers());
        for l in 0..spec.n_layers() {
            let (n_in, n_out) = spec.layer_dims(l);
            entries.push((
                weight_name(l),
                Tensor::new(vec![n_out, n_in], widen(&w[l]))?,
            ));
            entries.push((bias_name(l), Tensor::new(vec![n_out], widen(&b[l]))?));
            entries.extend(self.model.norms().entries(l));
        }
        Ok(ParamSet::from_entries(entries))
    }

    fn running_stats(&self) -> Result<ParamSet> {
        Ok(self.model.norms().running_entries())
    }
}
