//! Conversions between the project's boundary values and candle: a row-major `f64`
//! [`Tensor`](bplab_core::Tensor) becomes a candle [`Tensor`] or [`Var`] in the engine's dtype on
//! `Device::Cpu` (rounded to `f32` first in `F32`), and candle values come back widened to `f64`.
//! It also owns the parameter side: a validated [`ParamSet`] becomes one `(weight, bias)` pair of
//! [`Var`]s per layer, and a [`GradStore`] becomes a [`ParamSet`] of gradients in PyTorch naming
//! and shapes. Every candle error is mapped to [`Error::engine`]`("candle", …)`.

use bplab_core::spec::{bias_name, weight_name};
use bplab_core::{DType, Error, NetSpec, ParamSet, Result};
use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var};

/// The engine's name, used in every error it reports.
pub const ENGINE: &str = "candle";

/// The name of the engine whose layers are the manual engine's custom op.
pub const CUSTOM_ENGINE: &str = "candle-custom";

/// Maps any candle error (or other displayable failure) to [`Error::Engine`] for `candle`.
pub fn engine_err(e: impl std::fmt::Display) -> Error {
    Error::engine(ENGINE, e)
}

/// The candle dtype an engine computes in.
pub fn candle_dtype(dtype: DType) -> candle_core::DType {
    match dtype {
        DType::F32 => candle_core::DType::F32,
        DType::F64 => candle_core::DType::F64,
    }
}

/// A candle tensor with `t`'s shape and values in `dtype` (`f32`: each value rounded to
/// nearest). Leaf tensor: gradients are not tracked for it.
pub fn to_candle(t: &bplab_core::Tensor, dtype: DType) -> Result<Tensor> {
    let shape = t.shape.clone();
    match dtype {
        DType::F64 => Tensor::from_vec(t.data.clone(), shape, &Device::Cpu),
        DType::F32 => Tensor::from_vec(
            t.data.iter().map(|&v| v as f32).collect::<Vec<f32>>(),
            shape,
            &Device::Cpu,
        ),
    }
    .map_err(engine_err)
}

/// Like [`to_candle`], but a [`Var`]: a leaf whose gradient `backward()` keeps in the
/// [`GradStore`].
pub fn to_var(t: &bplab_core::Tensor, dtype: DType) -> Result<Var> {
    let shape = t.shape.clone();
    match dtype {
        DType::F64 => Var::from_vec(t.data.clone(), shape, &Device::Cpu),
        DType::F32 => Var::from_vec(
            t.data.iter().map(|&v| v as f32).collect::<Vec<f32>>(),
            shape,
            &Device::Cpu,
        ),
    }
    .map_err(engine_err)
}

/// A candle tensor (any shape, `f32` or `f64`) as a row-major `f64` boundary tensor (`f32`
/// values widen exactly).
pub fn from_candle(t: &Tensor) -> Result<bplab_core::Tensor> {
    let data = t
        .to_dtype(candle_core::DType::F64)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f64>())
        .map_err(engine_err)?;
    bplab_core::Tensor::new(t.dims().to_vec(), data)
}

/// A scalar (rank-0) candle tensor as `f64`.
pub fn scalar(t: &Tensor) -> Result<f64> {
    t.to_dtype(candle_core::DType::F64)
        .and_then(|t| t.to_scalar::<f64>())
        .map_err(engine_err)
}

/// One layer's parameters as candle variables: `weight` `[n_out, n_in]` (PyTorch and
/// `candle_nn::Linear` layout), `bias` `[n_out]`.
#[derive(Debug, Clone)]
pub struct LayerVars {
    pub weight: Var,
    pub bias: Var,
}

/// Every layer's `(fc{l}.weight, fc{l}.bias)` of a parameter set validated against `spec`, as
/// [`Var`]s in `dtype`.
pub fn params_to_vars(spec: &NetSpec, params: &ParamSet, dtype: DType) -> Result<Vec<LayerVars>> {
    (0..spec.n_layers())
        .map(|l| {
            let get = |name: String| {
                params
                    .get(&name)
                    .ok_or_else(|| Error::Params(format!("missing tensor '{name}'")))
            };
            Ok(LayerVars {
                weight: to_var(get(weight_name(l))?, dtype)?,
                bias: to_var(get(bias_name(l))?, dtype)?,
            })
        })
        .collect()
}

/// The gradient of `t` held in `grads`, widened to `f64`. A variable the loss does not depend
/// on has no entry; its gradient is zero, with `t`'s shape.
pub fn grad_of(grads: &GradStore, t: &Tensor) -> Result<bplab_core::Tensor> {
    match grads.get(t) {
        Some(g) => from_candle(g),
        None => Ok(bplab_core::Tensor::zeros(t.dims())),
    }
}

/// `∂L/∂θ` for every layer's variables, as a [`ParamSet`] in `fc1.weight, fc1.bias, …` order:
/// `fc{l}.weight` `[n_out, n_in]`, `fc{l}.bias` `[n_out]`.
pub fn grads_to_params(grads: &GradStore, layers: &[LayerVars]) -> Result<ParamSet> {
    let mut entries = Vec::with_capacity(2 * layers.len());
    for (l, v) in layers.iter().enumerate() {
        entries.push((weight_name(l), grad_of(grads, v.weight.as_tensor())?));
        entries.push((bias_name(l), grad_of(grads, v.bias.as_tensor())?));
    }
    Ok(ParamSet::from_entries(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_f64_exactly_and_rounds_f32() {
        let t = bplab_core::Tensor::new(vec![2, 3], vec![0.1, -0.2, 1e-300, 3.0, -5.5, 1.0 / 3.0])
            .unwrap();
        let back = from_candle(&to_candle(&t, DType::F64).unwrap()).unwrap();
        assert_eq!(back, t);
        let back32 = from_candle(&to_var(&t, DType::F32).unwrap()).unwrap();
        assert_eq!(back32, t.rounded_to_f32());
    }
}
