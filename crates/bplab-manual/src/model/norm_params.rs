//! [`NormParams`]: the state of a network's normalization layers in `T` — `γ` and `β` per
//! normalized hidden layer (parameters, trained by SGD) and BatchNorm's running mean and
//! running unbiased variance (buffers, updated once per training step, read in evaluation).
//! Layers without a norm hold empty vectors, so indices stay the Linear layers' indices.

use crate::layers::norm::batchnorm_update_running;
use crate::model::Cache;
use crate::real::Real;
use bplab_core::norm::{beta_name, gamma_name, running_mean_name, running_var_name, BN_MOMENTUM};
use bplab_core::{NetSpec, Norm, ParamSet, Tensor};

/// `γ`, `β` and the running statistics of every layer (empty where a layer has no norm).
#[derive(Debug, Clone)]
pub struct NormParams<T> {
    /// `γ_l`, `(n_out_l)`.
    pub gamma: Vec<Vec<T>>,
    /// `β_l`, `(n_out_l)`.
    pub beta: Vec<Vec<T>>,
    /// BatchNorm's running mean, `(n_out_l)`, starting at 0 (PyTorch's start).
    pub running_mean: Vec<Vec<T>>,
    /// BatchNorm's running unbiased variance, `(n_out_l)`, starting at 1.
    pub running_var: Vec<Vec<T>>,
}

impl<T: Real> NormParams<T> {
    /// Reads `γ`, `β` from a validated parameter set; fresh running statistics.
    pub fn new(spec: &NetSpec, params: &ParamSet) -> Self {
        let read = |name: String| -> Vec<T> {
            let t = params
                .get(&name)
                .unwrap_or_else(|| panic!("validated parameter set lacks {name}"));
            t.data.iter().map(|&v| T::from_f64(v)).collect()
        };
        let per_layer = |f: &dyn Fn(usize) -> Vec<T>| -> Vec<Vec<T>> {
            (0..spec.n_layers())
                .map(|l| match spec.is_normalized(l) {
                    true => f(l),
                    false => Vec::new(),
                })
                .collect()
        };
        let batch = spec.norm() == Norm::Batch;
        let fill = |v: f64| {
            move |l: usize| match batch {
                true => vec![T::from_f64(v); spec.layer_dims(l).1],
                false => Vec::new(),
            }
        };
        NormParams {
            gamma: per_layer(&|l| read(gamma_name(l))),
            beta: per_layer(&|l| read(beta_name(l))),
            running_mean: per_layer(&fill(0.0)),
            running_var: per_layer(&fill(1.0)),
        }
    }

    /// One training step's update of the running statistics from the batch statistics the
    /// last forward pass cached in `c` (BatchNorm only; a no-op otherwise).
    pub fn update_running(&mut self, c: &Cache<T>) {
        for l in 0..self.running_mean.len() {
            if !self.running_mean[l].is_empty() {
                batchnorm_update_running(
                    &mut self.running_mean[l],
                    &mut self.running_var[l],
                    &c.mean[l],
                    &c.var[l],
                    c.batch,
                    BN_MOMENTUM,
                );
            }
        }
    }

    /// `(name, tensor)` of `γ` and `β` of layer `l`, widened to f64 (none without a norm).
    pub fn entries(&self, l: usize) -> Vec<(String, Tensor)> {
        Self::pair(l, &self.gamma[l], &self.beta[l], gamma_name, beta_name)
    }

    /// `norm{l}.running_mean` and `norm{l}.running_var` of every BatchNorm layer.
    pub fn running_entries(&self) -> ParamSet {
        let entries = (0..self.running_mean.len())
            .flat_map(|l| {
                Self::pair(
                    l,
                    &self.running_mean[l],
                    &self.running_var[l],
                    running_mean_name,
                    running_var_name,
                )
            })
            .collect();
        ParamSet::from_entries(entries)
    }

    fn pair(
        l: usize,
        a: &[T],
        b: &[T],
        a_name: fn(usize) -> String,
        b_name: fn(usize) -> String,
    ) -> Vec<(String, Tensor)> {
        if a.is_empty() {
            return Vec::new();
        }
        let widen = |v: &[T]| Tensor {
            shape: vec![v.len()],
            data: v.iter().map(|x| x.to_f64()).collect(),
        };
        vec![(a_name(l), widen(a)), (b_name(l), widen(b))]
    }
}
