//! The source lesson's worked example and practice tasks, on the manual engine, asserted to
//! full f64 precision against scalar formulas derived by hand below (independent of the
//! engine's code) and against central finite differences.

use crate::common::{assert_all_pass, fd_comparisons};
use bplab_core::presets::{Preset, SEED_EXAMPLE_W1, SEED_EXAMPLE_W2};
use bplab_core::tolerance::assert_close_scalar;
use bplab_core::{
    Activation, Batch, DType, Engine, GradRequest, Init, Loss, NetSpec, Network, Tolerance,
};
use bplab_manual::ManualEngine;

/// Two scalar computations of the same f64 quantity in a different order of operations.
const SCALAR: Tolerance = Tolerance::new(1e-16, 1e-13);

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The lesson's 2-3-1 sigmoid network written out element by element:
/// returns (ŷ, loss, dW1 (3×2), dW2 (1×3)).
fn by_hand(
    x: [f64; 2],
    y: f64,
    hidden_act: fn(f64) -> (f64, f64),
) -> (f64, f64, [[f64; 2]; 3], [f64; 3]) {
    let w1 = [
        [SEED_EXAMPLE_W1[0], SEED_EXAMPLE_W1[1]],
        [SEED_EXAMPLE_W1[2], SEED_EXAMPLE_W1[3]],
        [SEED_EXAMPLE_W1[4], SEED_EXAMPLE_W1[5]],
    ];
    let w2 = SEED_EXAMPLE_W2;
    let mut h = [0.0; 3];
    let mut dh = [0.0; 3]; // σ'(z1)
    for j in 0..3 {
        let z1 = w1[j][0] * x[0] + w1[j][1] * x[1];
        (h[j], dh[j]) = hidden_act(z1);
    }
    let z2 = w2[0] * h[0] + w2[1] * h[1] + w2[2] * h[2];
    let y_hat = sigmoid(z2);
    let loss = 0.5 * (y_hat - y) * (y_hat - y);
    let delta2 = (y_hat - y) * y_hat * (1.0 - y_hat);
    let dw2 = [delta2 * h[0], delta2 * h[1], delta2 * h[2]];
    let mut dw1 = [[0.0; 2]; 3];
    for j in 0..3 {
        let delta1 = w2[j] * delta2 * dh[j];
        dw1[j] = [delta1 * x[0], delta1 * x[1]];
    }
    (y_hat, loss, dw1, dw2)
}

fn sigmoid_pair(z: f64) -> (f64, f64) {
    let s = sigmoid(z);
    (s, s * (1.0 - s))
}

fn relu_pair(z: f64) -> (f64, f64) {
    if z > 0.0 {
        (z, 1.0)
    } else {
        (0.0, 0.0)
    }
}

fn seed_network(hidden: Activation) -> Network {
    let spec = NetSpec::new(
        vec![2, 3, 1],
        vec![hidden, Activation::Sigmoid],
        Loss::Mse,
        false,
    )
    .unwrap();
    Network::new(spec, Preset::SeedExample.fixed_params().unwrap()).unwrap()
}

/// Runs the manual engine and compares with the hand derivation and with finite differences.
fn check_against_hand(
    net: &Network,
    x: [f64; 2],
    y: f64,
    pair: fn(f64) -> (f64, f64),
) -> (f64, f64, f64, f64) {
    let batch = Batch::from_rows(vec![x.to_vec()], vec![vec![y]]).unwrap();
    let e = ManualEngine::new();
    let g = e
        .grads(net, &batch, DType::F64, GradRequest::default())
        .unwrap();
    let trace = e.forward(net, &batch, DType::F64).unwrap();
    let (y_hat, loss, dw1, dw2) = by_hand(x, y, pair);
    assert_close_scalar("y_hat", trace.h[1].data[0], y_hat, SCALAR);
    assert_close_scalar("loss", g.loss, loss, SCALAR);
    for j in 0..3 {
        assert_close_scalar(
            &format!("fc2.weight[0, {j}]"),
            g.params.weight(1).data[j],
            dw2[j],
            SCALAR,
        );
        for (i, &want) in dw1[j].iter().enumerate() {
            assert_close_scalar(
                &format!("fc1.weight[{j}, {i}]"),
                g.params.weight(0).data[2 * j + i],
                want,
                SCALAR,
            );
        }
    }
    assert_all_pass(
        "manual vs finite differences",
        &fd_comparisons(&e, net, &batch, DType::F64, Tolerance::FD_F64),
    );
    (
        y_hat,
        loss,
        g.params.weight(1).sum(),
        g.params.weight(0).sum(),
    )
}

