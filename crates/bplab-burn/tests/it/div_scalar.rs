//! burn-autodiff's `div_scalar` backward multiplies the incoming gradient by `1/s` computed in
//! **f32** (`1.0 / scalar.elem::<f32>()`, burn-autodiff-0.22.1/src/ops/tensor.rs:507-510),
//! whatever the dtype: in f64, `∂(x/10)/∂x` is 0.10000000149011612, 1.5e-8 away from 0.1 —
//! fifteen times the exact tolerance. No engine of this project divides by a scalar inside a
//! differentiated graph (the mse loss multiplies by `0.5/B`); this is the test that the
//! convention which reproduces it, `bplab_manual::conventions::burn::div_scalar_grad`, is
//! needed for agreement and gives it at the exact tolerance.

use bplab_burn::convert::{burn_tensor, read};
use bplab_burn::BurnBackend;
use bplab_core::{Comparison, DType, Tensor, Tolerance};
use bplab_manual::conventions::burn::div_scalar_grad;

/// `∂/∂x Σ w ⊙ (x / s)` from burn's autodiff on `backend` in f64, `x`, `w` `(2, 5)`.
fn burn_grad(backend: BurnBackend, w: &[f64], s: f64) -> Tensor {
    let device = backend.device();
    let x: Vec<f64> = (0..w.len()).map(|i| 0.3 * i as f64 - 1.1).collect();
    let x = burn_tensor::<2>(x, vec![2, 5], &device, DType::F64).require_grad();
    let wt = burn_tensor::<2>(w.to_vec(), vec![2, 5], &device, DType::F64);
    let grads = (x.clone().div_scalar(s) * wt).sum().backward();
    read("probe", x.grad(&grads).expect("x is tracked"), DType::F64).unwrap()
}

#[test]
fn div_scalar_backward_agrees_only_with_the_f32_reciprocal_convention() {
    let w: Vec<f64> = (0..10).map(|i| 1.0 + 0.37 * i as f64).collect();
    let tol = Tolerance::EXACT_F64;
    for backend in BurnBackend::ALL {
        let name = backend.engine_name();
        // s = 2B for a batch of 5: what `div_scalar(2B)` in the mse loss would divide by.
        let got = burn_grad(backend, &w, 10.0);
        let with = Tensor::new(
            vec![2, 5],
            w.iter().map(|&g| div_scalar_grad(g, 10.0)).collect(),
        )
        .unwrap();
        let exact = Tensor::new(vec![2, 5], w.iter().map(|g| g / 10.0).collect()).unwrap();
        let agree = Comparison::new("x.grad", &got, &with, tol, None);
        assert!(agree.passed() && agree.checked == 10, "{name}: {agree}");
        assert_eq!(
            got.data, with.data,
            "{name}: the same arithmetic, bit for bit"
        );
        let without = Comparison::new("x.grad", &got, &exact, tol, None);
        assert_eq!(
            without.failed, 10,
            "{name}: w/10 in f64 must not agree: {without}"
        );
        // A power of two is exact in f32: there the convention changes nothing.
        let got = burn_grad(backend, &w, 4.0);
        let exact: Vec<f64> = w.iter().map(|g| g / 4.0).collect();
        assert_eq!(got.data, exact, "{name}");
    }
}
