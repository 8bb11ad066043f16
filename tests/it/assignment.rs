//! The lesson's assignment network (4 → 5 ReLU → 3 tanh → 2 softmax, cross-entropy) on the
//! manual engine: finite-difference agreement over many inputs and every init scheme, in f64
//! and f32, and the `assignment` preset through the binary.

use crate::common::{assert_all_pass, batch, fd_comparisons, network};
use bplab_core::{Activation, DType, Init, Loss, Tolerance};
use bplab_manual::ManualEngine;

const ACTS: [Activation; 3] = [Activation::Relu, Activation::Tanh, Activation::Softmax];

#[test]
fn agrees_with_finite_differences_over_inits_seeds_and_batches() {
    let schemes = [
        Init::XavierNormal,
        Init::HeNormal,
        Init::LecunNormal,
        Init::XavierUniform,
        Init::HeUniform,
        Init::Orthogonal,
        Init::Normal(1.0),
    ];
    for init in schemes {
        for seed in 0..6 {
            let net = network(&[4, 5, 3, 2], &ACTS, Loss::CrossEntropy, false, init, seed);
            for b in [1, 3, 8] {
                let data = batch(net.spec(), b, seed * 31 + b as u64);
                let what = format!("{init} seed {seed} batch {b}");
                let e = ManualEngine::new();
                assert_all_pass(
                    &what,
                    &fd_comparisons(&e, &net, &data, DType::F64, Tolerance::FD_F64),
                );
                assert_all_pass(
                    &format!("{what} f32"),
                    &fd_comparisons(&e, &net, &data, DType::F32, Tolerance::FD_F32),
                );
            }
        }
    }
}

#[test]
fn preset_check_passes_through_the_binary() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args([
            "check",
            "--preset",
            "assignment",
            "--engine",
            "manual",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pass"], true);
    assert_eq!(v["tolerances"]["fd"]["atol"], 1e-8);
    assert_eq!(v["tolerances"]["fd"]["rtol"], 1e-6);
    let comps = v["results"][0]["comparisons"].as_array().unwrap();
    let tensors: Vec<&str> = comps
        .iter()
        .map(|c| c["tensor"].as_str().unwrap())
        .collect();
    assert_eq!(
        tensors,
        [
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "fc3.weight",
            "fc3.bias"
        ]
    );
    assert!(comps.iter().all(|c| c["checked"].as_u64().unwrap() > 0));
}

#[test]
fn kinks_are_skipped_with_a_reason_not_failed() {
    // Zero weights and biases put every ReLU pre-activation at exactly 0: finite differences
    // across it measure nothing, and the checker must say so instead of failing.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args([
            "check",
            "--preset",
            "assignment",
            "--engine",
            "manual",
            "--init",
            "zeros",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("crosses 0 within the step (ReLU kink)"),
        "{text}"
    );
    let fc1 = text
        .lines()
        .find(|l| l.starts_with("manual") && l.contains("fc1.weight"))
        .unwrap();
    assert!(
        fc1.contains(" 20  ok"),
        "every fc1.weight element skipped: {fc1}"
    );
}
