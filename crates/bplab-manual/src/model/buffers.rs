//! The buffers of one pass, sized once per batch size and reused between steps: the forward
//! [`Cache`] (every `z`, the norms' `n` and statistics, `a`, `h` and the loss, kept for
//! backward) and the [`Backward`] result
//! (every `∂L/∂W`, `∂L/∂b`, `δ`, and `∂L/∂x`, plus the scratch rows backward works in).

use crate::layers::norm::stats_len;
use crate::real::Real;
use bplab_core::NetSpec;

/// Everything forward computed, kept for backward.
#[derive(Debug, Clone)]
pub struct Cache<T> {
    /// Batch size `B`.
    pub batch: usize,
    /// Input `x`, `(B, n_in)`.
    pub x: Vec<T>,
    /// Target `y`, `(B, n_out)`.
    pub y: Vec<T>,
    /// `z[l] = h[l−1] W_lᵀ + b_l`, `(B, n_out_l)`.
    pub z: Vec<Vec<T>>,
    /// `n[l] = γ ⊙ norm(z[l]) + β` for a normalized layer, `(B, n_out_l)`; empty otherwise.
    pub n: Vec<Vec<T>>,
    /// The norm's cached mean per layer: `(B)` for LayerNorm, `(n_out_l)` for BatchNorm.
    pub mean: Vec<Vec<T>>,
    /// The norm's biased variance per layer (same shapes as `mean`).
    pub var: Vec<Vec<T>>,
    /// The norm's `rstd = 1/√(σ² + ε)` per layer (same shapes as `mean`).
    pub rstd: Vec<Vec<T>>,
    /// `a[l] = σ_l(n[l])` (or `σ_l(z[l])` without a norm), `(B, n_out_l)`.
    pub a: Vec<Vec<T>>,
    /// `h[l] = a[l]` (or `h[l−1] + a[l]` for a residual layer), `(B, n_out_l)`; last = `ŷ`.
    pub h: Vec<Vec<T>>,
    /// The batch-mean loss.
    pub loss: T,
}

/// Everything backward computed.
#[derive(Debug, Clone)]
pub struct Backward<T> {
    /// `∂L/∂W_l`, `(n_out, n_in)`.
    pub dw: Vec<Vec<T>>,
    /// `∂L/∂b_l`, `(n_out)`.
    pub db: Vec<Vec<T>>,
    /// `∂L/∂γ_l`, `∂L/∂β_l` of a normalized layer, `(n_out)` each; empty otherwise.
    pub dgamma: Vec<Vec<T>>,
    /// See `dgamma`.
    pub dbeta: Vec<Vec<T>>,
    /// `δ_l = ∂L/∂z_l`, `(B, n_out_l)`.
    pub delta: Vec<Vec<T>>,
    /// `∂L/∂x`, `(B, n_in)` (left untouched when `backward_into` is told not to compute it).
    pub dx: Vec<T>,
    /// Scratch: `∂L/∂h_l` of the layer being processed and of the one below it,
    /// `(B, max width)` each.
    pub(crate) dh: [Vec<T>; 2],
    /// Scratch: `∂L/∂n_l` of a normalized layer, `(B, max width)`.
    pub(crate) dn: Vec<T>,
}

impl<T: Real> Cache<T> {
    /// Zeroed buffers for a batch of `batch` examples of `spec`.
    pub fn new(spec: &NetSpec, batch: usize) -> Self {
        let per_layer = || -> Vec<Vec<T>> {
            (0..spec.n_layers())
                .map(|l| vec![T::ZERO; batch * spec.layer_dims(l).1])
                .collect()
        };
        let normed = |len: &dyn Fn(usize) -> usize| -> Vec<Vec<T>> {
            (0..spec.n_layers())
                .map(|l| match spec.is_normalized(l) {
                    true => vec![T::ZERO; len(l)],
                    false => Vec::new(),
                })
                .collect()
        };
        let stats = |l: usize| stats_len(spec.norm(), batch, spec.layer_dims(l).1);
        Cache {
            batch,
            x: vec![T::ZERO; batch * spec.n_in()],
            y: vec![T::ZERO; batch * spec.n_out()],
            z: per_layer(),
            n: normed(&|l| batch * spec.layer_dims(l).1),
            mean: normed(&stats),
            var: normed(&stats),
            rstd: normed(&stats),
            a: per_layer(),
            h: per_layer(),
            loss: T::ZERO,
        }
    }

    /// Copies a batch in (`x` `(B, n_in)`, `y` `(B, n_out)`; `B` as in [`Cache::new`]).
    pub fn set_batch(&mut self, x: &[T], y: &[T]) {
        self.x.copy_from_slice(x);
        self.y.copy_from_slice(y);
    }
}

impl<T: Real> Backward<T> {
    /// Zeroed gradient buffers for a batch of `batch` examples of `spec`.
    pub fn new(spec: &NetSpec, batch: usize) -> Self {
        let widest = (0..spec.n_layers())
            .map(|l| spec.layer_dims(l).0.max(spec.layer_dims(l).1))
            .max()
            .unwrap_or(0);
        let param_shaped = |l: usize, weight: bool| {
            let (n_in, n_out) = spec.layer_dims(l);
            vec![T::ZERO; if weight { n_in * n_out } else { n_out }]
        };
        let n = spec.n_layers();
        let norm_shaped = |l: usize| match spec.is_normalized(l) {
            true => vec![T::ZERO; spec.layer_dims(l).1],
            false => Vec::new(),
        };
        Backward {
            dw: (0..n).map(|l| param_shaped(l, true)).collect(),
            db: (0..n).map(|l| param_shaped(l, false)).collect(),
            dgamma: (0..n).map(norm_shaped).collect(),
            dbeta: (0..n).map(norm_shaped).collect(),
            delta: (0..n)
                .map(|l| vec![T::ZERO; batch * spec.layer_dims(l).1])
                .collect(),
            dx: vec![T::ZERO; batch * spec.n_in()],
            dh: [vec![T::ZERO; batch * widest], vec![T::ZERO; batch * widest]],
            dn: match spec.norm() {
                bplab_core::Norm::None => Vec::new(),
                _ => vec![T::ZERO; batch * widest],
            },
        }
    }
}
