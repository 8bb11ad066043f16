//! The backward kernels a [`crate::Model`] calls, and deliberately wrong variants of them.
//!
//! The wrong variants exist for one reason: a gradient checker that cannot fail proves
//! nothing. The project's negative-control tests plant each [`Fault`] and assert that the
//! checker reports a mismatch; `bplab check --plant NAME` does the same for a user, on the
//! engines whose backward is hand-written (`manual`, `burn-custom`, `candle-custom`).

use crate::layers::activation::activation_backward;
use crate::layers::linear::linear_backward;
use crate::layers::loss::cross_entropy_backward;
use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::Activation;

/// A planted bug in the backward pass (or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// The correct backward pass.
    #[default]
    None,
    /// `δ_l = ∂L/∂h_l`: the `⊙ σ'(z_l)` factor forgotten (the lesson's "missing link").
    MissingActivationDerivative,
    /// `∂L/∂h_prev` computed with `W`'s memory read as if it were `Wᵀ` (no transpose).
    MissingTranspose,
    /// `∂L/∂b` summed over the batch's per-example losses instead of averaged (`B×` too big).
    BiasSummedNotAveraged,
    /// Softmax's Jacobian taken as diagonal (`ŷ_k (1 − ŷ_k)`), dropping the `−ŷ_k ŷ_j` terms.
    WrongSoftmaxJacobian,
}

impl Fault {
    /// The name on the command line (`bplab check --plant NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::MissingActivationDerivative => "missing-activation-derivative",
            Fault::MissingTranspose => "missing-transpose",
            Fault::BiasSummedNotAveraged => "bias-summed",
            Fault::WrongSoftmaxJacobian => "wrong-softmax-jacobian",
        }
    }

    /// Every planted bug (not `None`).
    pub const PLANTED: [Fault; 4] = [
        Fault::MissingActivationDerivative,
        Fault::MissingTranspose,
        Fault::BiasSummedNotAveraged,
        Fault::WrongSoftmaxJacobian,
    ];
}

impl std::str::FromStr for Fault {
    type Err = bplab_core::Error;
    fn from_str(s: &str) -> bplab_core::Result<Self> {
        std::iter::once(Fault::None)
            .chain(Fault::PLANTED)
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                bplab_core::Error::Parse(format!(
                    "--plant: unknown fault '{s}' (expected one of: {})",
                    Fault::PLANTED.map(Fault::name).join(", ")
                ))
            })
    }
}

type LinearBackward<T> = fn(Option<&mut [T]>, &mut [T], &mut [T], &[T], &[T], &[T], usize, usize);
type ActivationBackward<T> = fn(Activation, &mut [T], &[T], &[T], &[T], usize, KinkGrads);
type LossBackward<T> = fn(&mut [T], &[T], &[T], usize);

/// The backward kernels of one model.
#[derive(Clone, Copy)]
pub(crate) struct Kernels<T: Real> {
    pub linear_backward: LinearBackward<T>,
    pub activation_backward: ActivationBackward<T>,
    pub cross_entropy_backward: LossBackward<T>,
}

impl<T: Real> Kernels<T> {
    /// The correct kernels, or the ones with `fault` planted.
    pub fn with(fault: Fault) -> Self {
        let mut k = Kernels {
            linear_backward: linear_backward::<T>,
            activation_backward: activation_backward::<T>,
            cross_entropy_backward: cross_entropy_backward::<T>,
        };
        match fault {
            Fault::None => {}
            Fault::MissingActivationDerivative => k.activation_backward = no_derivative::<T>,
            Fault::MissingTranspose => k.linear_backward = untransposed::<T>,
            Fault::BiasSummedNotAveraged => k.linear_backward = bias_summed::<T>,
            Fault::WrongSoftmaxJacobian => {
                k.activation_backward = diagonal_softmax::<T>;
                k.cross_entropy_backward = diagonal_softmax_cross_entropy::<T>;
            }
        }
        k
    }
}

fn no_derivative<T: Real>(
    _: Activation,
    delta: &mut [T],
    g: &[T],
    _: &[T],
    _: &[T],
    _: usize,
    _: KinkGrads,
) {
    delta.copy_from_slice(g);
}

#[allow(clippy::too_many_arguments)]
fn untransposed<T: Real>(
    dinp: Option<&mut [T]>,
    dw: &mut [T],
    db: &mut [T],
    delta: &[T],
    inp: &[T],
    w: &[T],
    n_in: usize,
    n_out: usize,
) {
    linear_backward(None, dw, db, delta, inp, w, n_in, n_out);
    let Some(dinp) = dinp else { return };
    dinp.fill(T::ZERO);
    for (d_row, dx_row) in delta.chunks_exact(n_out).zip(dinp.chunks_exact_mut(n_in)) {
        for (i, dx) in dx_row.iter_mut().enumerate() {
            for (o, &d) in d_row.iter().enumerate() {
                *dx += d * w[i * n_out + o]; // should be w[o * n_in + i]
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn bias_summed<T: Real>(
    dinp: Option<&mut [T]>,
    dw: &mut [T],
    db: &mut [T],
    delta: &[T],
    inp: &[T],
    w: &[T],
    n_in: usize,
    n_out: usize,
) {
    linear_backward(dinp, dw, db, delta, inp, w, n_in, n_out);
    let batch = T::from_f64((delta.len() / n_out) as f64);
    for v in db.iter_mut() {
        *v *= batch;
    }
}

fn diagonal_softmax<T: Real>(
    act: Activation,
    delta: &mut [T],
    g: &[T],
    z: &[T],
    a: &[T],
    n: usize,
    at_zero: KinkGrads,
) {
    if act != Activation::Softmax {
        return activation_backward(act, delta, g, z, a, n, at_zero);
    }
    for ((d, &g), &a) in delta.iter_mut().zip(g).zip(a) {
        *d = g * a * (T::ONE - a);
    }
}

fn diagonal_softmax_cross_entropy<T: Real>(delta: &mut [T], y_hat: &[T], y: &[T], n: usize) {
    // ∂L/∂ŷ_k = −y_k / (B ŷ_k), times the diagonal ŷ_k (1 − ŷ_k).
    let inv_b = T::ONE / T::from_f64((y.len() / n) as f64);
    for ((d, &p), &t) in delta.iter_mut().zip(y_hat).zip(y) {
        *d = -t * (T::ONE - p) * inv_b;
    }
}
