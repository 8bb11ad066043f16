//! Gradients in half precision for `bplab lab precision`, from the two engines that compute
//! in `f16`/`bf16` (the `f64` truth they are compared with is [`super::truth`]). Both return the loss and the
//! gradients of `S · L` divided by `S` in `f32` (loss scaling; `S = 1` for none).
//!
//! - the manual engine at `half::f16`/`half::bf16` ([`bplab_manual::real::half_real`]): the scale
//!   enters through the cross-entropy target, `CE(z, S·y) = S·CE(z, y)`, whose seed gradient
//!   is `S·δ_L` (exact for a power of two; `S·y` itself is a half-precision value);
//! - candle's graph in `F16`/`BF16` ([`bplab_candle::low_precision`]), loss and scale in `f32`.

use super::config::{HalfEngine, HalfType};
use bplab_core::{Batch, Error, Loss, Network, ParamSet, Result};
use bplab_manual::{Model, Real};

/// The manual engine in `T`: forward, the seed scaled by `scale` through the target
/// (cross-entropy only), backward, gradients divided by `scale` in `f32`.
fn manual_half<T: Real>(net: &Network, batch: &Batch, scale: f64) -> Result<(f64, ParamSet)> {
    let spec = net.spec();
    if scale != 1.0 && spec.loss() != Loss::CrossEntropy {
        return Err(Error::Parse(
            "lab precision: the manual engine scales the loss through a cross-entropy target"
                .into(),
        ));
    }
    let model = Model::<T>::new(spec, net.params());
    let conv = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>();
    let mut cache = model.forward(conv(&batch.x.data), conv(&batch.y.data));
    let loss = cache.loss.to_f64();
    for v in cache.y.iter_mut() {
        *v = T::from_f64(v.to_f64() * scale); // CE(z, S·y) = S·CE(z, y)
    }
    let g = model.backward(&cache);
    let unscale = |v: &[T]| -> Vec<f64> {
        v.iter()
            .map(|x| (x.to_f64() as f32 / scale as f32) as f64)
            .collect()
    };
    let mut entries = Vec::with_capacity(2 * spec.n_layers());
    for l in 0..spec.n_layers() {
        let (w, b) = (net.params().weight(l), net.params().bias(l));
        entries.push((
            bplab_core::spec::weight_name(l),
            bplab_core::Tensor::new(w.shape.clone(), unscale(&g.dw[l]))?,
        ));
        entries.push((
            bplab_core::spec::bias_name(l),
            bplab_core::Tensor::new(b.shape.clone(), unscale(&g.db[l]))?,
        ));
    }
    Ok((loss, ParamSet::from_entries(entries)))
}

/// The loss and unscaled gradients of `engine` in `half` with loss scale `scale`.
pub fn half_grads(
    engine: HalfEngine,
    half: HalfType,
    net: &Network,
    batch: &Batch,
    scale: f64,
) -> Result<(f64, ParamSet)> {
    match engine {
        HalfEngine::Manual => match half {
            HalfType::F16 => manual_half::<bplab_manual::real::half_real::f16>(net, batch, scale),
            HalfType::Bf16 => manual_half::<bplab_manual::real::half_real::bf16>(net, batch, scale),
        },
        HalfEngine::Candle => candle_half(half, net, batch, scale),
    }
}

#[cfg(feature = "candle")]
fn candle_half(
    half: HalfType,
    net: &Network,
    batch: &Batch,
    scale: f64,
) -> Result<(f64, ParamSet)> {
    use bplab_candle::low_precision::{grads, Half};
    let h = match half {
        HalfType::F16 => Half::F16,
        HalfType::Bf16 => Half::Bf16,
    };
    let g = bplab_harness::engines::guard("candle", || {
        grads(net.spec(), net.params(), batch, h, scale as f32)
    })?;
    Ok((g.loss, g.grads))
}

#[cfg(not(feature = "candle"))]
fn candle_half(_: HalfType, _: &Network, _: &Batch, _: f64) -> Result<(f64, ParamSet)> {
    Err(Error::Parse(
        "lab precision: the candle engine is not built in".into(),
    ))
}
