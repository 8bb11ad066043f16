//! `lab checkpoint`: checkpointed gradients are bit-identical to plain ones (k = 1, √L, L and
//! others, several depths and topologies, f64 and f32); burn's Balanced strategy against
//! Disabled; the memory claim at a small size (the counting allocator is installed here, as
//! in the binary); the command line's usage errors.

use crate::common::cli::{assert_usage_error, bplab};
use bplab_burn::checkpointing::Checkpointing;
use bplab_core::testing::in_own_process;
use bplab_core::{Activation, DType, Init, Loss, NetSpec, Tensor};
use bplab_lab::checkpoint::{
    burn_grads, checkpointed_grads, measure_all, plain_grads, CheckpointConfig, Method, Row,
    Segment,
};
use bplab_lab::modes::random_batch;
use bplab_manual::schedules::checkpoint::sqrt_segment;
use bplab_manual::{Model, Real};

fn deep(depth: usize, width: usize, act: Activation, loss: Loss, residual: bool) -> NetSpec {
    let mut acts = vec![act; depth];
    let mut widths = vec![width; depth + 1];
    match loss {
        Loss::CrossEntropy => {
            acts[depth - 1] = Activation::Softmax;
            widths[depth] = 3;
        }
        Loss::Mse => acts[depth - 1] = Activation::Identity,
    }
    NetSpec::new(widths, acts, loss, residual).unwrap()
}

fn bit_identical<T: Real>(spec: &NetSpec, seed: u64) {
    let params = Init::XavierUniform.params(spec, seed);
    let model = Model::<T>::new(spec, &params);
    let (x, y) = random_batch(spec, 5, seed);
    let y: Vec<f64> = match spec.loss() {
        Loss::CrossEntropy => (0..y.len())
            .map(|i| if i % 3 == 1 { 1.0 } else { 0.0 })
            .collect(),
        Loss::Mse => y,
    };
    let (x, y): (Vec<T>, Vec<T>) = (
        x.iter().map(|&v| T::from_f64(v)).collect(),
        y.iter().map(|&v| T::from_f64(v)).collect(),
    );
    let (loss, plain) = plain_grads(&model, &x, &y);
    let l = spec.n_layers();
    let mut ks = vec![1, sqrt_segment(l), l, 2, 3];
    ks.dedup();
    for k in ks.into_iter().filter(|&k| k <= l) {
        let (ck_loss, ck) = checkpointed_grads(&model, &x, &y, k);
        assert_eq!(
            ck_loss.to_f64().to_bits(),
            loss.to_f64().to_bits(),
            "{} k={k}: loss",
            spec.summary()
        );
        for (t, (a, b)) in ck.iter().zip(&plain).enumerate() {
            for (i, (&a, &b)) in a.iter().zip(b).enumerate() {
                assert!(
                    a.to_bits() == b.to_bits(),
                    "{} k={k}: tensor {t} element {i}: checkpointed {a:e} vs plain {b:e}",
                    spec.summary()
                );
            }
        }
    }
}

#[test]
fn checkpointed_gradients_are_bit_identical_to_plain_ones() {
    for depth in [1, 2, 3, 5, 9, 16, 17] {
        bit_identical::<f64>(
            &deep(depth, 6, Activation::Tanh, Loss::Mse, false),
            depth as u64,
        );
        bit_identical::<f32>(
            &deep(depth, 6, Activation::Tanh, Loss::Mse, false),
            depth as u64,
        );
        bit_identical::<f64>(
            &deep(depth, 5, Activation::Relu, Loss::CrossEntropy, false),
            7,
        );
        bit_identical::<f64>(&deep(depth, 4, Activation::Gelu, Loss::Mse, true), 8);
    }
    assert_eq!(sqrt_segment(16), 4);
    assert_eq!(sqrt_segment(17), 5);
    assert_eq!(sqrt_segment(256), 16);
}

#[test]
fn burn_balanced_gradients_equal_disabled_ones() {
    let spec = deep(12, 8, Activation::Tanh, Loss::Mse, false);
    let params = Init::XavierUniform.params(&spec, 3);
    let (x, y) = random_batch(&spec, 4, 3);
    let xt = Tensor::new(vec![4, 8], x).unwrap();
    let yt = Tensor::new(vec![4, 8], y).unwrap();
    let run = |c| burn_grads(&spec, &params, &xt, &yt, c, DType::F64).unwrap();
    let (l0, g0) = run(Checkpointing::Disabled);
    let (l1, g1) = run(Checkpointing::Balanced);
    assert_eq!(l0.to_bits(), l1.to_bits());
    assert_eq!(g0.len(), 2 * spec.n_layers());
    for (t, (a, b)) in g1.iter().zip(&g0).enumerate() {
        for (i, (&a, &b)) in a.iter().zip(b).enumerate() {
            assert!(
                a.to_bits() == b.to_bits(),
                "tensor {t} element {i}: balanced {a:e} vs disabled {b:e}"
            );
        }
    }
}

