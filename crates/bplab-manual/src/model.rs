//! [`Model`]: the whole network by hand. [`Model::forward`] caches every pre-activation `z`,
//! activation `a = σ(z)` and layer output `h` in a [`Cache`]; [`Model::backward`] is the
//! literal reverse of forward, starting from the explicit seed gradient of the loss and
//! returning every parameter gradient, every layer's `δ = ∂L/∂z` and `∂L/∂x`.

use crate::activation::activation_forward;
use crate::fault::{Fault, Kernels};
use crate::linear::linear_forward;
use crate::loss::{cross_entropy_forward, mse_backward, mse_forward};
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
    /// `∂L/∂x`, `(B, n_in)`.
    pub dx: Vec<T>,
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

    /// Forward pass over a batch: `x` `(B, n_in)`, `y` `(B, n_out)`.
    pub fn forward(&self, x: Vec<T>, y: Vec<T>) -> Cache<T> {
        let spec = &self.spec;
        let batch = x.len() / spec.n_in();
        let (mut z, mut a, mut h) = (Vec::new(), Vec::new(), Vec::<Vec<T>>::new());
        for l in 0..spec.n_layers() {
            let (n_in, n_out) = spec.layer_dims(l);
            let act = spec.activations()[l];
            let h_prev = if l == 0 { &x } else { &h[l - 1] };
            let mut z_l = vec![T::ZERO; batch * n_out]; // (B, n_out)
            linear_forward(&mut z_l, h_prev, &self.w[l], &self.b[l], n_in, n_out);
            let mut a_l = vec![T::ZERO; batch * n_out]; // (B, n_out)
            activation_forward(act, &z_l, &mut a_l, n_out);
            let h_l = if spec.is_residual(l) {
                h_prev.iter().zip(&a_l).map(|(&p, &v)| p + v).collect() // h_prev + σ(z)
            } else {
                a_l.clone()
            };
            z.push(z_l);
            a.push(a_l);
            h.push(h_l);
        }
        let n_out = spec.n_out();
        let loss = match spec.loss() {
            Loss::CrossEntropy => cross_entropy_forward(&z[z.len() - 1], &y, n_out),
            Loss::Mse => mse_forward(&h[h.len() - 1], &y, n_out),
        };
        Cache {
            batch,
            x,
            y,
            z,
            a,
            h,
            loss,
        }
    }

    /// Backward pass: the reverse of [`Model::forward`], from the seed `∂L/∂L = 1`.
    pub fn backward(&self, c: &Cache<T>) -> Backward<T> {
        let spec = &self.spec;
        let k = &self.kernels;
        let n_layers = spec.n_layers();
        let last = n_layers - 1;
        let n_out = spec.n_out();
        let mut delta: Vec<Vec<T>> = (0..n_layers).map(|l| vec![T::ZERO; c.z[l].len()]).collect();
        let mut dw: Vec<Vec<T>> = self.w.iter().map(|w| vec![T::ZERO; w.len()]).collect();
        let mut db: Vec<Vec<T>> = self.b.iter().map(|b| vec![T::ZERO; b.len()]).collect();

        // Seed: ∂L/∂L = 1. The loss's own backward gives ∂L/∂h_last (mse) or, fused with the
        // softmax, δ_last = ∂L/∂z_last directly (cross-entropy).
        let mut dh = vec![T::ZERO; c.batch * n_out]; // (B, n_out): ∂L/∂h_last
        match spec.loss() {
            Loss::CrossEntropy => {
                (k.cross_entropy_backward)(&mut delta[last], &c.h[last], &c.y, n_out)
            }
            Loss::Mse => mse_backward(&mut dh, &c.h[last], &c.y, n_out),
        }

        for l in (0..n_layers).rev() {
            let (n_in, n_out) = spec.layer_dims(l);
            let act = spec.activations()[l];
            // δ_l = ∂L/∂h_l ⊙ σ'(z_l) (already set for a fused softmax + cross-entropy output).
            if !(l == last && spec.loss() == Loss::CrossEntropy) {
                (k.activation_backward)(
                    act,
                    &mut delta[l],
                    &dh,
                    &c.z[l],
                    &c.a[l],
                    n_out,
                    self.at_zero,
                );
            }
            // ∂L/∂h_{l−1} = δ_l W_l, ∂L/∂W_l = δ_lᵀ h_{l−1}, ∂L/∂b_l = Σ_b δ_l.
            let h_prev = if l == 0 { &c.x } else { &c.h[l - 1] };
            let mut dh_prev = vec![T::ZERO; c.batch * n_in]; // (B, n_in)
            (k.linear_backward)(
                &mut dh_prev,
                &mut dw[l],
                &mut db[l],
                &delta[l],
                h_prev,
                &self.w[l],
                n_in,
                n_out,
            );
            // A residual layer's skip path carries ∂L/∂h_l straight through to h_{l−1}.
            if spec.is_residual(l) {
                for (p, &g) in dh_prev.iter_mut().zip(&dh) {
                    *p += g;
                }
            }
            dh = dh_prev;
        }
        Backward {
            dw,
            db,
            delta,
            dx: dh,
        }
    }
}
