//! The lesson's worked example (`seed-example`): 2→3→1, sigmoid/sigmoid, mse, input (1, 2),
//! target 0.5, zero biases and NumPy's seed-42 weights. Expected to four decimals:
//! ŷ ≈ 0.6572, L ≈ 0.0124, Σ ∂L/∂W2 ≈ 0.0639, Σ ∂L/∂W1 ≈ 0.0197.

use crate::common::*;
use bplab_burn::BurnEngine;
use bplab_core::presets::{Preset, SEED_EXAMPLE_W1, SEED_EXAMPLE_W2};
use bplab_core::tolerance::assert_close_scalar;
use bplab_core::{DType, Engine, GradRequest, Network, Tolerance};

const REQ: GradRequest = GradRequest { input_grad: true };

fn example() -> (Network, bplab_core::Batch) {
    let p = Preset::SeedExample;
    (
        Network::new(p.spec(), p.fixed_params().unwrap()).unwrap(),
        p.batch(),
    )
}

/// ŷ and L computed by hand in f64: `h = σ(W1 x)`, `ŷ = σ(W2 h)`, `L = ½ (ŷ − 0.5)²`.
fn by_hand() -> (f64, f64) {
    let s = |v: f64| 1.0 / (1.0 + (-v).exp());
    let x = [1.0, 2.0];
    let h: Vec<f64> = (0..3)
        .map(|r| s(SEED_EXAMPLE_W1[2 * r] * x[0] + SEED_EXAMPLE_W1[2 * r + 1] * x[1]))
        .collect();
    let y = s((0..3).map(|k| SEED_EXAMPLE_W2[k] * h[k]).sum());
    (y, 0.5 * (y - 0.5) * (y - 0.5))
}

/// The four lesson values, to four decimals, for every engine and dtype.
#[test]
fn matches_the_lesson_to_four_decimals() {
    let (net, batch) = example();
    let four = Tolerance::new(5e-5, 0.0);
    for engine in engines() {
        for dtype in [DType::F64, DType::F32] {
            let ctx = format!("{} {dtype}", engine.name());
            let t = engine.forward(&net, &batch, dtype).unwrap();
            let g = engine.grads(&net, &batch, dtype, REQ).unwrap();
            assert_close_scalar(&format!("{ctx} ŷ"), t.h[1].data[0], 0.6572, four);
            assert_close_scalar(&format!("{ctx} loss"), t.loss, 0.0124, four);
            assert_close_scalar(
                &format!("{ctx} loss (grads)"),
                g.loss,
                t.loss,
                Tolerance::EXACT_F64,
            );
            assert_close_scalar(
                &format!("{ctx} ΣdW2"),
                g.params.get("fc2.weight").unwrap().sum(),
                0.0639,
                four,
            );
            assert_close_scalar(
                &format!("{ctx} ΣdW1"),
                g.params.get("fc1.weight").unwrap().sum(),
                0.0197,
                four,
            );
        }
    }
}

/// burn-flex: forward to full f64 precision against the hand computation, gradients against
/// finite differences of its own f64 forward (`FD_F64`), f32 gradients at `FD_F32`.
#[test]
fn flex_is_exact_in_f64() {
    let (net, batch) = example();
    let (y, loss) = by_hand();
    let flex = BurnEngine::flex();
    let t = flex.forward(&net, &batch, DType::F64).unwrap();
    assert_close_scalar("ŷ", t.h[1].data[0], y, Tolerance::EXACT_F64);
    assert_close_scalar("loss", t.loss, loss, Tolerance::EXACT_F64);
    let fd = fd(&flex, &net, &batch);
    assert_close_scalar("fd loss", fd.loss, loss, Tolerance::EXACT_F64);
    for (dtype, tol) in [
        (DType::F64, Tolerance::FD_F64),
        (DType::F32, Tolerance::FD_F32),
    ] {
        let g = flex.grads(&net, &batch, dtype, REQ).unwrap();
        assert_passed(&format!("burn-flex {dtype}"), &fd.compare(&g, tol));
    }
}

