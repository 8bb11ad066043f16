//! [`Dense`]: one fused layer `h = σ(x Wᵀ + b)`, forward and backward side by side, built from
//! the very kernels [`crate::Model`] runs ([`linear_forward`], [`activation_forward`], and the
//! backward kernels of a [`BackwardKernels`] set: [`Exact`], or [`Planted`] when the layer
//! carries a [`Fault`]).
//!
//! This is the unit a framework registers as a custom autograd operation: the framework owns
//! the graph and calls [`Dense::forward`] for the layer's value and [`Dense::backward`] for its
//! vector–Jacobian product, while everything around the layer stays the framework's own.
//!
//! - forward: `z = x Wᵀ + b` `(B, n_out)`, `h = σ(z)` `(B, n_out)`;
//! - backward, given `g = ∂L/∂h` `(B, n_out)`:
//!   `δ = g ⊙ σ'(z)` (softmax: `δ_j = h_j (g_j − Σ_k g_k h_k)`), `∂L/∂W = δᵀ x` `(n_out, n_in)`,
//!   `∂L/∂b = Σ_b δ` `(n_out)`, `∂L/∂x = δ W` `(B, n_in)`.
//!
//! The backward reads `x`, `z` and `h` as forward produced them: a framework either saves them
//! (candle: in the op; burn: in the backward step's state) or recomputes them.

use crate::fault::{Fault, Planted};
use crate::layers::activation::activation_forward;
use crate::layers::linear::linear_forward;
use crate::layers::{BackwardKernels, Exact};
use crate::real::Real;
use bplab_core::spec::{bias_name, weight_name, KinkGrads};
use bplab_core::{Activation, Error, Loss, NetSpec, Result};

/// A fused linear + activation layer of fixed width (the weights are arguments, not state).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dense {
    /// `σ`.
    pub act: Activation,
    /// Input width.
    pub n_in: usize,
    /// Output width.
    pub n_out: usize,
    /// ReLU's and leaky-ReLU's derivative at exactly `z = 0` (default: PyTorch's).
    pub at_zero: KinkGrads,
    /// A planted bug in the backward pass ([`Fault::None`] unless a negative control asks).
    pub fault: Fault,
}

/// Everything [`Dense::backward`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseGrads<T> {
    /// `∂L/∂x`, `(B, n_in)`, when asked for.
    pub dx: Option<Vec<T>>,
    /// `∂L/∂W`, `(n_out, n_in)`.
    pub dw: Vec<T>,
    /// `∂L/∂b`, `(n_out)`.
    pub db: Vec<T>,
    /// `δ = ∂L/∂z`, `(B, n_out)`.
    pub delta: Vec<T>,
}

impl Dense {
    /// A correct layer `n_in → n_out` with activation `act`.
    pub fn new(act: Activation, n_in: usize, n_out: usize) -> Self {
        Dense {
            act,
            n_in,
            n_out,
            at_zero: KinkGrads::PYTORCH,
            fault: Fault::None,
        }
    }

    /// The same layer with `fault` planted in its backward pass (negative controls only).
    pub fn with_fault(self, fault: Fault) -> Self {
        Dense { fault, ..self }
    }

    /// The batch size of `x` `(B, n_in)`, after checking every operand's length against the
    /// layer: `w` `(n_out, n_in)`, `b` `(n_out)`.
    pub fn batch_of(&self, x: usize, w: usize, b: usize) -> Result<usize> {
        let (n_in, n_out) = (self.n_in, self.n_out);
        if n_in == 0 || n_out == 0 || w != n_in * n_out || b != n_out || !x.is_multiple_of(n_in) {
            return Err(Error::Params(format!(
                "dense layer {n_in}→{n_out}: got x of {x} elements, W of {w} (want {}), b of {b} (want {n_out})",
                n_in * n_out
            )));
        }
        Ok(x / n_in)
    }

