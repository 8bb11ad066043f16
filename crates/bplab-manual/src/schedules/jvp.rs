//! Forward-mode differentiation: a Jacobian–vector product (JVP) carried through the same
//! layer code as [`crate::Model`]'s forward pass. Every value `u` travels with its tangent
//! `u̇ = ∂u/∂θ · v` for one direction `v` (in parameter space, input space, or both):
//!
//! - Linear: `z = h_prev Wᵀ + b` gives `ż = ḣ_prev Wᵀ + h_prev Ẇᵀ + ḃ` — two calls of the
//!   same kernel ([`linear_forward`] with `(Ẇ, ḃ)`, then [`matmul`] accumulating `ḣ_prev Wᵀ`);
//! - activation: `a = σ(z)` gives `ȧ = σ'(z) ⊙ ż` ([`derivative`]), and for softmax
//!   `ȧ_k = a_k (ż_k − Σ_j a_j ż_j)`;
//! - residual: `h = h_prev + a` gives `ḣ = ḣ_prev + ȧ`;
//! - loss: cross-entropy `L̇ = (1/B) Σ_b Σ_k ż_k (ŷ_k Σ_j y_j − y_k)`, mse
//!   `L̇ = (1/B) Σ_b Σ_k (ŷ_k − y_k) ḣ_k`.
//!
//! One JVP costs about two to three forward passes and yields one directional derivative
//! `∂L/∂θ · v`: the full gradient needs one JVP per parameter (`v` = a unit vector), which is
//! why reverse mode wins for a scalar loss. The opposite case — one input direction, many
//! outputs — is one JVP ([`Jvp::output_tangent`]) against one backward pass per output
//! ([`reverse_output_directional`]).
//!
//! The kinks' derivative at exactly 0 follows [`KinkGrads::PYTORCH`], the model's default.

use crate::kernels::matmul::matmul;
use crate::kernels::view::MatRef;
use crate::layers::activation::{activation_forward, derivative};
use crate::layers::linear::linear_forward;
use crate::layers::loss::{cross_entropy_forward, mse_forward};
use crate::model::{Backward, Cache, Model};
use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::{Activation, Error, Loss, NetSpec, Result};

/// Per-layer weight and bias values `(W_l (n_out, n_in), b_l (n_out))` for every layer: a
/// parameter tangent or a gradient.
pub type LayerParams<T> = (Vec<Vec<T>>, Vec<Vec<T>>);

/// A direction `v`: a tangent for the parameters (`Ẇ_l` `(n_out, n_in)`, `ḃ_l` `(n_out)`),
/// for the input (`ẋ` `(B, n_in)`), or both. `None` is a zero tangent that costs nothing.
#[derive(Debug, Clone)]
pub struct Direction<T> {
    pub params: Option<LayerParams<T>>,
    pub x: Option<Vec<T>>,
}

impl<T: Real> Direction<T> {
    /// A zero parameter tangent (to be set element by element), no input tangent.
    pub fn zero_params(spec: &NetSpec) -> Self {
        let n = spec.n_layers();
        let dims = |l| spec.layer_dims(l);
        Direction {
            params: Some((
                (0..n)
                    .map(|l| vec![T::ZERO; dims(l).0 * dims(l).1])
                    .collect(),
                (0..n).map(|l| vec![T::ZERO; dims(l).1]).collect(),
            )),
            x: None,
        }
    }

    /// An input tangent `ẋ` `(B, n_in)` only.
    pub fn input(x: Vec<T>) -> Self {
        Direction {
            params: None,
            x: Some(x),
        }
    }
}

/// Which parameter element a unit direction points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIndex {
    /// `W_layer[i]` (row-major flat index).
    Weight(usize, usize),
    /// `b_layer[i]`.
    Bias(usize, usize),
}

/// Every parameter element of `spec`, layer by layer, weights before biases.
pub fn param_indices(spec: &NetSpec) -> Vec<ParamIndex> {
    let mut out = Vec::with_capacity(spec.n_params());
    for l in 0..spec.n_layers() {
        let (n_in, n_out) = spec.layer_dims(l);
        out.extend((0..n_in * n_out).map(|i| ParamIndex::Weight(l, i)));
        out.extend((0..n_out).map(|i| ParamIndex::Bias(l, i)));
    }
    out
}

/// The buffers of one JVP: primal `z`, `a`, `h` and their tangents, `(B, n_out_l)` per layer.
#[derive(Debug, Clone)]
pub struct Jvp<T> {
    batch: usize,
    z: Vec<Vec<T>>,
    a: Vec<Vec<T>>,
    h: Vec<Vec<T>>,
    zt: Vec<Vec<T>>,
    at: Vec<Vec<T>>,
    ht: Vec<Vec<T>>,
}

