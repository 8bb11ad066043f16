//! [`Model`]: the whole network by hand. [`Model::forward`] caches every pre-activation `z`,
//! activation `a = σ(z)` and layer output `h` in a [`Cache`]; [`Model::backward`] is the
//! literal reverse of forward, starting from the explicit seed gradient of the loss and
//! returning every parameter gradient, every layer's `δ = ∂L/∂z` and `∂L/∂x`.
//!
//! The buffers live in the [`Cache`] and [`Backward`] a caller keeps between steps
//! ([`Model::forward_into`], [`Model::backward_into`]): after the first step a training loop
//! allocates nothing. [`Model::forward`] and [`Model::backward`] are the same code with fresh
//! buffers.

pub mod dense;
pub mod engine;
pub mod trainer;

use crate::layers::activation::activation_forward;

use crate::fault::{Fault, Kernels};
use crate::layers::linear::linear_forward;
use crate::layers::loss::{cross_entropy_forward, mse_backward, mse_forward};
use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::{Loss, NetSpec, ParamSet};

/// The network's parameters in `T`, PyTorch layout.
pub struct Model<T: Real> {
    spec: NetSpec,
    /// `w[l]`: `(n_out, n_in)` row-major.
    w: Vec<Vec<T>>,
    /// `b[l]`: `(n_out)`.
    b: Vec<Vec<T>>,
    kernels: Kernels<T>,
    /// ReLU's and leaky-ReLU's derivative at exactly 0.
    at_zero: KinkGrads,
}

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
    dh: [Vec<T>; 2],
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

impl<T: Real> Model<T> {
    /// Converts a validated parameter set (rounding to `T`).
    pub fn new(spec: &NetSpec, params: &ParamSet) -> Self {
        Self::with_fault(spec, params, Fault::None)
    }

    /// A model whose backward pass has `fault` planted (negative controls only).
    pub fn with_fault(spec: &NetSpec, params: &ParamSet, fault: Fault) -> Self {
        let conv = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>();
        Model {
            spec: spec.clone(),
            w: (0..spec.n_layers())
                .map(|l| conv(&params.weight(l).data))
                .collect(),
            b: (0..spec.n_layers())
                .map(|l| conv(&params.bias(l).data))
                .collect(),
            kernels: Kernels::with(fault),
            at_zero: KinkGrads::PYTORCH,
        }
    }

    /// The same model with another convention for the kinks' derivative at exactly 0.
    pub fn with_kink_grads(mut self, at_zero: KinkGrads) -> Self {
        self.at_zero = at_zero;
        self
    }

    /// The description.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// `W_l`, `(n_out, n_in)` row-major, and `b_l`, `(n_out)`, for every layer.
    pub fn params(&self) -> (&[Vec<T>], &[Vec<T>]) {
        (&self.w, &self.b)
    }

    /// The same, for an optimizer to update in place.
    pub fn params_mut(&mut self) -> (&mut [Vec<T>], &mut [Vec<T>]) {
        (&mut self.w, &mut self.b)
    }

    /// Forward pass over a batch: `x` `(B, n_in)`, `y` `(B, n_out)`, into fresh buffers.
    pub fn forward(&self, x: Vec<T>, y: Vec<T>) -> Cache<T> {
        let mut c = Cache::new(&self.spec, x.len() / self.spec.n_in());
        c.x = x;
        c.y = y;
        self.forward_into(&mut c);
        c
    }

    /// Backward pass (with `∂L/∂x`) into fresh buffers.
    pub fn backward(&self, c: &Cache<T>) -> Backward<T> {
        let mut g = Backward::new(&self.spec, c.batch);
        self.backward_into(c, &mut g, true);
        g
    }

