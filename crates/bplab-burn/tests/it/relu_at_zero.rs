//! What burn's autodiff gives at the kink `z = 0` exactly, on both backends and dtypes.
//!
//! - ReLU: `relu'(0) = 0`, as PyTorch. burn-autodiff's `Relu` backward calls the backend's
//!   `relu_backward` with the checkpointed input, which zeroes the gradient where it is `≤ 0`
//!   (burn-backend's default, used by ndarray) or not `> 0` (burn-flex's override).
//! - leaky-ReLU: `leaky_relu'(0) = 1`, where PyTorch (and the contract) give the slope 0.01.
//!   burn-autodiff has no leaky-ReLU backward of its own; the trait default builds it as
//!   `mask_where(x < 0, x·slope, x)`, and `0 < 0` is false, so the gradient at 0 takes the
//!   identity branch.

use crate::common::*;
use bplab_core::tolerance::assert_close;
use bplab_core::{Activation, DType, Engine, GradRequest, Init, Loss, Network, ParamSet, Tensor};

const REQ: GradRequest = GradRequest { input_grad: true };

/// Init::Zeros: every pre-activation is exactly 0; only fc2.bias gets a gradient,
/// `∂L/∂b2 = Σ_b (0 − y_b)/B`, since `h1 = relu(0) = 0` and `W2 = 0`.
#[test]
fn all_zero_network() {
    let s = spec(
        &[3, 4, 2],
        Activation::Relu,
        Activation::Identity,
        Loss::Mse,
        false,
    );
    let net = Network::new(s.clone(), Init::Zeros.params(&s, 0)).unwrap();
    let b = batch(&s, 5, 9);
    let mut want_b2 = vec![0.0; 2];
    for (i, y) in b.y.data.iter().enumerate() {
        want_b2[i % 2] -= y / 5.0;
    }
    for engine in engines() {
        for dtype in [DType::F64, DType::F32] {
            let ctx = format!("{} {dtype}", engine.name());
            let t = engine.forward(&net, &b, dtype).unwrap();
            assert!(
                t.z.iter().all(|z| z.data.iter().all(|&v| v == 0.0)),
                "{ctx}: z not exactly 0"
            );
            let g = engine.grads(&net, &b, dtype, REQ).unwrap();
            for name in ["fc1.weight", "fc1.bias", "fc2.weight"] {
                assert!(
                    g.params.get(name).unwrap().data.iter().all(|&v| v == 0.0),
                    "{ctx}: {name}"
                );
            }
            assert!(
                g.input.unwrap().data.iter().all(|&v| v == 0.0),
                "{ctx}: input"
            );
            let want = Tensor::new(vec![2], want_b2.clone()).unwrap();
            assert_close(
                &format!("{ctx} fc2.bias"),
                g.params.get("fc2.bias").unwrap(),
                &want,
                exact_tol(dtype),
            );
        }
    }
}

/// fc1 all zero (so `z1 = 0` exactly), fc2 random: `∂L/∂b1 = Σ_b (δ2_b W2) · act'(0)` with
/// `δ2 = (b2 − y)/B`. The upstream `Σ_b δ2_b W2` is far from 0, so the result reads off
/// `act'(0)` directly: 0 for ReLU, 1 for leaky-ReLU (PyTorch: 0.01).
#[test]
fn derivative_at_exactly_zero() {
    for (act, slope_at_zero) in [(Activation::Relu, 0.0), (Activation::LeakyRelu, 1.0)] {
        let s = spec(&[3, 4, 2], act, Activation::Identity, Loss::Mse, false);
        let mut p: ParamSet = params(&s, 4);
        for name in ["fc1.weight", "fc1.bias"] {
            p.get_mut(name)
                .unwrap()
                .data
                .iter_mut()
                .for_each(|v| *v = 0.0);
        }
        let net = Network::new(s.clone(), p.clone()).unwrap();
        let b = batch(&s, 5, 6);
        for engine in engines() {
            for dtype in [DType::F64, DType::F32] {
                let ctx = format!("{} {act} {dtype}", engine.name());
                let (w2, b2) = match dtype {
                    DType::F64 => (p.weight(1).clone(), p.bias(1).clone()),
                    DType::F32 => (p.weight(1).rounded_to_f32(), p.bias(1).rounded_to_f32()),
                };
                let y = if dtype == DType::F32 {
                    b.y.rounded_to_f32()
                } else {
                    b.y.clone()
                };
                // upstream_j = Σ_b Σ_k (b2_k − y_bk)/B · W2[k, j]
                let mut upstream = [0.0; 4];
                for row in y.data.chunks(2) {
                    for (k, yk) in row.iter().enumerate() {
                        for (j, u) in upstream.iter_mut().enumerate() {
                            *u += (b2.data[k] - yk) / 5.0 * w2.data[k * 4 + j];
                        }
                    }
                }
                assert!(
                    upstream.iter().all(|u| u.abs() > 1e-3),
                    "{ctx}: upstream too small"
                );
                let g = engine.grads(&net, &b, dtype, REQ).unwrap();
                let want = Tensor::new(
                    vec![4],
                    upstream.iter().map(|u| u * slope_at_zero).collect(),
                )
                .unwrap();
                assert_close(
                    &format!("{ctx} fc1.bias"),
                    g.params.get("fc1.bias").unwrap(),
                    &want,
                    exact_tol(dtype),
                );
            }
        }
    }
}

/// burn's ReLU keeps NaN (as PyTorch), on both backends and dtypes.
#[test]
fn relu_keeps_nan() {
    for backend in bplab_burn::BurnBackend::ALL {
        for dtype in [DType::F64, DType::F32] {
            let device = backend.plain_device();
            let t = bplab_burn::convert::burn_tensor::<1>(
                vec![f64::NAN, -1.0, 2.0],
                vec![3],
                &device,
                dtype,
            );
            let r = burn::tensor::activation::relu(t);
            let v = bplab_burn::convert::read(backend.engine_name(), r, dtype).unwrap();
            assert!(v.data[0].is_nan(), "{backend:?} {dtype}: {:?}", v.data);
            assert_eq!(v.data[1..], [0.0, 2.0], "{backend:?} {dtype}");
        }
    }
}
