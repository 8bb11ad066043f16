//! [`ManualTrainer`]: training through the hand-written [`Model`]'s public API alone — per
//! step `forward` (caching `z`, `a`, `h`), `backward` (every `∂L/∂W_l`, `∂L/∂b_l`), the
//! clipping rule of [`Clip`], and the SGD update `θ ← θ − lr · clip(g)` written out on the
//! trainer's own parameter buffers, which then become the next step's model.
//!
//! The update is computed in `T` in the order the frameworks use (`k·g`, then `lr·(k·g)`, then
//! `θ − lr·(k·g)`), so in f64 the trainers agree to rounding. Clipping coefficients come from
//! [`Clip::coefficients`], given each gradient's `Σ g²` accumulated in `T`.

use crate::model::{Backward, Model};
use crate::real::Real;
use bplab_core::spec::{bias_name, weight_name, KinkGrads};
use bplab_core::train::{Clip, Sgd, StepStats, Trainer};
use bplab_core::{Batch, Error, NetSpec, ParamSet, Result, Tensor};

/// The manual engine's trainer in `T` (`f32` or `f64`).
pub struct ManualTrainer<T: Real> {
    spec: NetSpec,
    /// `w[l]`: `(n_out, n_in)` row-major.
    w: Vec<Vec<T>>,
    /// `b[l]`: `(n_out)`.
    b: Vec<Vec<T>>,
    /// The batch: `x` `(B, n_in)`, `y` `(B, n_out)`.
    x: Vec<T>,
    y: Vec<T>,
    /// The model built from `w`, `b` (rebuilt after every update).
    model: Model<T>,
    /// ReLU's and leaky-ReLU's derivative at exactly 0.
    at_zero: KinkGrads,
    /// The last backward pass (`∂L/∂W_l`, `∂L/∂b_l`, …).
    grads: Option<Backward<T>>,
}

fn to_t<T: Real>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

fn widen<T: Real>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}

/// `Σ g²`, accumulated in `T`, widened.
fn sum_squares<T: Real>(g: &[T]) -> f64 {
    g.iter().fold(T::ZERO, |acc, &v| acc + v * v).to_f64()
}

impl<T: Real> ManualTrainer<T> {
    /// A trainer for `spec` starting at `params` (validated by the caller) on `batch`.
    pub fn new(spec: &NetSpec, params: &ParamSet, batch: &Batch) -> Result<Self> {
        let n = spec.n_layers();
        let mut t = ManualTrainer {
            spec: spec.clone(),
            w: (0..n).map(|l| to_t(&params.weight(l).data)).collect(),
            b: (0..n).map(|l| to_t(&params.bias(l).data)).collect(),
            x: Vec::new(),
            y: Vec::new(),
            model: Model::new(spec, params),
            grads: None,
            at_zero: KinkGrads::PYTORCH,
        };
        t.set_batch(batch)?;
        Ok(t)
    }

    /// The same trainer with another convention for the kinks' derivative at exactly 0 (the
    /// harness uses it to show that a framework's trajectory differs only by that).
    pub fn with_kink_grads(mut self, at_zero: KinkGrads) -> Self {
        self.at_zero = at_zero;
        self.model = Model::new(&self.spec, &self.param_set()).with_kink_grads(at_zero);
        self
    }

    /// The parameters as `f64` tensors in PyTorch naming and shapes.
    fn param_set(&self) -> ParamSet {
        let mut entries = Vec::with_capacity(2 * self.w.len());
        for l in 0..self.w.len() {
            let (n_in, n_out) = self.spec.layer_dims(l);
            let w = Tensor {
                shape: vec![n_out, n_in],
                data: widen(&self.w[l]),
            };
            let b = Tensor {
                shape: vec![n_out],
                data: widen(&self.b[l]),
            };
            entries.push((weight_name(l), w));
            entries.push((bias_name(l), b));
        }
        ParamSet::from_entries(entries)
    }
}

impl<T: Real> Trainer for ManualTrainer<T> {
    fn set_batch(&mut self, batch: &Batch) -> Result<()> {
        batch.validate(&self.spec)?;
        self.x = to_t(&batch.x.data);
        self.y = to_t(&batch.y.data);
        self.grads = None;
        Ok(())
    }

    fn forward(&mut self) -> Result<f64> {
        Ok(self
            .model
            .forward(self.x.clone(), self.y.clone())
            .loss
            .to_f64())
    }

    fn grads(&mut self) -> Result<f64> {
        let cache = self.model.forward(self.x.clone(), self.y.clone());
        let back = self.model.backward(&cache);
        self.grads = Some(back);
        Ok(cache.loss.to_f64())
    }

    fn step(&mut self, sgd: &Sgd) -> Result<StepStats> {
        let loss = self.grads()?;
        let Backward { dw, db, .. } = self
            .grads
            .take()
            .ok_or_else(|| Error::engine("manual", "no gradients after backward"))?;
        // Tensors in fc1.weight, fc1.bias, fc2.weight, … order.
        let grads: Vec<&Vec<T>> = dw.iter().zip(&db).flat_map(|(w, b)| [w, b]).collect();
        let sums: Vec<f64> = grads.iter().map(|g| sum_squares(g)).collect();
        let (grad_norm, k) = sgd.clip.coefficients(&sums);
        let lr = T::from_f64(sgd.lr);
        let params = self
            .w
            .iter_mut()
            .zip(self.b.iter_mut())
            .flat_map(|(w, b)| [w, b]);
        for ((theta, g), &k) in params.zip(&grads).zip(&k) {
            let k = T::from_f64(k);
            for (p, &g) in theta.iter_mut().zip(g.iter()) {
                let g = match sgd.clip {
                    Clip::Value(_) => T::from_f64(sgd.clip.clamp(g.to_f64())),
                    Clip::None => g,
                    Clip::GlobalNorm(_) | Clip::PerTensorNorm(_) => k * g,
                };
                *p -= lr * g;
            }
        }
        self.model = Model::new(&self.spec, &self.param_set()).with_kink_grads(self.at_zero);
        Ok(StepStats { loss, grad_norm })
    }

    fn params(&self) -> Result<ParamSet> {
        Ok(self.param_set())
    }
}
