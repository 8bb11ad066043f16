//! The buffers of one pass, sized once per batch size and reused between steps: the forward
//! [`Cache`] (every `z`, `a`, `h` and the loss, kept for backward) and the [`Backward`] result
//! (every `∂L/∂W`, `∂L/∂b`, `δ`, and `∂L/∂x`, plus the scratch rows backward works in).

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
    /// `a[l] = σ_l(z[l])`, `(B, n_out_l)`.
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
    /// `δ_l = ∂L/∂z_l`, `(B, n_out_l)`.
    pub delta: Vec<Vec<T>>,
    /// `∂L/∂x`, `(B, n_in)` (left untouched when `backward_into` is told not to compute it).
    pub dx: Vec<T>,
    /// Scratch: `∂L/∂h_l` of the layer being processed and of the one below it,
    /// `(B, max width)` each.
    pub(crate) dh: [Vec<T>; 2],
}

impl<T: Real> Cache<T> {
    /// Zeroed buffers for a batch of `batch` examples of `spec`.
    pub fn new(spec: &NetSpec, batch: usize) -> Self {
        let per_layer = || -> Vec<Vec<T>> {
            (0..spec.n_layers())
                .map(|l| vec![T::ZERO; batch * spec.layer_dims(l).1])
                .collect()
        };
        Cache {
            batch,
            x: vec![T::ZERO; batch * spec.n_in()],
            y: vec![T::ZERO; batch * spec.n_out()],
            z: per_layer(),
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
        Backward {
            dw: (0..n).map(|l| param_shaped(l, true)).collect(),
            db: (0..n).map(|l| param_shaped(l, false)).collect(),
            delta: (0..n)
                .map(|l| vec![T::ZERO; batch * spec.layer_dims(l).1])
                .collect(),
            dx: vec![T::ZERO; batch * spec.n_in()],
            dh: [vec![T::ZERO; batch * widest], vec![T::ZERO; batch * widest]],
        }
    }
}
