//! [`Model`]: the whole network by hand. [`Model::forward`] caches every pre-activation `z`,
//! activation `a = σ(z)` and layer output `h` in a [`Cache`]; [`Model::backward`] is the
//! literal reverse of forward, starting from the explicit seed gradient of the loss and
//! returning every parameter gradient, every layer's `δ = ∂L/∂z` and `∂L/∂x`.
//!
//! The buffers ([`buffers`]) live in the [`Cache`] and [`Backward`] a caller keeps between
//! steps ([`Model::forward_into`], [`Model::backward_into`]): after the first step a training
//! loop allocates nothing. [`Model::forward`] and [`Model::backward`] are the same code with
//! fresh buffers.
//!
//! Around the model: [`dense`] is one layer of it as a framework's custom operation,
//! [`engine`] puts it behind [`bplab_core::Engine`], [`trainer`] runs it in a training loop.

pub mod buffers;
pub mod dense;
pub mod engine;
pub mod norm_params;
pub mod trainer;

pub use buffers::{Backward, Cache};
pub use norm_params::NormParams;

use crate::fault::{Fault, Planted};
use crate::layers::linear::linear_forward;
use crate::layers::loss::{cross_entropy_forward, mse_backward, mse_forward};
use crate::layers::norm::{
    batchnorm_backward, batchnorm_eval, batchnorm_forward, layernorm_backward,
};
use crate::layers::{BackwardKernels, Exact};
use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::{Loss, NetSpec, Norm, ParamSet};

/// The network's parameters in `T`, PyTorch layout, and the backward kernels `K` it runs:
/// the lesson's own ([`Exact`], the default) unless a negative control planted a fault
/// ([`Model::with_fault`]).
pub struct Model<T: Real, K = Exact> {
    spec: NetSpec,
    /// `w[l]`: `(n_out, n_in)` row-major.
    w: Vec<Vec<T>>,
    /// `b[l]`: `(n_out)`.
    b: Vec<Vec<T>>,
    /// The backward kernels (zero-sized for [`Exact`]).
    kernels: K,
    /// ReLU's and leaky-ReLU's derivative at exactly 0.
    at_zero: KinkGrads,
    /// The norms' `γ`, `β` and running statistics (empty without a norm).
    norms: NormParams<T>,
    /// Evaluation mode: BatchNorm normalizes with its running statistics (forward only).
    eval: bool,
}

impl<T: Real> Model<T> {
    /// Converts a validated parameter set (rounding to `T`).
    pub fn new(spec: &NetSpec, params: &ParamSet) -> Self {
        Model::with_kernels(spec, params, Exact)
    }
}

impl<T: Real> Model<T, Planted> {
    /// A model whose backward pass has `fault` planted (negative controls only).
    pub fn with_fault(spec: &NetSpec, params: &ParamSet, fault: Fault) -> Self {
        Model::with_kernels(spec, params, Planted(fault))
    }
}

impl<T: Real, K: BackwardKernels> Model<T, K> {
    /// Converts a validated parameter set (rounding to `T`); backward runs `kernels`.
    pub fn with_kernels(spec: &NetSpec, params: &ParamSet, kernels: K) -> Self {
        let conv = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>();
        Model {
            spec: spec.clone(),
            w: (0..spec.n_layers())
                .map(|l| conv(&params.weight(l).data))
                .collect(),
            b: (0..spec.n_layers())
                .map(|l| conv(&params.bias(l).data))
                .collect(),
            kernels,
            at_zero: KinkGrads::PYTORCH,
            norms: NormParams::new(spec, params),
            eval: false,
        }
    }

    /// The norms' `γ`, `β` and BatchNorm's running statistics.
    pub fn norms(&self) -> &NormParams<T> {
        &self.norms
    }

    /// The same, for an optimizer to update in place.
    pub fn norms_mut(&mut self) -> &mut NormParams<T> {
        &mut self.norms
    }

