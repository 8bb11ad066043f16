//! [`NormView`]: what a normalized hidden layer computed, derived from the traced `z` and the
//! parameter gradients: the statistics `μ` and `σ²` (per example for LayerNorm, per unit for
//! BatchNorm, biased, as the forward pass used them), `n̂ = (z − μ)/√(σ² + ε)` per unit and
//! example, and `∂L/∂γ`, `∂L/∂β`. The views show it; nothing here is an engine's computation.

use bplab_core::norm::{beta_name, gamma_name, NORM_EPS};
use bplab_core::{NetSpec, Norm, Tensor};

use super::EngineTrace;

/// One normalized layer's values.
#[derive(Debug, Clone, PartialEq)]
pub struct NormView {
    pub kind: Norm,
    /// `μ`: `(B)` for LayerNorm, `(n)` for BatchNorm.
    pub mean: Tensor,
    /// `σ²` (biased), shaped as `mean`.
    pub var: Tensor,
    /// `n̂`, `(B, n)`.
    pub n_hat: Tensor,
    /// `∂L/∂γ`, `∂L/∂β`, `(n)` each.
    pub grad_gamma: Tensor,
    pub grad_beta: Tensor,
}

/// The view of layer `l` of `e` (`None` when the layer has no norm).
pub fn norm_view(spec: &NetSpec, e: &EngineTrace, l: usize) -> Option<NormView> {
    if !spec.is_normalized(l) {
        return None;
    }
    let z = &e.forward.z[l];
    let (b, n) = (z.shape[0], z.shape[1]);
    let at = |r: usize, c: usize| z.data[r * n + c];
    // Statistics run over the batch for each unit (BatchNorm) or over the units of each
    // example (LayerNorm): `idx(g, k)` is element `k` of group `g`.
    let by_unit = spec.norm() == Norm::Batch;
    let (groups, len) = if by_unit { (n, b) } else { (b, n) };
    let idx = |g: usize, k: usize| if by_unit { at(k, g) } else { at(g, k) };
    let mean: Vec<f64> = (0..groups)
        .map(|g| (0..len).map(|k| idx(g, k)).sum::<f64>() / len as f64)
        .collect();
    let var: Vec<f64> = (0..groups)
        .map(|g| (0..len).map(|k| (idx(g, k) - mean[g]).powi(2)).sum::<f64>() / len as f64)
        .collect();
    let n_hat: Vec<f64> = (0..b * n)
        .map(|i| {
            let (r, c) = (i / n, i % n);
            let g = if spec.norm() == Norm::Batch { c } else { r };
            (at(r, c) - mean[g]) / (var[g] + NORM_EPS).sqrt()
        })
        .collect();
    let grad = |name: String| e.grads.params.get(&name).cloned();
    Some(NormView {
        kind: spec.norm(),
        mean: Tensor::new(vec![groups], mean).ok()?,
        var: Tensor::new(vec![groups], var).ok()?,
        n_hat: Tensor::new(vec![b, n], n_hat).ok()?,
        grad_gamma: grad(gamma_name(l))?,
        grad_beta: grad(beta_name(l))?,
    })
}
