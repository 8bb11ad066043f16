//! [`Dense`] with the weight in burn's layout, read in place: burn's `Linear` stores `W` as
//! `Wᵀ`, `[n_in, n_out]` row-major, and `bplab-manual`'s product ([`matmul`]) takes strided
//! views, so no transposed copy of `W` (nor of `∂L/∂W`) is needed:
//!
//! - forward: `z = x Wᵀ + b` is `x · W_burn` `(B, n_in)·(n_in, n_out)`, `h = σ(z)`;
//! - backward, given `g = ∂L/∂h` `(B, n_out)`: `δ = g ⊙ σ'(z)`; `∂L/∂W` in burn's layout is
//!   `(δᵀ x)ᵀ = xᵀ δ` `(n_in, B)·(B, n_out)`; `∂L/∂b = Σ_b δ`; `∂L/∂x = δ W = δ · W_burnᵀ`
//!   `(B, n_out)·(n_out, n_in)`.
//!
//! The same kernels and the same order of additions as [`Dense::forward`] and
//! [`Dense::backward`] with [`Exact`] (the bias broadcast into `z` before the product
//! accumulates; `∂L/∂b` summed over rows in order), so where every product takes the packed
//! kernel (the caller checks: `in_place`) the results are those of the transposed
//! copy, bit for bit — the custom-op tests compare them with the manual engine exactly.

use bplab_core::{Error, Result};
use bplab_manual::kernels::matmul::matmul;
use bplab_manual::kernels::view::MatRef;
use bplab_manual::layers::activation::activation_forward;
use bplab_manual::{BackwardKernels, Dense, DenseGrads, Exact, Real};

/// `(z, h)`, both `(B, n_out)`, from `x` `(B, n_in)`, `w` `[n_in, n_out]` (burn's layout) and
/// `b` `(n_out)`; `batch` from [`Dense::batch_of`].
pub(super) fn forward<T: Real>(
    layer: &Dense,
    x: &[T],
    w: &[T],
    b: &[T],
    batch: usize,
) -> (Vec<T>, Vec<T>) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    // 1. z = b (broadcast), then z += x · W_burn.
    let mut z = Vec::with_capacity(batch * n_out); // (B, n_out)
    for _ in 0..batch {
        z.extend_from_slice(b);
    }
    let x_m = MatRef::row_major(x, batch, n_in); // (B, n_in)
    matmul(&mut z, x_m, MatRef::row_major(w, n_in, n_out), true);
    // 2. h = σ(z).
    let mut h = vec![T::ZERO; batch * n_out]; // (B, n_out)
    activation_forward(layer.act, &z, &mut h, n_out);
    (z, h)
}

