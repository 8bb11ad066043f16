//! [`ManualTrainer`]: the hand-written model in a training loop. It owns the model, the
//! forward [`Cache`] and the [`Backward`] buffers for one batch size, so after the first step
//! `forward`, `grads` and `step` allocate nothing: the same `forward_into`/`backward_into` as
//! every other use of the model, on buffers that are reused.
//!
//! The SGD update and the four clipping rules of [`Clip`] are written out here:
//! `θ ← θ − lr · s · g` with `s` from [`Clip::scale`] (`Value` clamps each `g` instead).

use crate::model::{Backward, Cache, Model};
use crate::real::Real;
use bplab_core::spec::{bias_name, weight_name};
use bplab_core::train::{Clip, Sgd, StepStats, Trainer};
use bplab_core::{Batch, Error, Network, ParamSet, Result, Tensor};

/// The hand-written model, its batch and its buffers, in `T`.
pub struct ManualTrainer<T: Real> {
    model: Model<T>,
    cache: Cache<T>,
    back: Backward<T>,
}

impl<T: Real> ManualTrainer<T> {
    /// A trainer for `model` holding `batch` (rounded to `T`).
    pub fn new(model: Model<T>, batch: &Batch) -> Result<Self> {
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

    /// A trainer for `net`'s parameters.
    pub fn for_network(net: &Network, batch: &Batch) -> Result<Self> {
        Self::new(Model::new(net.spec(), net.params()), batch)
    }

    /// The model (its parameters after the steps taken so far).
    pub fn model(&self) -> &Model<T> {
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

    /// `‖g‖²`, accumulated in f64.
    fn norm_sq(g: &[T]) -> f64 {
        g.iter().map(|v| v.to_f64() * v.to_f64()).sum()
    }
}

impl<T: Real> Trainer for ManualTrainer<T> {
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
        if !(sgd.lr.is_finite()) {
            return Err(Error::Parse(format!(
                "learning rate must be finite, got {}",
                sgd.lr
            )));
        }
        let loss = self.grads()?;
        let g = &mut self.back;
        let global_sq: f64 = g.dw.iter().chain(&g.db).map(|t| Self::norm_sq(t)).sum();
        let global = global_sq.sqrt();
        let lr = T::from_f64(sgd.lr);
        let (w, b) = self.model.params_mut();
        for (theta, grad) in w.iter_mut().zip(&g.dw).chain(b.iter_mut().zip(&g.db)) {
            match sgd.clip {
                Clip::Value(c) => {
                    let (lo, hi) = (T::from_f64(-c), T::from_f64(c));
                    for (p, &gv) in theta.iter_mut().zip(grad) {
                        let gc = if gv < lo {
                            lo
                        } else if gv > hi {
                            hi
                        } else {
                            gv
                        };
                        *p -= lr * gc;
                    }
                }
                clip => {
                    let s = clip.scale(Self::norm_sq(grad).sqrt(), global);
                    let step = lr * T::from_f64(s);
                    for (p, &gv) in theta.iter_mut().zip(grad) {
                        *p -= step * gv;
                    }
                }
            }
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
        }
        Ok(ParamSet::from_entries(entries))
    }
}
