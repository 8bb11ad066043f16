//! The lesson's layers, each with its forward and its backward side by side: [`linear`]
//! (`z = h_prev Wᵀ + b`), [`norm`] (LayerNorm and BatchNorm, `n = γ ⊙ n̂ + β`),
//! [`activation`] (`a = σ(z)`, softmax included) and [`loss`] (the
//! scalar `L`, whose backward is the seed of the whole backward pass). Every function here is
//! a plain kernel on row-major slices, `(B, n)` for a batch of `B` rows, with its formula, its
//! shapes and a worked example on numbers small enough to check by hand.
//!
//! [`BackwardKernels`] names the three backward kernels the model's backward pass calls, as
//! one set; [`Exact`] is that set made of the functions of this module and nothing else. The
//! model is generic over the set with [`Exact`] as the default, so the correct backward pays
//! nothing for the existence of a planted bug ([`crate::fault::Planted`], chosen only at the
//! engine boundary when a negative control asks for one).

pub mod activation;
pub mod linear;
pub mod loss;
pub mod norm;

use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::{Activation, NetSpec};

/// The backward kernels of one model: the Linear layer's, the activation's, and the fused
/// softmax + cross-entropy seed. Each method has exactly the arguments and the meaning of the
/// function of the same name ([`linear::linear_backward`], [`activation::activation_backward`],
/// [`loss::cross_entropy_backward`]).
pub trait BackwardKernels: Copy + Send + Sync + 'static {
    /// The set layer `l` of `spec` runs with: this one, for every set but
    /// [`crate::conventions::Emulated`] whose conventions cover only some layers (a custom-op
    /// engine runs its framework's arithmetic on the normalized layers alone).
    #[inline]
    fn for_layer(&self, _spec: &NetSpec, _l: usize) -> Self {
        *self
    }

    /// See [`norm::layernorm_forward`]: the statistics the backward pass reads. Every set but
    /// [`crate::conventions::Emulated`] (a framework's `ε`) keeps the lesson's.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn layernorm_forward<T: Real>(
        &self,
        out: &mut [T],
        mean: &mut [T],
        rstd: &mut [T],
        z: &[T],
        gamma: &[T],
        beta: &[T],
        n: usize,
    ) {
        norm::layernorm_forward(out, mean, rstd, z, gamma, beta, n);
    }

    /// See [`activation::activation_forward`]: the forward value the backward pass caches.
    /// Every set but [`crate::conventions::Emulated`] (a framework's f32 sigmoid) keeps the
    /// lesson's.
    #[inline]
    fn activation_forward<T: Real>(&self, act: Activation, z: &[T], a: &mut [T], n: usize) {
        activation::activation_forward(act, z, a, n);
    }

    /// See [`linear::linear_backward`].
    #[allow(clippy::too_many_arguments)]
    fn linear_backward<T: Real>(
        &self,
        dinp: Option<&mut [T]>,
        dw: &mut [T],
        db: &mut [T],
        delta: &[T],
        inp: &[T],
        w: &[T],
        n_in: usize,
        n_out: usize,
    );

    /// See [`activation::activation_backward`].
    #[allow(clippy::too_many_arguments)]
    fn activation_backward<T: Real>(
        &self,
        act: Activation,
        delta: &mut [T],
        g: &[T],
        z: &[T],
        a: &[T],
        n: usize,
        at_zero: KinkGrads,
    );

    /// See [`loss::cross_entropy_backward`].
    fn cross_entropy_backward<T: Real>(&self, delta: &mut [T], y_hat: &[T], y: &[T], n: usize);
}

/// The lesson's kernels themselves: every method is a direct call of the function of the same
/// name, inlined, so a model over [`Exact`] is the same code as one calling those functions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exact;

impl BackwardKernels for Exact {
    #[inline]
    fn linear_backward<T: Real>(
        &self,
        dinp: Option<&mut [T]>,
        dw: &mut [T],
        db: &mut [T],
        delta: &[T],
        inp: &[T],
        w: &[T],
        n_in: usize,
        n_out: usize,
    ) {
        linear::linear_backward(dinp, dw, db, delta, inp, w, n_in, n_out);
    }

    #[inline]
    fn activation_backward<T: Real>(
        &self,
        act: Activation,
        delta: &mut [T],
        g: &[T],
        z: &[T],
        a: &[T],
        n: usize,
        at_zero: KinkGrads,
    ) {
        activation::activation_backward(act, delta, g, z, a, n, at_zero);
    }

    #[inline]
    fn cross_entropy_backward<T: Real>(&self, delta: &mut [T], y_hat: &[T], y: &[T], n: usize) {
        loss::cross_entropy_backward(delta, y_hat, y, n);
    }
}