/// burn-ndarray computes sigmoid through burn's default `ActivationOps::sigmoid`, which casts
/// to f32: its "f64" ŷ is bit-for-bit its f32 ŷ, 3.5e-8 from the f64 value. Its gradients
/// still agree with the f64 finite differences of the same function (taken through burn-flex)
/// at `FD_F64`; differences of its own forward pass would be noise.
#[test]
fn ndarray_sigmoid_is_f32_in_f64() {
    let (net, batch) = example();
    let (y, _) = by_hand();
    let ndarray = BurnEngine::ndarray();
    let y64 = ndarray.forward(&net, &batch, DType::F64).unwrap().h[1].data[0];
    let y32 = ndarray.forward(&net, &batch, DType::F32).unwrap().h[1].data[0];
    assert_eq!(
        y64, y32,
        "burn-ndarray's f64 sigmoid is no longer f32-rounded; update the docs"
    );
    assert!(!Tolerance::EXACT_F64.allows(y64, y), "ŷ {y64} vs {y}");
    assert_close_scalar("ŷ at f32 precision", y64, y, Tolerance::EXACT_F32);
    let fd = fd(&BurnEngine::flex(), &net, &batch);
    for (dtype, tol) in [
        (DType::F64, Tolerance::FD_F64),
        (DType::F32, Tolerance::FD_F32),
    ] {
        let g = ndarray.grads(&net, &batch, dtype, REQ).unwrap();
        assert_passed(&format!("burn-ndarray {dtype}"), &fd.compare(&g, tol));
    }
}

/// burn-flex's f64 gradients are f64-accurate, not merely within finite-difference
/// tolerance: the seed network on a batch of 3 (so `1/(2B)` is not a power of two) against
/// backpropagation written out by hand in f64, at `EXACT_F64` (`1e-12 + 1e-9·|b|`).
#[test]
fn flex_matches_hand_backprop_to_f64_precision() {
    let s = |v: f64| 1.0 / (1.0 + (-v).exp());
    let (w1, w2) = (SEED_EXAMPLE_W1, SEED_EXAMPLE_W2);
    let x = [[1.0, 2.0], [-0.5, 0.3], [2.0, -1.0]];
    let y = [0.5, 0.1, 0.9];
    let n = x.len() as f64;
    let (mut dw1, mut db1, mut dw2, mut db2, mut dx) =
        ([0.0; 6], [0.0; 3], [0.0; 3], 0.0, vec![0.0; 6]);
    let mut loss = 0.0;
    for (b, xb) in x.iter().enumerate() {
        let h: Vec<f64> = (0..3)
            .map(|r| s(w1[2 * r] * xb[0] + w1[2 * r + 1] * xb[1]))
            .collect();
        let yh = s((0..3).map(|k| w2[k] * h[k]).sum());
        loss += 0.5 * (yh - y[b]) * (yh - y[b]) / n;
        let d2 = (yh - y[b]) / n * yh * (1.0 - yh);
        db2 += d2;
        for k in 0..3 {
            dw2[k] += d2 * h[k];
            let d1 = d2 * w2[k] * h[k] * (1.0 - h[k]);
            db1[k] += d1;
            for i in 0..2 {
                dw1[2 * k + i] += d1 * xb[i];
                dx[2 * b + i] += d1 * w1[2 * k + i];
            }
        }
    }
    let p = Preset::SeedExample;
    let net = Network::new(p.spec(), p.fixed_params().unwrap()).unwrap();
    let batch = bplab_core::Batch::from_rows(
        x.iter().map(|r| r.to_vec()).collect(),
        y.iter().map(|v| vec![*v]).collect(),
    )
    .unwrap();
    let g = BurnEngine::flex()
        .grads(&net, &batch, DType::F64, REQ)
        .unwrap();
    let exact = Tolerance::EXACT_F64;
    assert_close_scalar("loss", g.loss, loss, exact);
    let want = [
        ("fc1.weight", vec![3, 2], dw1.to_vec()),
        ("fc1.bias", vec![3], db1.to_vec()),
        ("fc2.weight", vec![1, 3], dw2.to_vec()),
        ("fc2.bias", vec![1], vec![db2]),
    ];
    for (name, shape, data) in want {
        bplab_core::tolerance::assert_close(
            name,
            g.params.get(name).unwrap(),
            &tensor(&shape, &data),
            exact,
        );
    }
    bplab_core::tolerance::assert_close(
        "input",
        g.input.as_ref().unwrap(),
        &tensor(&[3, 2], &dx),
        exact,
    );
}