/// The layer's vector–Jacobian product from `[g, x, z, h, w]` (`w` `[n_in, n_out]`, burn's
/// layout): `∂L/∂x` `(B, n_in)` when `input_grad`, `∂L/∂W` `[n_in, n_out]` (burn's layout),
/// `∂L/∂b` `(n_out)`, `δ` `(B, n_out)`.
pub(super) fn backward<T: Real>(
    layer: &Dense,
    [g, x, z, h, w]: [&[T]; 5],
    input_grad: bool,
) -> Result<DenseGrads<T>> {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let batch = layer.batch_of(x.len(), w.len(), n_out)?;
    let want = batch * n_out;
    if g.len() != want || z.len() != want || h.len() != want {
        return Err(Error::Params(format!(
            "dense layer backward: ∂L/∂h, z and h must have {want} elements, got {}, {}, {}",
            g.len(),
            z.len(),
            h.len()
        )));
    }
    // 2. δ = g ⊙ σ'(z) (softmax: its vector–Jacobian product).
    let mut delta = vec![T::ZERO; want]; // (B, n_out)
    Exact.activation_backward(layer.act, &mut delta, g, z, h, n_out, layer.at_zero);
    let delta_m = MatRef::row_major(&delta, batch, n_out); // (B, n_out)
                                                           // 1. ∂L/∂W (burn's layout) = xᵀ δ: (n_in, B)·(B, n_out).
    let mut dw = vec![T::ZERO; n_in * n_out]; // [n_in, n_out]
    matmul(
        &mut dw,
        MatRef::row_major(x, batch, n_in).t(),
        delta_m,
        false,
    );
    // ∂L/∂b = Σ_b δ.
    let mut db = vec![T::ZERO; n_out]; // (n_out)
    for d_row in delta.chunks_exact(n_out) {
        for (s, &d) in db.iter_mut().zip(d_row) {
            *s += d;
        }
    }
    // ∂L/∂x = δ W = δ · W_burnᵀ: (B, n_out)·(n_out, n_in).
    let dx = input_grad.then(|| {
        let mut dx = vec![T::ZERO; batch * n_in]; // (B, n_in)
        matmul(
            &mut dx,
            delta_m,
            MatRef::row_major(w, n_in, n_out).t(),
            false,
        );
        dx
    });
    Ok(DenseGrads { dx, dw, db, delta })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bplab_core::Activation;

    /// Against [`Dense`] on the transposed weight, at a size where every product is packed:
    /// the same bits, in f64 and f32, for every activation with a distinct backward.
    #[test]
    fn burn_layout_equals_dense_on_the_transposed_weight() {
        let (batch, n_in, n_out) = (12, 17, 23);
        let v = |n: usize, k: f64| -> Vec<f64> { (0..n).map(|i| (i as f64 * k).sin()).collect() };
        let (x, w_burn, b, g) = (
            v(batch * n_in, 0.37),
            v(n_in * n_out, 0.61),
            v(n_out, 1.3),
            v(batch * n_out, 0.83),
        );
        let w = transpose(&w_burn, n_in, n_out); // (n_out, n_in)
        for act in [Activation::Relu, Activation::Tanh, Activation::Softmax] {
            let layer = Dense::new(act, n_in, n_out);
            assert!(super::super::in_place(&layer, batch));
            let (z, h) = forward(&layer, &x, &w_burn, &b, batch);
            assert_eq!((z.clone(), h.clone()), layer.forward(&x, &w, &b).unwrap());
            let got = backward(&layer, [&g, &x, &z, &h, &w_burn], true).unwrap();
            let want = layer.backward(&g, &x, &z, &h, &w, true).unwrap();
            assert_eq!(got.dx, want.dx, "{act}");
            assert_eq!(got.dw, transpose(&want.dw, n_out, n_in), "{act}");
            assert_eq!((&got.db, &got.delta), (&want.db, &want.delta), "{act}");

            let f = |s: &[f64]| s.iter().map(|&a| a as f32).collect::<Vec<f32>>();
            let (x, w_burn, w, b, g) = (f(&x), f(&w_burn), f(&w), f(&b), f(&g));
            let (z, h) = forward(&layer, &x, &w_burn, &b, batch);
            assert_eq!((z.clone(), h.clone()), layer.forward(&x, &w, &b).unwrap());
            let got = backward(&layer, [&g, &x, &z, &h, &w_burn], false).unwrap();
            let want = layer.backward(&g, &x, &z, &h, &w, false).unwrap();
            assert_eq!(got.dw, transpose(&want.dw, n_out, n_in), "f32 {act}");
            assert_eq!((got.dx, &got.db), (None, &want.db), "f32 {act}");
        }
        let layer = Dense::new(Activation::Relu, n_in, n_out);
        let e = backward(&layer, [&g[1..], &x, &g, &g, &w_burn], false).unwrap_err();
        assert!(e.to_string().contains("must have"), "{e}");
    }

    fn transpose<T: Copy>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
        (0..rows * cols)
            .map(|i| m[(i % rows) * cols + i / rows])
            .collect()
    }
}