    /// Forward: writes `z = x Wᵀ + b` and `h = σ(z)`, both `(B, n_out)`.
    pub fn forward<T: Real>(&self, x: &[T], w: &[T], b: &[T]) -> Result<(Vec<T>, Vec<T>)> {
        let batch = self.batch_of(x.len(), w.len(), b.len())?;
        let mut z = vec![T::ZERO; batch * self.n_out]; // (B, n_out)
        let mut h = vec![T::ZERO; batch * self.n_out]; // (B, n_out)
                                                       // 1. z = x Wᵀ + b.
        linear_forward(&mut z, x, w, b, self.n_in, self.n_out);
        // 2. h = σ(z).
        activation_forward(self.act, &z, &mut h, self.n_out);
        Ok((z, h))
    }

    /// Backward of [`Dense::forward`]: from `g = ∂L/∂h` `(B, n_out)` and the cached `x`
    /// `(B, n_in)`, `z` and `h` `(B, n_out)`, and `w` `(n_out, n_in)`, the layer's
    /// vector–Jacobian product. `∂L/∂x` is computed only when `input_grad` is true.
    ///
    /// The layer's [`Fault`] picks the kernels here, once per call: [`Dense::backward_with`]
    /// over [`Exact`], or over [`Planted`] for a negative control.
    pub fn backward<T: Real>(
        &self,
        g: &[T],
        x: &[T],
        z: &[T],
        h: &[T],
        w: &[T],
        input_grad: bool,
    ) -> Result<DenseGrads<T>> {
        match self.fault {
            Fault::None => self.backward_with(Exact, g, x, z, h, w, input_grad),
            fault => self.backward_with(Planted(fault), g, x, z, h, w, input_grad),
        }
    }

    /// [`Dense::backward`] with the backward kernels `k` (the layer's `fault` is not read).
    #[allow(clippy::too_many_arguments)]
    pub fn backward_with<T: Real, K: BackwardKernels>(
        &self,
        k: K,
        g: &[T],
        x: &[T],
        z: &[T],
        h: &[T],
        w: &[T],
        input_grad: bool,
    ) -> Result<DenseGrads<T>> {
        let batch = self.batch_of(x.len(), w.len(), self.n_out)?;
        let want = batch * self.n_out;
        if g.len() != want || z.len() != want || h.len() != want {
            return Err(Error::Params(format!(
                "dense layer backward: ∂L/∂h, z and h must have {want} elements (B = {batch}, n_out = {}), got {}, {}, {}",
                self.n_out,
                g.len(),
                z.len(),
                h.len()
            )));
        }
        let (n_in, n_out) = (self.n_in, self.n_out);
        // 2. δ = g ⊙ σ'(z) (softmax: its vector–Jacobian product).
        let mut delta = vec![T::ZERO; want]; // (B, n_out)
        k.activation_backward(self.act, &mut delta, g, z, h, n_out, self.at_zero);
        // 1. ∂L/∂x = δ W, ∂L/∂W = δᵀ x, ∂L/∂b = Σ_b δ.
        let mut dw = vec![T::ZERO; n_out * n_in]; // (n_out, n_in)
        let mut db = vec![T::ZERO; n_out]; // (n_out)
        let mut dx = input_grad.then(|| vec![T::ZERO; batch * n_in]); // (B, n_in)
        k.linear_backward(
            dx.as_deref_mut(),
            &mut dw,
            &mut db,
            &delta,
            x,
            w,
            n_in,
            n_out,
        );
        Ok(DenseGrads { dx, dw, db, delta })
    }
}

/// Which layers of a network a framework runs as the [`Dense`] op, and with which backward.
///
/// Every layer is covered except the output layer of a cross-entropy network: there the
/// framework's loss takes the output layer's `z` and fuses softmax into `log_softmax`, so that
/// layer stays the framework's own (its `Linear`, its loss). With mse every layer is a
/// [`Dense`] op and only the loss and the residual additions are the framework's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CustomOps {
    /// A planted bug in every covered layer's backward ([`Fault::None`]: the correct one).
    pub fault: Fault,
}

impl CustomOps {
    /// The correct layers.
    pub const CORRECT: CustomOps = CustomOps { fault: Fault::None };