#[test]
fn worked_example_matches_the_lesson() {
    let (y_hat, loss, sum_w2, sum_w1) = check_against_hand(
        &seed_network(Activation::Sigmoid),
        [1.0, 2.0],
        0.5,
        sigmoid_pair,
    );
    // The lesson prints these to 4 decimals.
    assert_eq!(
        format!("{y_hat:.4} {loss:.4} {sum_w2:.4} {sum_w1:.4}"),
        "0.6572 0.0124 0.0639 0.0197"
    );
    // And to full precision (the hand derivation above, evaluated once).
    assert_close_scalar("y_hat", y_hat, 0.6572326668298718, SCALAR);
    assert_close_scalar("loss", loss, 0.012361055759216734, SCALAR);
    assert_close_scalar("sum dL/dW2", sum_w2, 0.06391172004096878, SCALAR);
    assert_close_scalar("sum dL/dW1", sum_w1, 0.01966387816927124, SCALAR);
}

#[test]
fn practice_1_other_input_and_target() {
    let (y_hat, loss, _, _) = check_against_hand(
        &seed_network(Activation::Sigmoid),
        [-1.0, 1.0],
        0.8,
        sigmoid_pair,
    );
    assert!(y_hat > 0.0 && y_hat < 1.0 && loss > 0.0);
}

#[test]
fn practice_2_hidden_width_five() {
    let spec = NetSpec::new(
        vec![2, 5, 1],
        vec![Activation::Sigmoid; 2],
        Loss::Mse,
        false,
    )
    .unwrap();
    for seed in 0..5 {
        let net = Network::new(spec.clone(), Init::Normal(0.5).params(&spec, seed)).unwrap();
        let batch = Preset::SeedExample.batch();
        let e = ManualEngine::new();
        assert_all_pass(
            &format!("seed {seed}"),
            &fd_comparisons(&e, &net, &batch, DType::F64, Tolerance::FD_F64),
        );
        let g = e
            .grads(&net, &batch, DType::F64, GradRequest::default())
            .unwrap();
        assert_eq!(g.params.weight(0).shape, vec![5, 2]);
    }
}

#[test]
fn practice_3_finite_differences_through_the_binary() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args([
            "check",
            "--preset",
            "seed-example",
            "--engine",
            "manual",
            "--inputs",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for t in ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "input"] {
        assert!(
            text.lines()
                .any(|l| l.contains(t) && l.trim_end().ends_with("ok")),
            "{t} missing:\n{text}"
        );
    }
}

#[test]
fn practice_4_relu_units_with_negative_z_get_exactly_zero_gradient() {
    let net = seed_network(Activation::Relu);
    check_against_hand(&net, [1.0, 2.0], 0.5, relu_pair);
    let batch = Preset::SeedExample.batch();
    let e = ManualEngine::new();
    let trace = e.forward(&net, &batch, DType::F64).unwrap();
    let g = e
        .grads(&net, &batch, DType::F64, GradRequest::default())
        .unwrap();
    let z1 = &trace.z[0].data;
    assert!(
        z1.iter().any(|&z| z < 0.0) && z1.iter().any(|&z| z > 0.0),
        "{z1:?}"
    );
    for (j, &z) in z1.iter().enumerate() {
        let row = &g.params.weight(0).data[2 * j..2 * j + 2];
        if z < 0.0 {
            assert_eq!(row, [0.0, 0.0], "unit {j} has z = {z} < 0");
            assert_eq!(g.params.bias(0).data[j], 0.0);
        } else {
            assert!(row.iter().all(|&v| v != 0.0), "unit {j} has z = {z} > 0");
        }
    }
}
