//! [`Norms`]: the hidden layers' normalization in candle — `γ` (`norm{l}.weight`) and `β`
//! (`norm{l}.bias`) as [`Var`]s, and per layer:
//! - LayerNorm: `candle_nn::ops::layer_norm_slow`, the differentiable path of
//!   `candle_nn::LayerNorm`. The module's own `forward` takes, on a contiguous input, the fused
//!   `candle_nn::ops::layer_norm`, applied with `apply_op3_no_bwd` (candle-nn-0.11.1
//!   src/layer_norm.rs:118-121, src/ops.rs:944): no backward, so `z`, `γ` and `β` would get no
//!   gradient at all. Both take `ε` as an `f32` (src/ops.rs:912), so ε = 1e-5 becomes
//!   9.99999974737875e-6 (docs/frameworks.md).
//! - BatchNorm: `candle_nn::BatchNorm` built over our `γ`, `β`, run with
//!   `ModuleT::forward_t(z, true)` (training mode: batch statistics from differentiable ops,
//!   PyTorch's momentum and unbiased running variance, src/batch_norm.rs:195-262). Every
//!   training-mode forward moves its running statistics.

use crate::convert::{engine_err, from_candle, grad_of, to_candle, to_var};
use bplab_core::norm::{
    beta_name, gamma_name, running_mean_name, running_var_name, BN_MOMENTUM, NORM_EPS,
};
use bplab_core::{DType, Error, NetSpec, Norm, ParamSet, Result, Tensor as BTensor};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::{BatchNorm, ModuleT};

/// One hidden layer's norm: `γ`, `β` and, for BatchNorm, candle-nn's module over them.
#[derive(Debug, Clone)]
pub struct NormLayer {
    pub gamma: Var,
    pub beta: Var,
    pub batch: Option<BatchNorm>,
}

/// The norms of every layer (`None` for a layer without one).
#[derive(Debug, Clone, Default)]
pub struct Norms(pub Vec<Option<NormLayer>>);

impl Norms {
    /// Builds the norms of `spec` from a validated `params`, in `dtype`.
    pub fn from_params(spec: &NetSpec, params: &ParamSet, dtype: DType) -> Result<Self> {
        let get = |name: String| {
            params
                .get(&name)
                .ok_or_else(|| Error::Params(format!("missing tensor '{name}'")))
        };
        let layers = (0..spec.n_layers())
            .map(|l| {
                if !spec.is_normalized(l) {
                    return Ok(None);
                }
                let (gamma, beta) = (
                    to_var(get(gamma_name(l))?, dtype)?,
                    to_var(get(beta_name(l))?, dtype)?,
                );
                let batch = match spec.norm() {
                    Norm::Batch => {
                        let n = spec.layer_dims(l).1;
                        let fill = |v: f64| to_candle(&BTensor::new(vec![n], vec![v; n])?, dtype);
                        Some(
                            BatchNorm::new_with_momentum(
                                n,
                                fill(0.0)?,
                                fill(1.0)?,
                                gamma.as_tensor().clone(),
                                beta.as_tensor().clone(),
                                NORM_EPS,
                                BN_MOMENTUM,
                            )
                            .map_err(engine_err)?,
                        )
                    }
                    _ => None,
                };
                Ok(Some(NormLayer { gamma, beta, batch }))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Norms(layers))
    }

    /// `n = Norm_l(z)`, `(B, n)` in and out; `z` itself when layer `l` has no norm.
    pub fn forward(&self, l: usize, z: &Tensor) -> candle_core::Result<Tensor> {
        match self.0.get(l).and_then(Option::as_ref) {
            None => Ok(z.clone()),
            Some(NormLayer {
                batch: Some(bn), ..
            }) => bn.forward_t(z, true)?.contiguous(), // (B, n): transposed back inside
            Some(n) => candle_nn::ops::layer_norm_slow(
                z,
                n.gamma.as_tensor(),
                n.beta.as_tensor(),
                NORM_EPS as f32,
            ),
        }
    }

    /// `(norm{l}.weight, γ)`, `(norm{l}.bias, β)` of every normalized layer `l`, in order.
    pub fn vars(&self, l: usize) -> Vec<(String, Var)> {
        match self.0.get(l).and_then(Option::as_ref) {
            Some(n) => vec![
                (gamma_name(l), n.gamma.clone()),
                (beta_name(l), n.beta.clone()),
            ],
            None => Vec::new(),
        }
    }

    /// `∂L/∂γ`, `∂L/∂β` of layer `l` (none without a norm).
    pub fn grads(&self, l: usize, grads: &GradStore) -> Result<Vec<(String, BTensor)>> {
        self.vars(l)
            .into_iter()
            .map(|(name, v)| Ok((name, grad_of(grads, v.as_tensor())?)))
            .collect()
    }

    /// BatchNorm's running statistics (PyTorch's convention: unbiased running variance).
    pub fn running_stats(&self) -> Result<ParamSet> {
        let mut entries = Vec::new();
        for (l, n) in self.0.iter().enumerate() {
            if let Some(bn) = n.as_ref().and_then(|n| n.batch.as_ref()) {
                entries.push((running_mean_name(l), from_candle(bn.running_mean())?));
                entries.push((running_var_name(l), from_candle(bn.running_var())?));
            }
        }
        Ok(ParamSet::from_entries(entries))
    }
}
