//! The network as a candle graph in `f16` or `bf16` (`candle_core::DType::F16`/`BF16`, both
//! supported on the CPU), with mixed-precision loss scaling: parameters and input are rounded
//! to the half type, every layer runs in it (candle's own ops, through
//! [`crate::model::activate`]), the output layer's `z` and `ŷ` are widened to `f32` for the
//! loss ([`crate::model::loss`]), and the backward pass starts from the scaled loss `S · L`
//! (`S` applied in `f32`). The parameter gradients come back in the half type and are
//! divided by `S` in `f32`, as mixed-precision training does.
//!
//! Accumulation: candle's CPU matmul widens `bf16` to `f32`, multiplies and rounds the product
//! back (`candle-core-0.11.1/src/cpu_backend/mod.rs:3062`); `f16` goes to the `gemm` crate's
//! `f16` kernel, which packs the operands into `f32` and accumulates there. Element-wise ops
//! and reductions round each result to the half type.

use crate::convert::{engine_err, to_candle};
use crate::model::{activate, loss};
use bplab_core::spec::{bias_name, weight_name};
use bplab_core::{Batch, DType, NetSpec, ParamSet, Result};
use candle_core::Var;
use candle_nn::{Linear, Module};

/// The 16-bit float a graph computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Half {
    /// IEEE binary16: 10 fraction bits, largest finite 65504, smallest subnormal 2⁻²⁴.
    F16,
    /// bfloat16: 7 fraction bits, `f32`'s exponent range.
    Bf16,
}

impl Half {
    /// The candle dtype.
    pub fn dtype(self) -> candle_core::DType {
        match self {
            Half::F16 => candle_core::DType::F16,
            Half::Bf16 => candle_core::DType::BF16,
        }
    }
}

/// What one scaled backward pass produced.
#[derive(Debug, Clone)]
pub struct LowGrads {
    /// The unscaled loss (computed in `f32`).
    pub loss: f64,
    /// `∂L/∂θ`: the half-precision gradients of `S · L`, widened to `f32` and divided by `S`
    /// there, then widened to `f64`. PyTorch naming and shapes.
    pub grads: ParamSet,
}

/// Forward in `half`, loss in `f32`, backward from `scale · L`, gradients unscaled in `f32`.
/// `params` validated against `spec`; `batch` `x` `(B, n_in)`, `y` `(B, n_out)`; `scale > 0`.
pub fn grads(
    spec: &NetSpec,
    params: &ParamSet,
    batch: &Batch,
    half: Half,
    scale: f32,
) -> Result<LowGrads> {
    batch.validate(spec)?;
    let hd = half.dtype();
    let var = |name: String| -> Result<Var> {
        let t = params
            .get(&name)
            .ok_or_else(|| bplab_core::Error::Params(format!("missing tensor '{name}'")))?;
        let t = to_candle(t, DType::F32)?;
        t.to_dtype(hd)
            .and_then(|t| Var::from_tensor(&t))
            .map_err(engine_err)
    };
    let mut vars = Vec::with_capacity(2 * spec.n_layers());
    for l in 0..spec.n_layers() {
        vars.push((var(weight_name(l))?, var(bias_name(l))?));
    }
    let run = || -> candle_core::Result<(f64, Vec<Vec<f32>>)> {
        let x = to_candle(&batch.x, DType::F32)
            .map_err(candle_core::Error::wrap)?
            .to_dtype(hd)?; // (B, n_in)
        let y = to_candle(&batch.y, DType::F32).map_err(candle_core::Error::wrap)?; // (B, n_out) f32
        let mut h = x;
        let mut z = h.clone();
        for (l, (w, b)) in vars.iter().enumerate() {
            let linear = Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
            z = linear.forward(&h)?; // (B, n_out_l) in half
            let a = activate(spec.activations()[l], &z)?;
            h = if spec.is_residual(l) { h.add(&a)? } else { a };
        }
        let z32 = z.to_dtype(candle_core::DType::F32)?;
        let h32 = h.to_dtype(candle_core::DType::F32)?;
        let l32 = loss(spec.loss(), &z32, &h32, &y)?; // rank 0, f32
        let scaled = l32.affine(scale as f64, 0.0)?; // S · L in f32
        let store = scaled.backward()?;
        let mut out = Vec::with_capacity(2 * vars.len());
        for (w, b) in &vars {
            for v in [w, b] {
                let g = match store.get(v.as_tensor()) {
                    Some(g) => g.to_dtype(candle_core::DType::F32)?,
                    None => v
                        .as_tensor()
                        .zeros_like()?
                        .to_dtype(candle_core::DType::F32)?,
                };
                out.push(
                    g.affine(1.0 / scale as f64, 0.0)?
                        .flatten_all()?
                        .to_vec1::<f32>()?,
                );
            }
        }
        Ok((l32.to_scalar::<f32>()? as f64, out))
    };
    let (loss_value, flat) = run().map_err(engine_err)?;
    let mut entries = Vec::with_capacity(flat.len());
    for (i, g) in flat.into_iter().enumerate() {
        let (l, is_bias) = (i / 2, i % 2 == 1);
        let name = if is_bias {
            bias_name(l)
        } else {
            weight_name(l)
        };
        let shape = params
            .get(&name)
            .map(|t| t.shape.clone())
            .unwrap_or_default();
        entries.push((
            name,
            bplab_core::Tensor::new(shape, g.into_iter().map(f64::from).collect())?,
        ));
    }
    Ok(LowGrads {
        loss: loss_value,
        grads: ParamSet::from_entries(entries),
    })
}