impl<T: Real> Jvp<T> {
    /// Buffers for a batch of `batch` examples of `spec`.
    pub fn new(spec: &NetSpec, batch: usize) -> Self {
        let per_layer = || -> Vec<Vec<T>> {
            (0..spec.n_layers())
                .map(|l| vec![T::ZERO; batch * spec.layer_dims(l).1])
                .collect()
        };
        Jvp {
            batch,
            z: per_layer(),
            a: per_layer(),
            h: per_layer(),
            zt: per_layer(),
            at: per_layer(),
            ht: per_layer(),
        }
    }

    /// The network output's tangent `ẏ̂ = ∂ŷ/∂(θ, x) · v` `(B, n_out)` of the last [`Jvp::run`].
    pub fn output_tangent(&self) -> &[T] {
        self.ht.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// The network output `ŷ` `(B, n_out)` of the last [`Jvp::run`].
    pub fn output(&self) -> &[T] {
        self.h.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// One forward-mode pass over `x` `(B, n_in)`, `y` `(B, n_out)` along `v`: returns
    /// `(L, L̇ = ∂L/∂(θ, x) · v)` and leaves every tangent in the buffers.
    pub fn run(&mut self, model: &Model<T>, x: &[T], y: &[T], v: &Direction<T>) -> (T, T) {
        let spec = model.spec();
        let (w, b) = model.params();
        let batch = self.batch;
        for l in 0..spec.n_layers() {
            let (n_in, n_out) = spec.layer_dims(l);
            let act = spec.activations()[l];
            let (h_below, h_this) = self.h.split_at_mut(l);
            let (ht_below, ht_this) = self.ht.split_at_mut(l);
            let h_prev: &[T] = if l == 0 { x } else { &h_below[l - 1] }; // (B, n_in)
            let ht_prev: Option<&[T]> = if l == 0 {
                v.x.as_deref()
            } else {
                Some(&ht_below[l - 1])
            };
            let (z, a, h) = (&mut self.z[l], &mut self.a[l], &mut h_this[0]); // (B, n_out)
            let (zt, at, ht) = (&mut self.zt[l], &mut self.at[l], &mut ht_this[0]);
            // Primal: the model's own forward step.
            linear_forward(z, h_prev, &w[l], &b[l], n_in, n_out);
            activation_forward(act, z, a, n_out);
            // ż = h_prev Ẇᵀ + ḃ (+ ḣ_prev Wᵀ).
            match &v.params {
                Some((dw, db)) => linear_forward(zt, h_prev, &dw[l], &db[l], n_in, n_out),
                None => zt.fill(T::ZERO),
            }
            if let Some(ht_prev) = ht_prev {
                let w_t = MatRef::row_major(&w[l], n_out, n_in).t(); // (n_in, n_out)
                matmul(zt, MatRef::row_major(ht_prev, batch, n_in), w_t, true);
            }
            activation_tangent(act, at, zt, z, a, n_out);
            if spec.is_residual(l) {
                for ((h, &p), &av) in h.iter_mut().zip(h_prev).zip(a.iter()) {
                    *h = p + av; // h_prev + σ(z)
                }
                match ht_prev {
                    Some(tp) => {
                        for ((t, &tp), &atv) in ht.iter_mut().zip(tp).zip(at.iter()) {
                            *t = tp + atv; // ḣ_prev + ȧ
                        }
                    }
                    None => ht.copy_from_slice(at),
                }
            } else {
                h.copy_from_slice(a);
                ht.copy_from_slice(at);
            }
        }
        let (n_out, last) = (spec.n_out(), spec.n_layers() - 1);
        let inv_b = T::ONE / T::from_f64(batch as f64);
        match spec.loss() {
            Loss::CrossEntropy => {
                let loss = cross_entropy_forward(&self.z[last], y, n_out);
                let mut dot = T::ZERO;
                for ((zt_row, p_row), y_row) in self.zt[last]
                    .chunks_exact(n_out)
                    .zip(self.h[last].chunks_exact(n_out))
                    .zip(y.chunks_exact(n_out))
                {
                    let y_sum = y_row.iter().fold(T::ZERO, |s, &v| s + v);
                    for ((&t, &p), &yk) in zt_row.iter().zip(p_row).zip(y_row) {
                        dot += t * (p * y_sum - yk);
                    }
                }
                (loss, dot * inv_b)
            }
            Loss::Mse => {
                let loss = mse_forward(&self.h[last], y, n_out);
                let mut dot = T::ZERO;
                for ((&t, &p), &yk) in self.ht[last].iter().zip(&self.h[last]).zip(y) {
                    dot += (p - yk) * t;
                }
                (loss, dot * inv_b)
            }
        }
    }
}

/// `ȧ = σ'(z) ⊙ ż`, or softmax's Jacobian–vector product `ȧ_k = a_k (ż_k − Σ_j a_j ż_j)`.
/// Shapes: `at`, `zt`, `z`, `a` `(B, n)`.
fn activation_tangent<T: Real>(
    act: Activation,
    at: &mut [T],
    zt: &[T],
    z: &[T],
    a: &[T],
    n: usize,
) {
    if act == Activation::Softmax {
        for ((at_row, zt_row), a_row) in at
            .chunks_exact_mut(n)
            .zip(zt.chunks_exact(n))
            .zip(a.chunks_exact(n))
        {
            let dot = zt_row
                .iter()
                .zip(a_row)
                .fold(T::ZERO, |s, (&t, &p)| s + t * p);
            for ((o, &t), &p) in at_row.iter_mut().zip(zt_row).zip(a_row) {
                *o = p * (t - dot);
            }
        }
        return;
    }
    for (((o, &t), &z), &a) in at.iter_mut().zip(zt).zip(z).zip(a) {
        *o = t * derivative(act, z, a, KinkGrads::PYTORCH);
    }
}

/// The full gradient by forward mode: one JVP per parameter element, `v` the unit vector of
/// that element. Returns `(∂L/∂W_l, ∂L/∂b_l)` in the model's layout.
pub fn forward_mode_gradient<T: Real>(model: &Model<T>, x: &[T], y: &[T]) -> LayerParams<T> {
    let spec = model.spec();
    let mut jvp = Jvp::new(spec, x.len() / spec.n_in());
    let mut v = Direction::zero_params(spec);
    let mut grads = match &v.params {
        Some(p) => p.clone(),
        None => unreachable!("zero_params sets a parameter tangent"),
    };
    for idx in param_indices(spec) {
        let d = unit_jvp(&mut jvp, model, x, y, &mut v, idx);
        match idx {
            ParamIndex::Weight(l, i) => grads.0[l][i] = d,
            ParamIndex::Bias(l, i) => grads.1[l][i] = d,
        }
    }
    grads
}

/// `∂L/∂θ_idx`: one JVP along the unit vector of parameter `idx` (`v` must be a zero
/// parameter tangent; it is zero again on return).
pub fn unit_jvp<T: Real>(
    jvp: &mut Jvp<T>,
    model: &Model<T>,
    x: &[T],
    y: &[T],
    v: &mut Direction<T>,
    idx: ParamIndex,
) -> T {
    let set = |v: &mut Direction<T>, value: T| {
        if let Some((dw, db)) = &mut v.params {
            match idx {
                ParamIndex::Weight(l, i) => dw[l][i] = value,
                ParamIndex::Bias(l, i) => db[l][i] = value,
            }
        }
    };
    set(v, T::ONE);
    let (_, d) = jvp.run(model, x, y, v);
    set(v, T::ZERO);
    d
}

/// Reverse mode's answer to the JVP question `∂ŷ/∂x · ẋ` (`(B, n_out)`): one backward pass per
/// output unit `k`, each seeded with `∂L/∂ŷ = e_k` in every row (examples are independent, so
/// one pass serves the whole batch), giving row `k` of every example's Jacobian `∂ŷ_k/∂x`,
/// dotted with `ẋ`. The seed comes from the mse loss's own backward, `∂L/∂ŷ = (ŷ − y)/B`, with
/// the target set to `y = ŷ − B·e_k`, so the model's [`Model::backward_into`] runs unchanged.
///
/// `c` holds a finished forward pass of a model with the mse loss; its target is overwritten.
pub fn reverse_output_directional<T: Real>(
    model: &Model<T>,
    c: &mut Cache<T>,
    g: &mut Backward<T>,
    dx: &[T],
    out: &mut [T],
) -> Result<()> {
    let spec = model.spec();
    if spec.loss() != Loss::Mse {
        return Err(Error::Spec(
            "reverse-mode output sensitivities need the mse loss (its seed is ŷ − y)".into(),
        ));
    }
    let (n_in, n_out, batch) = (spec.n_in(), spec.n_out(), c.batch);
    let y_hat = c.h[spec.n_layers() - 1].clone(); // (B, n_out)
    let scale = T::from_f64(batch as f64);
    for k in 0..n_out {
        for ((t, &p), j) in c.y.iter_mut().zip(&y_hat).zip((0..n_out).cycle()) {
            *t = if j == k { p - scale } else { p };
        }
        model.backward_into(c, g, true);
        for (b, dx_row) in g.dx.chunks_exact(n_in).enumerate() {
            let v = &dx[b * n_in..(b + 1) * n_in];
            out[b * n_out + k] = dx_row.iter().zip(v).fold(T::ZERO, |s, (&d, &e)| s + d * e);
        }
    }
    Ok(())
}