    /// Switches BatchNorm between training mode (batch statistics, the default) and
    /// evaluation mode (running statistics; forward only). LayerNorm has one mode.
    pub fn set_eval(&mut self, eval: bool) {
        self.eval = eval;
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
            let k = self.kernels.for_layer(spec, l); // this layer's kernels (see `Exact`)

            // 1. z_l = h_{l−1} W_lᵀ + b_l.
            linear_forward(z_l, h_prev, &self.w[l], &self.b[l], n_in, n_out);
            // 2. n_l = γ ⊙ norm(z_l) + β on a normalized layer; a_l = σ_l(n_l) (or σ_l(z_l)).
            let act_in: &[T] = if spec.is_normalized(l) {
                let (n_l, mean, rstd) = (&mut c.n[l], &mut c.mean[l], &mut c.rstd[l]);
                let (g, b) = (&self.norms.gamma[l], &self.norms.beta[l]);
                match (spec.norm(), self.eval) {
                    (Norm::Layer, _) => k.layernorm_forward(n_l, mean, rstd, z_l, g, b, n_out),
                    (Norm::Batch, false) => {
                        batchnorm_forward(n_l, mean, &mut c.var[l], rstd, z_l, g, b, n_out)
                    }
                    (Norm::Batch, true) => {
                        let (rm, rv) = (&self.norms.running_mean[l], &self.norms.running_var[l]);
                        batchnorm_eval(n_l, z_l, rm, rv, g, b, n_out)
                    }
                    (Norm::None, _) => unreachable!("a normalized layer has a norm"),
                }
                n_l
            } else {
                z_l
            };
            k.activation_forward(act, act_in, a_l, n_out);
            // 3. h_l = a_l, or h_{l−1} + a_l for a residual layer.
            if spec.is_residual(l) {
                for ((h, &p), &v) in h_l.iter_mut().zip(h_prev).zip(a_l.iter()) {
                    *h = p + v; // h_prev + σ(z)
                }
            } else {
                h_l.copy_from_slice(a_l);
            }
        }
        // 4. L = loss(ŷ, y), ŷ = h_last (cross-entropy reads z_last and applies softmax itself).
        let (n_out, last) = (spec.n_out(), spec.n_layers() - 1);
        c.loss = match spec.loss() {
            Loss::CrossEntropy => cross_entropy_forward(&c.z[last], &c.y, n_out),
            Loss::Mse => mse_forward(&c.h[last], &c.y, n_out),
        };
    }

    /// Backward pass: the reverse of [`Model::forward_into`], step by step, from the seed
    /// `∂L/∂L = 1`, into `g`'s buffers. `∂L/∂x` is computed only when `input_grad` is true.
    pub fn backward_into(&self, c: &Cache<T>, g: &mut Backward<T>, input_grad: bool) {
        let spec = &self.spec;
        let k = &self.kernels; // the layers' backward kernels (see `Exact`)
        let (batch, n_layers, n_out) = (c.batch, spec.n_layers(), spec.n_out());
        let last = n_layers - 1;
        let fused = spec.loss() == Loss::CrossEntropy; // softmax + cross-entropy, one step
        let [dh, dh_below] = &mut g.dh; // ∂L/∂h_l and ∂L/∂h_{l−1}, (B, widest) each

        // 4. Seed ∂L/∂L = 1: the loss's backward gives ∂L/∂ŷ (mse), or, fused with the output
        //    softmax, δ_last = ∂L/∂z_last directly (cross-entropy); (B, n_out) either way.
        match spec.loss() {
            Loss::CrossEntropy => {
                k.cross_entropy_backward(&mut g.delta[last], &c.h[last], &c.y, n_out)
            }
            Loss::Mse => mse_backward(&mut dh[..batch * n_out], &c.h[last], &c.y, n_out),
        }

        for l in (0..n_layers).rev() {
            let (n_in, n_out) = spec.layer_dims(l);
            let act = spec.activations()[l];
            let h_prev = if l == 0 { &c.x } else { &c.h[l - 1] }; // (B, n_in)
            let k = k.for_layer(spec, l);

            // 3. h_l = a_l (+ h_{l−1}): ∂L/∂a_l = ∂L/∂h_l, (B, n_out); the skip path comes last.
            let dh_l = &dh[..batch * n_out];

            // 2. δ_l = ∂L/∂a_l ⊙ σ'(z_l), (B, n_out) (set by the fused seed on the output layer).
            //    On a normalized layer σ' is read at n_l, giving ∂L/∂n_l, and the norm's
            //    backward turns that into δ_l, ∂L/∂γ_l and ∂L/∂β_l.
            if spec.is_normalized(l) {
                let dn = &mut g.dn[..batch * n_out]; // ∂L/∂n_l, (B, n_out)
                k.activation_backward(act, dn, dh_l, &c.n[l], &c.a[l], n_out, self.at_zero);
                let (d, dg, db) = (&mut g.delta[l], &mut g.dgamma[l], &mut g.dbeta[l]);
                let (z, mean, rstd, gamma) =
                    (&c.z[l], &c.mean[l], &c.rstd[l], &self.norms.gamma[l]);
                match spec.norm() {
                    Norm::Layer => layernorm_backward(d, dg, db, dn, z, mean, rstd, gamma, n_out),
                    _ => batchnorm_backward(d, dg, db, dn, z, mean, rstd, gamma, n_out),
                }
            } else if !(l == last && fused) {
                let delta_l = &mut g.delta[l];
                k.activation_backward(act, delta_l, dh_l, &c.z[l], &c.a[l], n_out, self.at_zero);
            }

            // 1. ∂L/∂h_{l−1} = δ_l W_l, ∂L/∂W_l = δ_lᵀ h_{l−1}, ∂L/∂b_l = Σ_b δ_l.
            let mut dh_prev: Option<&mut [T]> = match l {
                0 if !input_grad => None,
                0 => Some(&mut g.dx[..]), // ∂L/∂x, (B, n_in)
                _ => Some(&mut dh_below[..batch * n_in]), // (B, n_in)
            };
            k.linear_backward(
                dh_prev.as_deref_mut(),
                &mut g.dw[l], // (n_out, n_in)
                &mut g.db[l], // (n_out)
                &g.delta[l],  // (B, n_out)
                h_prev,
                &self.w[l],
                n_in,
                n_out,
            );

            // 3. (skip path) a residual layer also carries ∂L/∂h_l straight to h_{l−1}.
            if let (true, Some(p)) = (spec.is_residual(l), dh_prev) {
                for (p, &v) in p.iter_mut().zip(dh_l) {
                    *p += v;
                }
            }
            std::mem::swap(dh, dh_below);
        }
    }
}
