//! The whole network's backward pass against central differences of its forward pass:
//! several layers, every activation, residual connections, both losses (cross-entropy with
//! targets whose rows do not sum to 1), parameters and `∂L/∂x`.

use crate::{assert_close_fd, central, data, model, net};
use bplab_core::{Activation, Loss};
use bplab_manual::Model;

/// `L` of `m` on `(x, y)`.
fn loss(m: &Model<f64>, x: &[f64], y: &[f64]) -> f64 {
    m.forward(x.to_vec(), y.to_vec()).loss
}

/// Every parameter's and input's gradient of `m` on `(x, y)` against central differences.
fn check(what: &str, m: &mut Model<f64>, x: &[f64], y: &[f64]) {
    let back = m.backward(&m.forward(x.to_vec(), y.to_vec()));
    let n_layers = m.spec().n_layers();
    for l in 0..n_layers {
        for (is_w, got) in [(true, &back.dw[l]), (false, &back.db[l])] {
            let mut fd = Vec::new();
            for i in 0..got.len() {
                let value = |m: &Model<f64>| {
                    if is_w {
                        m.params().0[l][i]
                    } else {
                        m.params().1[l][i]
                    }
                };
                let theta = value(m);
                fd.push(central(theta, &mut |t| {
                    let (w, b) = m.params_mut();
                    if is_w {
                        w[l][i] = t
                    } else {
                        b[l][i] = t
                    }
                    let v = loss(m, x, y);
                    let (w, b) = m.params_mut();
                    if is_w {
                        w[l][i] = theta
                    } else {
                        b[l][i] = theta
                    }
                    v
                }));
            }
            let name = format!("{what} {}{}", if is_w { "dW" } else { "db" }, l + 1);
            assert_close_fd(&name, got, &fd);
        }
    }
    let fd: Vec<f64> = (0..x.len())
        .map(|i| {
            central(x[i], &mut |t| {
                let mut xx = x.to_vec();
                xx[i] = t;
                loss(m, &xx, y)
            })
        })
        .collect();
    assert_close_fd(&format!("{what} dx"), &back.dx, &fd);
}

#[test]
fn multi_layer_backward_matches_central_differences() {
    use Activation::*;
    let cases: [(&[usize], &[Activation], Loss, bool); 6] = [
        (
            &[3, 4, 4, 4, 2],
            &[Tanh, Sigmoid, Gelu, Softmax],
            Loss::CrossEntropy,
            true,
        ),
        (
            &[3, 5, 4, 2],
            &[LeakyRelu, Relu, Identity],
            Loss::Mse,
            false,
        ),
        (&[4, 4, 4, 3], &[Gelu, Tanh, Sigmoid], Loss::Mse, true),
        (&[2, 3, 3, 3], &[Sigmoid, Relu, Softmax], Loss::Mse, true),
        (&[3, 2, 1], &[Tanh, Sigmoid], Loss::Mse, false),
        (&[4, 6, 3], &[Identity, Softmax], Loss::CrossEntropy, false),
    ];
    for (i, (w, a, loss, residual)) in cases.into_iter().enumerate() {
        let n = net(w, a, loss, residual, 40 + i as u64);
        let (x, y) = data(n.spec(), 3, 90 + i as u64);
        check(&n.spec().summary(), &mut model(&n), &x, &y);
    }
}

#[test]
fn residual_layers_carry_the_skip_gradient() {
    // A residual identity layer of weight 0 and bias 0 (h₁ = x + 0), then an identity output
    // layer W₂ = I: ŷ = x, so ∂L/∂x = (x − y)/B, all of it through the skip connection (the
    // residual layer's own path gives W₁ᵀ δ₁ = 0).
    let n = net(
        &[2, 2, 2],
        &[Activation::Identity, Activation::Identity],
        Loss::Mse,
        true,
        3,
    );
    assert!(n.spec().is_residual(0));
    let mut m = model(&n);
    let (w, b) = m.params_mut();
    w.iter_mut().chain(b.iter_mut()).for_each(|v| v.fill(0.0));
    w[1].copy_from_slice(&[1.0, 0.0, 0.0, 1.0]);
    let (x, y) = (vec![1.0, 2.0, -1.0, 0.5], vec![0.0, 1.0, 1.0, 0.5]);
    let back = m.backward(&m.forward(x.clone(), y.clone()));
    assert_eq!(back.dx, [0.5, 0.5, -1.0, 0.0]);
}

#[test]
fn normalized_layers_backward_matches_central_differences() {
    use Activation::*;
    for norm in [bplab_core::Norm::Layer, bplab_core::Norm::Batch] {
        let spec = bplab_core::NetSpec::new(
            vec![3, 4, 4, 2],
            vec![Tanh, Gelu, Identity],
            Loss::Mse,
            true,
        )
        .unwrap()
        .with_norm(norm)
        .unwrap();
        assert!(spec.is_normalized(0), "{norm:?}");
        let n = bplab_core::testing::Draw::Mixed.network(&spec, bplab_core::Init::XavierNormal, 5);
        let (x, y) = data(n.spec(), 4, 6);
        check(&format!("{norm:?}"), &mut model(&n), &x, &y);
    }
}