    /// Forward pass over the batch held in `c` (`c.x`, `c.y`), writing every `z`, `a`, `h`
    /// and the loss into `c`'s buffers.
    pub fn forward_into(&self, c: &mut Cache<T>) {
        let spec = &self.spec;
        for l in 0..spec.n_layers() {
            let (n_in, n_out) = spec.layer_dims(l);
            let act = spec.activations()[l];
            let (below, this) = c.h.split_at_mut(l);
            let h_prev: &[T] = if l == 0 { &c.x } else { &below[l - 1] }; // (B, n_in)
            let (z_l, a_l, h_l) = (&mut c.z[l], &mut c.a[l], &mut this[0]); // (B, n_out) each
            linear_forward(z_l, h_prev, &self.w[l], &self.b[l], n_in, n_out);
            activation_forward(act, z_l, a_l, n_out);
            if spec.is_residual(l) {
                for ((h, &p), &v) in h_l.iter_mut().zip(h_prev).zip(a_l.iter()) {
                    *h = p + v; // h_prev + σ(z)
                }
            } else {
                h_l.copy_from_slice(a_l);
            }
        }
        let (n_out, last) = (spec.n_out(), spec.n_layers() - 1);
        c.loss = match spec.loss() {
            Loss::CrossEntropy => cross_entropy_forward(&c.z[last], &c.y, n_out),
            Loss::Mse => mse_forward(&c.h[last], &c.y, n_out),
        };
    }

    /// Backward pass: the reverse of [`Model::forward_into`], from the seed `∂L/∂L = 1`, into
    /// `g`'s buffers. `∂L/∂x` is computed only when `input_grad` is true.
    pub fn backward_into(&self, c: &Cache<T>, g: &mut Backward<T>, input_grad: bool) {
        let spec = &self.spec;
        let k = &self.kernels;
        let n_layers = spec.n_layers();
        let last = n_layers - 1;
        let n_out = spec.n_out();
        let [dh, dh_below] = &mut g.dh;

        // Seed: ∂L/∂L = 1. The loss's own backward gives ∂L/∂h_last (mse) or, fused with the
        // softmax, δ_last = ∂L/∂z_last directly (cross-entropy).
        match spec.loss() {
            Loss::CrossEntropy => {
                (k.cross_entropy_backward)(&mut g.delta[last], &c.h[last], &c.y, n_out)
            }
            Loss::Mse => mse_backward(&mut dh[..c.batch * n_out], &c.h[last], &c.y, n_out),
        }

        for l in (0..n_layers).rev() {
            let (n_in, n_out) = spec.layer_dims(l);
            let act = spec.activations()[l];
            let dh_l = &dh[..c.batch * n_out]; // (B, n_out): ∂L/∂h_l
                                               // δ_l = ∂L/∂h_l ⊙ σ'(z_l) (already set for a fused softmax + cross-entropy output).
            if !(l == last && spec.loss() == Loss::CrossEntropy) {
                (k.activation_backward)(
                    act,
                    &mut g.delta[l],
                    dh_l,
                    &c.z[l],
                    &c.a[l],
                    n_out,
                    self.at_zero,
                );
            }
            // ∂L/∂h_{l−1} = δ_l W_l, ∂L/∂W_l = δ_lᵀ h_{l−1}, ∂L/∂b_l = Σ_b δ_l.
            let h_prev = if l == 0 { &c.x } else { &c.h[l - 1] };
            let dh_prev: Option<&mut [T]> = match l {
                0 if !input_grad => None,
                0 => Some(&mut g.dx[..]),
                _ => Some(&mut dh_below[..c.batch * n_in]), // (B, n_in)
            };
            let residual = spec.is_residual(l);
            let mut dh_prev = dh_prev;
            (k.linear_backward)(
                dh_prev.as_deref_mut(),
                &mut g.dw[l],
                &mut g.db[l],
                &g.delta[l],
                h_prev,
                &self.w[l],
                n_in,
                n_out,
            );
            // A residual layer's skip path carries ∂L/∂h_l straight through to h_{l−1}.
            if let (true, Some(p)) = (residual, dh_prev) {
                for (p, &v) in p.iter_mut().zip(dh_l) {
                    *p += v;
                }
            }
            std::mem::swap(dh, dh_below);
        }
    }
}
