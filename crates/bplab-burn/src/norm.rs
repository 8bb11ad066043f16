//! [`Norms`]: the hidden layers' normalization as burn-nn modules — `LayerNorm` or
//! `BatchNorm`, one per hidden layer — built from `norm{l}.weight` (`γ`) and `norm{l}.bias`
//! (`β`), their gradients and values read back in PyTorch naming, and BatchNorm's running
//! statistics.
//!
//! Both modules are built by their config (`LayerNormConfig`, `BatchNormConfig`: ε = 1e-5,
//! momentum 0.1, as PyTorch) and then given our `γ`, `β` (and fresh running statistics) created
//! in the engine's dtype explicitly, as every other tensor of this crate is.

use crate::convert::{burn_tensor, read};
use bplab_core::norm::{beta_name, gamma_name, running_mean_name, running_var_name, NORM_EPS};
use bplab_core::{DType, Error, NetSpec, Norm, ParamSet, Result, Tensor};
use burn::module::{Param, ParamId, RunningState};
use burn::nn::{BatchNorm, BatchNormConfig, LayerNorm, LayerNormConfig};
use burn::tensor::{Device, Gradients, Tensor as BurnTensor};

/// burn-nn's norm modules of a network's hidden layers (`layer[l]` or `batch[l]` for hidden
/// layer `l`; both empty without a norm).
#[derive(Debug, Clone, Default)]
pub struct Norms {
    pub layer: Vec<LayerNorm>,
    pub batch: Vec<BatchNorm>,
}

fn param(value: BurnTensor<1>, track: bool) -> Param<BurnTensor<1>> {
    if track {
        Param::from_tensor(value)
    } else {
        Param::initialized(ParamId::new(), value)
    }
}

impl Norms {
    /// The modules of `spec`'s hidden layers with `γ`, `β` from a validated `params`.
    pub fn from_params(
        spec: &NetSpec,
        params: &ParamSet,
        device: &Device,
        dtype: DType,
        track: bool,
    ) -> Norms {
        let hidden = (0..spec.n_layers()).filter(|&l| spec.is_normalized(l));
        let vector = |name: String| {
            let t = params.get(&name).expect("validated: the norm's parameters");
            burn_tensor::<1>(t.data.clone(), t.shape.clone(), device, dtype)
        };
        let fill = |n: usize, v: f64| burn_tensor::<1>(vec![v; n], vec![n], device, dtype);
        match spec.norm() {
            Norm::None => Norms::default(),
            Norm::Layer => Norms {
                layer: hidden
                    .map(|l| {
                        let mut ln = LayerNormConfig::new(spec.layer_dims(l).1)
                            .with_epsilon(NORM_EPS)
                            .init(device);
                        ln.gamma = param(vector(gamma_name(l)), track);
                        ln.beta = Some(param(vector(beta_name(l)), track));
                        ln
                    })
                    .collect(),
                batch: Vec::new(),
            },
            Norm::Batch => Norms {
                layer: Vec::new(),
                batch: hidden
                    .map(|l| {
                        let n = spec.layer_dims(l).1;
                        let mut bn = BatchNormConfig::new(n).with_epsilon(NORM_EPS).init(device);
                        bn.gamma = param(vector(gamma_name(l)), track);
                        bn.beta = param(vector(beta_name(l)), track);
                        bn.running_mean = RunningState::new(fill(n, 0.0));
                        bn.running_var = RunningState::new(fill(n, 1.0));
                        bn
                    })
                    .collect(),
            },
        }
    }

    /// `n = Norm_l(z)`, `(B, n)` in and out; `z` unchanged when layer `l` has no norm.
    pub fn forward(&self, l: usize, z: BurnTensor<2>) -> BurnTensor<2> {
        if let Some(ln) = self.layer.get(l) {
            return ln.forward(z);
        }
        match self.batch.get(l) {
            Some(bn) if z.device().is_autodiff() => bn.forward(z),
            Some(bn) => {
                burn::tensor::module::batch_norm_train(z, bn.gamma.val(), bn.beta.val(), bn.epsilon)
                    .output
            }
            None => z,
        }
    }

    /// `(γ, β)` of hidden layer `l` as burn parameters, if it has a norm.
    pub fn affine(&self, l: usize) -> Option<(&Param<BurnTensor<1>>, &Param<BurnTensor<1>>)> {
        if let Some(ln) = self.layer.get(l) {
            return ln.beta.as_ref().map(|b| (&ln.gamma, b));
        }
        self.batch.get(l).map(|bn| (&bn.gamma, &bn.beta))
    }

    /// `(norm{l}.weight, value)` and `(norm{l}.bias, value)` of layer `l` (none without a
    /// norm), read by `f`: the values or their gradients.
    pub fn entries(
        &self,
        l: usize,
        mut f: impl FnMut(&Param<BurnTensor<1>>) -> Result<Tensor>,
    ) -> Result<Vec<(String, Tensor)>> {
        Ok(match self.affine(l) {
            Some((g, b)) => vec![(gamma_name(l), f(g)?), (beta_name(l), f(b)?)],
            None => Vec::new(),
        })
    }

    /// `∂L/∂γ`, `∂L/∂β` of layer `l` from burn's gradients.
    pub fn grads(
        &self,
        engine: &str,
        l: usize,
        grads: &Gradients,
        dtype: DType,
    ) -> Result<Vec<(String, Tensor)>> {
        self.entries(l, |p| {
            let g = p.val().grad(grads).ok_or_else(|| {
                Error::engine(engine, format!("burn kept no gradient for norm{}", l + 1))
            })?;
            read(engine, g, dtype)
        })
    }

    /// BatchNorm's running statistics, burn's own (see docs/frameworks.md: burn's running
    /// variance is the biased one).
    pub fn running_stats(&self, engine: &str, dtype: DType) -> Result<ParamSet> {
        let mut entries = Vec::new();
        for (l, bn) in self.batch.iter().enumerate() {
            entries.push((
                running_mean_name(l),
                read(engine, bn.running_mean.value_sync(), dtype)?,
            ));
            entries.push((
                running_var_name(l),
                read(engine, bn.running_var.value_sync(), dtype)?,
            ));
        }
        Ok(ParamSet::from_entries(entries))
    }
}
