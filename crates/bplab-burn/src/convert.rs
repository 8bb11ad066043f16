//! Conversions across the engine boundary: bplab's row-major `f64` [`Tensor`]s and PyTorch-named
//! [`ParamSet`]s to burn tensors and [`Linear`] layers, and burn results (activations,
//! gradients) back, with the one layout difference between the two worlds handled here.
//!
//! **Weight layout.** bplab (like PyTorch) stores `fc{l}.weight` as `[n_out, n_in]` and computes
//! `z = x Wᵀ + b`. burn-nn's `Linear` stores `weight` as `[d_input, d_output]` and computes
//! `z = x W + b` (`burn-nn-0.22.1/src/modules/linear.rs:48-54, 61-62` with the default
//! `LinearLayout::Row`, and `burn::tensor::module::linear`, `burn-tensor-0.22.1/src/tensor/
//! module.rs:707-732`). So the weight is transposed on load ([`linear_from_params`]) and its
//! gradient, which burn reports in the parameter's own `[n_in, n_out]` shape, is transposed
//! back on export ([`param_grads`]). Biases are `[n_out]` on both sides.
//!
//! **Precision.** In `F32` values are rounded to `f32` here, before burn sees them; results are
//! widened exactly to `f64`. Every read-back checks that burn returned the dtype it was asked
//! to compute in.

use crate::backend::burn_dtype;
use bplab_core::{DType, Error, ParamSet, Result, Tensor};
use burn::module::{Param, ParamId};
use burn::nn::Linear;
use burn::tensor::{Device, Gradients, Tensor as BurnTensor, TensorData};

/// `[rows, cols]` row-major → `[cols, rows]` row-major.
pub fn transpose(rows: usize, cols: usize, data: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; data.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = data[r * cols + c];
        }
    }
    out
}

/// Host values as burn `TensorData` in `dtype` (rounded to `f32` for `F32`).
fn host_data(values: Vec<f64>, shape: Vec<usize>, dtype: DType) -> TensorData {
    match dtype {
        DType::F64 => TensorData::new(values, shape),
        DType::F32 => TensorData::new(values.into_iter().map(|v| v as f32).collect(), shape),
    }
}

/// A burn tensor of rank `D` holding `values` (row-major, `shape`), created in `dtype`
/// explicitly (never from the device's default dtype).
pub fn burn_tensor<const D: usize>(
    values: Vec<f64>,
    shape: Vec<usize>,
    device: &Device,
    dtype: DType,
) -> BurnTensor<D> {
    BurnTensor::<D>::from_data(host_data(values, shape, dtype), (device, burn_dtype(dtype)))
}

/// A batch matrix `(B, n)` as a burn tensor.
pub fn matrix(t: &Tensor, device: &Device, dtype: DType) -> BurnTensor<2> {
    burn_tensor::<2>(t.data.clone(), t.shape.clone(), device, dtype)
}

/// Reads a burn tensor back as an `f64` [`Tensor`], checking that it was computed in `dtype`.
pub fn read<const D: usize>(engine: &str, t: BurnTensor<D>, dtype: DType) -> Result<Tensor> {
    let shape = t.dims().to_vec();
    let data = t
        .try_into_data()
        .map_err(|e| Error::engine(engine, format!("reading a tensor back failed: {e}")))?;
    let want = burn_dtype(dtype);
    if data.dtype() != want {
        return Err(Error::engine(
            engine,
            format!(
                "burn returned a {:?} tensor, expected {want:?}",
                data.dtype()
            ),
        ));
    }
    let values = data
        .try_into_vec_as::<f64>()
        .map_err(|e| Error::engine(engine, format!("converting a tensor to f64 failed: {e}")))?;
    Tensor::new(shape, values).map_err(|e| Error::engine(engine, e))
}

/// Reads a one-element burn tensor (a loss) back as `f64`.
pub fn read_scalar(engine: &str, t: BurnTensor<1>, dtype: DType) -> Result<f64> {
    let t = read(engine, t, dtype)?;
    match t.data.as_slice() {
        [v] => Ok(*v),
        _ => Err(Error::engine(
            engine,
            format!("the loss has shape {:?}, expected one value", t.shape),
        )),
    }
}

/// A parameter holding `value`: tracked (`require_grad`, a leaf of the autodiff graph) when
/// `track`, otherwise a constant of the graph.
fn param<const D: usize>(value: BurnTensor<D>, track: bool) -> Param<BurnTensor<D>> {
    if track {
        Param::from_tensor(value)
    } else {
        Param::initialized(ParamId::new(), value)
    }
}

/// burn's `Linear` for layer `l` (0-based) of a validated set: `weight` `[n_in, n_out]` (the
/// transpose of `fc{l+1}.weight` `[n_out, n_in]`), `bias` `[n_out]`.
pub fn linear_from_params(
    params: &ParamSet,
    l: usize,
    device: &Device,
    dtype: DType,
    track: bool,
) -> Linear {
    let w = params.weight(l); // [n_out, n_in]
    let (n_out, n_in) = (w.shape[0], w.shape[1]);
    let weight = burn_tensor::<2>(
        transpose(n_out, n_in, &w.data),
        vec![n_in, n_out],
        device,
        dtype,
    );
    let b = params.bias(l); // [n_out]
    let bias = burn_tensor::<1>(b.data.clone(), vec![n_out], device, dtype);
    Linear {
        weight: param(weight, track),
        bias: Some(param(bias, track)),
    }
}

/// Every layer's `Linear`, in order.
pub fn linears_from_params(
    params: &ParamSet,
    n_layers: usize,
    device: &Device,
    dtype: DType,
    track: bool,
) -> Vec<Linear> {
    (0..n_layers)
        .map(|l| linear_from_params(params, l, device, dtype, track))
        .collect()
}

/// `∂L/∂θ` of every layer as a [`ParamSet`] in PyTorch naming and shapes: burn's weight
/// gradient `[n_in, n_out]` is transposed to `fc{l}.weight`'s `[n_out, n_in]`.
pub fn param_grads(
    engine: &str,
    layers: &[Linear],
    grads: &Gradients,
    dtype: DType,
) -> Result<ParamSet> {
    let missing = |what: String| Error::engine(engine, format!("burn kept no gradient for {what}"));
    let mut entries = Vec::with_capacity(2 * layers.len());
    for (l, layer) in layers.iter().enumerate() {
        let gw = layer
            .weight
            .val()
            .grad(grads)
            .ok_or_else(|| missing(bplab_core::spec::weight_name(l)))?;
        let gw = read(engine, gw, dtype)?; // [n_in, n_out]
        let (n_in, n_out) = (gw.shape[0], gw.shape[1]);
        let gw = Tensor::new(vec![n_out, n_in], transpose(n_in, n_out, &gw.data))?;
        entries.push((bplab_core::spec::weight_name(l), gw));
        let bias = layer
            .bias
            .as_ref()
            .ok_or_else(|| missing(bplab_core::spec::bias_name(l)))?;
        let gb = bias
            .val()
            .grad(grads)
            .ok_or_else(|| missing(bplab_core::spec::bias_name(l)))?;
        entries.push((bplab_core::spec::bias_name(l), read(engine, gb, dtype)?));
    }
    Ok(ParamSet::from_entries(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_is_an_involution_on_a_non_square_matrix() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // [2, 3]
        let t = transpose(2, 3, &a); // [3, 2]
        assert_eq!(t, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(transpose(3, 2, &t), a.to_vec());
    }
}
