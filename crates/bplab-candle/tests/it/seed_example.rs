//! The lesson's worked example (`seed-example`: 2→3→1 sigmoid/sigmoid, mse, x = [1, 2],
//! y = [0.5], zero biases, the NumPy seed-42 weights) through the candle engine: the lesson's
//! 4-decimal figures, and full-precision agreement with central finite differences of the
//! engine's own f64 forward pass.

use bplab_candle::CandleEngine;
use bplab_core::presets::Preset;
use bplab_core::testing::fd;
use bplab_core::tolerance::{assert_close, assert_close_scalar};
use bplab_core::{DType, Engine, GradRequest, Network, Tolerance};

fn net() -> Network {
    let p = Preset::SeedExample;
    Network::new(p.spec(), p.fixed_params().expect("fixed weights")).unwrap()
}

/// ŷ ≈ 0.6572, L ≈ 0.0124, Σ dL/dW2 ≈ 0.0639, Σ dL/dW1 ≈ 0.0197 (the lesson's figures).
#[test]
fn matches_the_lessons_four_decimals() {
    let (net, batch) = (net(), Preset::SeedExample.batch());
    let e = CandleEngine::new();
    for dtype in [DType::F64, DType::F32] {
        let t = e.forward(&net, &batch, dtype).unwrap();
        let g = e
            .grads(&net, &batch, dtype, GradRequest::default())
            .unwrap();
        let four = |v: f64| (v * 1e4).round() / 1e4;
        assert_eq!(four(t.h[1].data[0]), 0.6572, "{dtype} ŷ");
        assert_eq!(four(t.loss), 0.0124, "{dtype} loss");
        assert_eq!(four(g.loss), 0.0124, "{dtype} loss from grads");
        assert_eq!(four(g.params.get("fc2.weight").unwrap().sum()), 0.0639);
        assert_eq!(four(g.params.get("fc1.weight").unwrap().sum()), 0.0197);
        assert_eq!(
            g.params.names(),
            ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
        );
        assert_eq!(g.params.get("fc1.weight").unwrap().shape, [3, 2]);
        assert_eq!(g.params.get("fc2.weight").unwrap().shape, [1, 3]);
    }
}

/// Every parameter and input gradient, in f64 and f32, against finite differences of the
/// engine's own f64 loss; the loss itself against a hand evaluation of the formula.
#[test]
fn agrees_with_finite_differences_to_full_precision() {
    let (net, batch) = (net(), Preset::SeedExample.batch());
    let e = CandleEngine::new();
    let fd = fd(&e, &net, &batch);
    let req = GradRequest { input_grad: true };
    for (dtype, tol) in [
        (DType::F64, Tolerance::FD_F64),
        (DType::F32, Tolerance::FD_F32),
    ] {
        let g = e.grads(&net, &batch, dtype, req).unwrap();
        for c in fd.compare(&g, tol) {
            assert!(c.passed(), "{dtype} {c}");
        }
        assert!(g.input.is_some(), "{dtype}: input gradient asked for");
    }
    // The loss by hand: h1 = σ(W1 x), ŷ = σ(W2 h1), L = ½ (ŷ − y)².
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let w1 = net.params().weight(0);
    let w2 = net.params().weight(1);
    let h1: Vec<f64> = (0..3)
        .map(|j| sig(w1.data[2 * j] + 2.0 * w1.data[2 * j + 1]))
        .collect();
    let y_hat = sig((0..3).map(|j| w2.data[j] * h1[j]).sum());
    let t = e.forward(&net, &batch, DType::F64).unwrap();
    assert_close_scalar("ŷ", t.h[1].data[0], y_hat, Tolerance::EXACT_F64);
    assert_close_scalar(
        "loss",
        t.loss,
        0.5 * (y_hat - 0.5).powi(2),
        Tolerance::EXACT_F64,
    );
    let g = e.grads(&net, &batch, DType::F64, req).unwrap();
    let fd_w2 = &fd.params[2];
    assert_eq!(fd_w2.name, "fc2.weight");
    assert_close(
        "fc2.weight",
        g.params.weight(1),
        &fd_w2.values,
        Tolerance::FD_F64,
    );
    assert_close_scalar("fd base loss", fd.loss, t.loss, Tolerance::EXACT_F64);
}
