//! The layers' kernels against their definitions: the kinks' derivatives away from 0, the
//! softmax backward and the cross-entropy seed (targets that do not sum to 1) against central
//! differences of the forward kernels.

use crate::{assert_close_fd, central};
use bplab_core::spec::KinkGrads;
use bplab_core::Activation;
use bplab_manual::layers::activation::{
    activation_backward, activation_forward, apply, derivative,
};
use bplab_manual::layers::loss::{cross_entropy_backward, cross_entropy_forward};

#[test]
fn kinks_derivatives_away_from_zero() {
    let pt = KinkGrads::PYTORCH;
    for z in [-3.0, -0.25, -1e-3, 1e-3, 0.5, 7.0f64] {
        let relu = derivative(Activation::Relu, z, apply(Activation::Relu, z), pt);
        let leaky = derivative(
            Activation::LeakyRelu,
            z,
            apply(Activation::LeakyRelu, z),
            pt,
        );
        let fd = |act| central(z, &mut |t| apply(act, t));
        assert_eq!(relu, if z > 0.0 { 1.0 } else { 0.0 }, "relu'({z})");
        assert_eq!(leaky, if z > 0.0 { 1.0 } else { 0.01 }, "leaky_relu'({z})");
        assert!((relu - fd(Activation::Relu)).abs() < 1e-9, "relu'({z})");
        assert!(
            (leaky - fd(Activation::LeakyRelu)).abs() < 1e-9,
            "leaky_relu'({z})"
        );
    }
}

#[test]
fn softmax_backward_is_the_vector_jacobian_product() {
    // L = Σ_k g_k softmax(z)_k for fixed g: ∂L/∂z by the backward kernel vs central differences.
    let (n, z) = (4, [0.3, -1.2, 2.0, 0.1, 1.0, 1.5, -0.5, 0.0]); // (B = 2, n = 4)
    let g = [0.7, -0.2, 1.3, 0.4, -1.0, 0.25, 0.5, 2.0];
    let mut a = [0.0; 8];
    activation_forward(Activation::Softmax, &z, &mut a, n);
    let mut delta = [0.0; 8];
    activation_backward(
        Activation::Softmax,
        &mut delta,
        &g,
        &z,
        &a,
        n,
        KinkGrads::PYTORCH,
    );
    let fd: Vec<f64> = (0..8)
        .map(|i| {
            central(z[i], &mut |t| {
                let mut zz = z;
                zz[i] = t;
                let mut aa = [0.0; 8];
                activation_forward(Activation::Softmax, &zz, &mut aa, n);
                aa.iter().zip(&g).map(|(a, g)| a * g).sum()
            })
        })
        .collect();
    assert_close_fd("softmax δ", &delta, &fd);
    assert!(delta.iter().any(|d| d.abs() > 0.05), "a non-trivial case");
}

#[test]
fn cross_entropy_seed_with_targets_that_do_not_sum_to_one() {
    let (n, z) = (3, [0.5, -1.0, 2.0, 0.0, 0.3, -0.7]); // (B = 2, n = 3)
    let y = [0.5, 0.2, 0.1, 1.0, 0.6, 0.9]; // row sums 0.8 and 2.5
    let mut y_hat = [0.0; 6];
    activation_forward(Activation::Softmax, &z, &mut y_hat, n);
    let mut delta = [0.0; 6];
    cross_entropy_backward(&mut delta, &y_hat, &y, n);
    let fd: Vec<f64> = (0..6)
        .map(|i| {
            central(z[i], &mut |t| {
                let mut zz = z;
                zz[i] = t;
                cross_entropy_forward(&zz, &y, n)
            })
        })
        .collect();
    assert_close_fd("cross-entropy δ", &delta, &fd);
}

#[test]
fn dense_backward_matches_central_differences() {
    // L = Σ g ⊙ h(x, W, b) for a fixed g, so ∂L/∂h = g: the fused layer's backward against
    // central differences of its own forward (not against the model's path through the same
    // kernels).
    use bplab_manual::Dense;
    let (x, w, b) = (
        vec![0.5, -1.0, 2.0, 1.5, 0.25, -0.75], // (B = 2, n_in = 3)
        vec![
            0.3, -0.2, 0.8, 0.1, 0.5, -0.6, -0.4, 0.7, 0.2, 0.9, -0.1, 0.05,
        ], // (4, 3)
        vec![0.1, -0.3, 0.2, 0.0],
    );
    let g = [0.7, -0.2, 1.3, 0.4, -1.0, 0.25, 0.5, 2.0];
    for act in [
        Activation::Tanh,
        Activation::Gelu,
        Activation::Sigmoid,
        Activation::Softmax,
    ] {
        let dense = Dense::new(act, 3, 4);
        let loss = |x: &[f64], w: &[f64], b: &[f64]| -> f64 {
            let (_, h) = dense.forward(x, w, b).unwrap();
            h.iter().zip(&g).map(|(h, g)| h * g).sum()
        };
        let (z, h) = dense.forward(&x, &w, &b).unwrap();
        let d = dense.backward(&g, &x, &z, &h, &w, true).unwrap();
        let fd = |v: &[f64], which: usize| -> Vec<f64> {
            (0..v.len())
                .map(|i| {
                    central(v[i], &mut |t| {
                        let mut p = v.to_vec();
                        p[i] = t;
                        match which {
                            0 => loss(&p, &w, &b),
                            1 => loss(&x, &p, &b),
                            _ => loss(&x, &w, &p),
                        }
                    })
                })
                .collect()
        };
        assert_close_fd(&format!("{act} dx"), d.dx.as_deref().unwrap(), &fd(&x, 0));
        assert_close_fd(&format!("{act} dW"), &d.dw, &fd(&w, 1));
        assert_close_fd(&format!("{act} db"), &d.db, &fd(&b, 2));
    }
}

#[test]
fn softmax_forward_is_the_normalised_exponential() {
    // Shifted by the row's max, so 1000 and 1001 do not overflow: a = [1, e, e^{-2001}]/(1 + e + …).
    let e = std::f64::consts::E;
    let (z, mut a) = ([1000.0, 1001.0, -1000.0, 0.5, -0.25, 2.0], [0.0; 6]); // (B = 2, n = 3)
    activation_forward(Activation::Softmax, &z, &mut a, 3);
    let want0 = [1.0 / (1.0 + e), e / (1.0 + e), 0.0];
    let s: f64 = z[3..].iter().map(|v: &f64| v.exp()).sum();
    let want1: Vec<f64> = z[3..].iter().map(|v| v.exp() / s).collect();
    for (i, (&got, &want)) in a.iter().zip(want0.iter().chain(&want1)).enumerate() {
        assert!((got - want).abs() <= 1e-15, "a[{i}] = {got} vs {want}");
    }
}
