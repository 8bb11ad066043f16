//! What the experiments measure: per-layer gradient norms and classification accuracy.
//! How engines are compared is `bplab_harness::agreement`.

use bplab_core::{Batch, DType, Engine, Gradients, NetSpec, ParamSet, Result};

/// `‖∂L/∂W_l‖` (Frobenius) for every layer `l`, in order.
pub fn weight_norms(g: &Gradients, spec: &NetSpec) -> Vec<f64> {
    (0..spec.n_layers())
        .map(|l| g.params.weight(l).norm())
        .collect()
}

/// `‖δ_l‖ = ‖∂L/∂z_l‖` over the batch for every layer, where the engine exposes `δ`.
pub fn delta_norms(g: &Gradients) -> Option<Vec<f64>> {
    g.deltas
        .as_ref()
        .map(|ds| ds.iter().map(|d| d.norm()).collect())
}

/// The fraction of rows whose largest output is the target's largest entry; NaN when the
/// parameters are not all finite (a diverged run has no predictions).
pub fn accuracy(
    engine: &dyn Engine,
    spec: &NetSpec,
    params: &ParamSet,
    batch: &Batch,
    dtype: DType,
) -> Result<f64> {
    if params
        .iter()
        .any(|(_, t)| t.data.iter().any(|v| !v.is_finite()))
    {
        return Ok(f64::NAN);
    }
    let net = bplab_core::Network::new(spec.clone(), params.clone())?;
    let trace = engine.forward(&net, batch, dtype)?;
    let y_hat = trace.h.last().expect("a network has layers");
    let k = spec.n_out();
    let argmax = |row: &[f64]| {
        (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap_or(0)
    };
    let hits = (0..batch.len())
        .filter(|&i| {
            argmax(&y_hat.data[i * k..(i + 1) * k]) == argmax(&batch.y.data[i * k..(i + 1) * k])
        })
        .count();
    Ok(hits as f64 / batch.len() as f64)
}