    /// Whether layer `l` (0-based) of `spec` runs as the custom op: every layer but a
    /// cross-entropy output (fused with the loss) and a normalized layer (the norm sits
    /// between the Linear and the activation; those layers run on the framework's own ops).
    pub fn covers(&self, spec: &NetSpec, l: usize) -> bool {
        !(l + 1 == spec.n_layers() && spec.loss() == Loss::CrossEntropy || spec.is_normalized(l))
    }

    /// Layer `l`'s fused op.
    pub fn layer(&self, spec: &NetSpec, l: usize) -> Dense {
        let (n_in, n_out) = spec.layer_dims(l);
        Dense::new(spec.activations()[l], n_in, n_out).with_fault(self.fault)
    }

    /// The parameter names (`fcN.weight`, `fcN.bias`) of every covered layer of `spec`.
    pub fn covered_params(&self, spec: &NetSpec) -> Vec<String> {
        (0..spec.n_layers())
            .filter(|&l| self.covers(spec, l))
            .flat_map(|l| [weight_name(l), bias_name(l)])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;
    use bplab_core::{Init, NetSpec};

    /// A one-layer mse network through [`Model`] equals [`Dense`] seeded with `∂L/∂ŷ`.
    #[test]
    fn dense_is_the_models_layer() {
        for act in [Activation::Tanh, Activation::Relu, Activation::Softmax] {
            let spec = NetSpec::new(vec![3, 4], vec![act], bplab_core::Loss::Mse, false).unwrap();
            let params = Init::HeNormal.params(&spec, 7);
            let model = Model::<f64>::new(&spec, &params);
            let x = vec![0.5, -1.0, 2.0, 1.5, 0.25, -0.75];
            let y = vec![0.1, 0.2, 0.3, 0.4, 0.0, 1.0, 0.0, 0.0];
            let c = model.forward(x.clone(), y.clone());
            let g_model = model.backward(&c);

            let (w, b) = model.params();
            let dense = Dense::new(act, 3, 4);
            let (z, h) = dense.forward(&x, &w[0], &b[0]).unwrap();
            assert_eq!((&z, &h), (&c.z[0], &c.h[0]));
            // ∂L/∂ŷ of the mean ½‖ŷ − y‖²: (ŷ − y)/B.
            let g: Vec<f64> = h.iter().zip(&y).map(|(p, t)| (p - t) / 2.0).collect();
            let d = dense.backward(&g, &x, &z, &h, &w[0], true).unwrap();
            assert_eq!(d.dw, g_model.dw[0], "{act}");
            assert_eq!(d.db, g_model.db[0], "{act}");
            assert_eq!(d.delta, g_model.delta[0], "{act}");
            assert_eq!(d.dx.as_deref(), Some(&g_model.dx[..]), "{act}");
        }
    }

    #[test]
    fn planted_fault_drops_the_derivative() {
        let dense = Dense::new(Activation::Tanh, 1, 1);
        let (z, h) = dense.forward(&[1.0f64], &[0.5], &[0.0]).unwrap();
        let good = dense
            .backward(&[1.0], &[1.0], &z, &h, &[0.5], false)
            .unwrap();
        let bad = dense
            .with_fault(Fault::MissingActivationDerivative)
            .backward(&[1.0], &[1.0], &z, &h, &[0.5], false)
            .unwrap();
        assert_eq!(good.delta, vec![1.0 - h[0] * h[0]]);
        assert_eq!(bad.delta, vec![1.0]);
        assert_eq!(good.dx, None);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let dense = Dense::new(Activation::Relu, 3, 2);
        let e = dense
            .forward(&[1.0f64; 5], &[0.0; 6], &[0.0; 2])
            .unwrap_err();
        assert!(e.to_string().contains("dense layer 3→2"), "{e}");
        assert!(dense.forward(&[1.0f64; 6], &[0.0; 5], &[0.0; 2]).is_err());
        let e = dense
            .backward(
                &[0.0f64; 3],
                &[1.0; 6],
                &[0.0; 4],
                &[0.0; 4],
                &[0.0; 6],
                true,
            )
            .unwrap_err();
        assert!(e.to_string().contains("must have 4 elements"), "{e}");
    }
}
