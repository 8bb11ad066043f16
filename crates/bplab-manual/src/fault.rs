//! Planted bugs: deliberately wrong variants of the backward kernels, for negative controls.
//!
//! They exist for one reason: a gradient checker that cannot fail proves nothing. The
//! project's negative-control tests plant each [`Fault`] and assert that the checker reports
//! a mismatch; `bplab check --plant NAME` does the same for a user, on the engines whose
//! backward is hand-written (`manual`, `burn-custom`, `candle-custom`).
//!
//! A fault reaches the backward pass as a kernel set, never as a branch inside the lesson's
//! code: [`Planted`] implements [`BackwardKernels`] with the one wrong kernel its [`Fault`]
//! names (and the exact ones elsewhere), and the engine boundary ([`crate::ManualEngine`],
//! [`crate::Dense::backward`]) builds a model over [`Planted`] only when a fault is planted.
//! Otherwise the model runs over [`crate::layers::Exact`], whose calls are the lesson's
//! functions, inlined.

use crate::layers::activation::activation_backward;
use crate::layers::linear::linear_backward;
use crate::layers::loss::cross_entropy_backward;
use crate::layers::BackwardKernels;
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

/// The backward kernels with `.0` planted: the kernel the fault names is replaced by its wrong
/// variant below, every other call goes to the exact kernel. (`Planted(Fault::None)` is
/// correct, but the engines use [`crate::layers::Exact`] then.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Planted(pub Fault);

impl BackwardKernels for Planted {
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
        let kernel = match self.0 {
            Fault::MissingTranspose => untransposed::<T>,
            Fault::BiasSummedNotAveraged => bias_summed::<T>,
            _ => linear_backward::<T>,
        };
        kernel(dinp, dw, db, delta, inp, w, n_in, n_out);
    }

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
        let kernel = match self.0 {
            Fault::MissingActivationDerivative => no_derivative::<T>,
            Fault::WrongSoftmaxJacobian => diagonal_softmax::<T>,
            _ => activation_backward::<T>,
        };
        kernel(act, delta, g, z, a, n, at_zero);
    }

    fn cross_entropy_backward<T: Real>(&self, delta: &mut [T], y_hat: &[T], y: &[T], n: usize) {
        match self.0 {
            Fault::WrongSoftmaxJacobian => diagonal_softmax_cross_entropy(delta, y_hat, y, n),
            _ => cross_entropy_backward(delta, y_hat, y, n),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;
    use bplab_core::{Init, Loss, NetSpec};

    /// `Planted(Fault::None)` is the exact kernel set, bit for bit, and every planted fault
    /// changes the gradients of a network where its kernel runs.
    #[test]
    fn planted_none_is_exact_and_every_fault_shows() {
        let acts = vec![Activation::Tanh, Activation::Softmax];
        let spec = NetSpec::new(vec![3, 4, 2], acts, Loss::CrossEntropy, false).unwrap();
        let params = Init::HeNormal.params(&spec, 11);
        let (x, y) = (
            vec![0.5, -1.0, 2.0, 1.5, 0.25, -0.75],
            vec![1.0, 0.0, 0.0, 1.0],
        );
        let exact = Model::<f64>::new(&spec, &params);
        let c = exact.forward(x, y);
        let want = exact.backward(&c);
        let none = Model::<f64, _>::with_fault(&spec, &params, Fault::None).backward(&c);
        assert_eq!(
            (&none.dw, &none.db, &none.dx),
            (&want.dw, &want.db, &want.dx)
        );
        for fault in Fault::PLANTED {
            let got = Model::<f64, _>::with_fault(&spec, &params, fault).backward(&c);
            assert!(
                (&got.dw, &got.db, &got.dx) != (&want.dw, &want.db, &want.dx),
                "{}",
                fault.name()
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for f in std::iter::once(Fault::None).chain(Fault::PLANTED) {
            assert_eq!(f.name().parse::<Fault>().unwrap(), f);
        }
        assert!("no-such-bug".parse::<Fault>().is_err());
    }
}