#[test]
fn sqrt_checkpointing_holds_far_less_than_the_plain_pass() {
    // The allocation counter is process-wide: measure with no other test running.
    in_own_process(
        "lab_checkpoint::sqrt_checkpointing_holds_far_less_than_the_plain_pass",
        || {
            let cfg = CheckpointConfig {
                depths: vec![16, 64],
                width: 32,
                batch: 16,
                methods: vec![
                    Method::Plain,
                    Method::Segments(Segment::One),
                    Method::Segments(Segment::SqrtL),
                    Method::Segments(Segment::Whole),
                ],
                ..CheckpointConfig::quick()
            };
            let res = measure_all(&cfg).unwrap();
            assert!(
                res.counted,
                "the counting allocator is installed in this test binary"
            );
            assert!(
                res.checks.iter().all(|c| c.differing == 0),
                "{:?}",
                res.checks
            );
            let at = |d, m| {
                res.rows
                    .iter()
                    .find(|r| r.depth == d && r.method == m)
                    .unwrap()
            };
            let (plain, sqrt) = (
                at(64, Method::Plain),
                at(64, Method::Segments(Segment::SqrtL)),
            );
            // By construction: plain keeps 4 buffers per layer (z, a, h, δ); k = 8 keeps 7 checkpoints
            // and one segment's 3·8 buffers.
            assert!(
                plain.analytic_bytes.unwrap() > 4 * sqrt.analytic_bytes.unwrap(),
                "{plain:?} {sqrt:?}"
            );
            // Measured: the peak less the gradients (allocated up front) tracks the construction.
            let held = |r: &Row| r.peak_bytes - r.grad_bytes;
            assert!(held(plain) > 3 * held(sqrt), "{plain:?} {sqrt:?}");
            assert!(held(sqrt) >= sqrt.analytic_bytes.unwrap() / 2, "{sqrt:?}");
            // O(√L): quadrupling the depth at most about doubles what √L checkpointing holds, while
            // the plain pass's grows about fourfold.
            let (p16, s16) = (
                at(16, Method::Plain),
                at(16, Method::Segments(Segment::SqrtL)),
            );
            let growth = |a: u64, b: u64| b as f64 / a as f64;
            assert!(growth(held(s16), held(sqrt)) < 2.6, "{s16:?} {sqrt:?}");
            assert!(growth(held(p16), held(plain)) > 3.2, "{p16:?} {plain:?}");
        },
    );
}

#[test]
fn bad_lab_checkpoint_flags_are_one_line_errors() {
    for (args, want) in [
        (
            &["lab", "checkpoint", "--methods", "plain,bogus"][..],
            "--methods",
        ),
        (&["lab", "checkpoint", "--depths", "0"][..], "--depths"),
        (&["lab", "checkpoint", "--width", "0"][..], "--width"),
        (&["lab", "checkpoint", "--dtype", "f16"][..], "f16"),
        (
            &["lab", "checkpoint", "--depths", "1024", "--width", "2048"][..],
            "limit",
        ),
    ] {
        assert_usage_error(args, &[want]);
    }
}

#[test]
fn lab_checkpoint_writes_its_files() {
    let out = std::env::temp_dir().join(format!("bplab-lab-ckpt-{}", std::process::id()));
    let dir = out.to_str().unwrap();
    let (code, stdout, stderr) = bplab(&[
        "lab",
        "checkpoint",
        "--quick",
        "--depths",
        "4,9",
        "--out",
        dir,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("burn-balanced"), "{stdout}");
    for f in [
        "checkpoint.csv",
        "checkpoint.json",
        "checkpoint-memory.svg",
        "checkpoint-time.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("checkpoint.json")).unwrap())
            .unwrap();
    assert_eq!(v["allocator_counted"], true);
    assert_eq!(v["rows"].as_array().unwrap().len(), 2 * 6);
    let _ = std::fs::remove_dir_all(&out);
}
