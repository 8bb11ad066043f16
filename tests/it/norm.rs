//! LayerNorm, BatchNorm and SiLU end to end: the command lines, the batch-of-one
//! input error, and BatchNorm's running statistics after SGD steps on every engine against
//! PyTorch's (`tests/fixtures/*/running.json`, written by `tools/reference/generate.py`).
//! The forward values and gradients of the normalized fixtures are held to PyTorch on every
//! engine by `check_all.rs`.

use crate::common::cli::bplab;
use crate::common::fixtures;
use bplab_core::norm::BN_MOMENTUM;
use bplab_core::train::Sgd;
use bplab_core::{Comparison, DType, Engine, ParamSet, Tensor, Tolerance};
use bplab_harness::deviations;
use bplab_harness::engines::{engine, ENGINE_NAMES};
use serde_json::Value;

const BATCH_4: [&str; 4] = [
    "--input",
    "0.1,0.2,-0.3,0.4,0.5,-0.6,0.7,0.8;1,-1,0.5,0.2,-0.3,0.9,0.1,-0.2;-0.5,0.3,0.8,-0.9,0.2,0.4,-0.1,0.6;0.3,0.3,-0.7,0.1,0.9,-0.2,0.5,-0.4",
    "--target",
    "1,0,0;0,1,0;0,0,1;0,1,0",
];

#[test]
fn check_passes_on_every_engine_with_either_norm_and_silu() {
    for norm in ["layer", "batch"] {
        let mut args = vec![
            "check",
            "--layers",
            "8,16,16,3",
            "--activations",
            "silu,tanh,softmax",
            "--loss",
            "cross-entropy",
            "--norm",
            norm,
            "--engine",
            "all",
            "--format",
            "json",
        ];
        args.extend(BATCH_4);
        let (code, out, err) = bplab(&args);
        assert_eq!(code, 0, "--norm {norm}: {err}\n{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let text = v.to_string();
        // The checker covered γ and β of both hidden layers.
        for name in ["norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"] {
            assert!(
                text.contains(name),
                "--norm {norm}: no {name} in {text:.300}"
            );
        }
    }
}

#[test]
fn batch_norm_of_one_example_is_an_input_error() {
    let (code, out, err) = bplab(&[
        "grads",
        "--layers",
        "3,4,2",
        "--activations",
        "tanh,identity",
        "--norm",
        "batch",
        "--input",
        "1,2,3",
        "--target",
        "0.5,0.5",
    ]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("--norm batch needs at least 2 examples"),
        "{err}"
    );
    // swish is silu, and a layer norm of one example is fine.
    let (code, _, err) = bplab(&[
        "grads",
        "--layers",
        "3,4,2",
        "--activations",
        "swish,identity",
        "--norm",
        "layer",
        "--input",
        "1,2,3",
        "--target",
        "0.5,0.5",
    ]);
    assert_eq!(code, 0, "{err}");
}

fn tensor(v: &Value) -> Tensor {
    let shape = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize);
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap());
    Tensor::new(shape.collect(), data.collect()).unwrap()
}

fn set(v: &Value) -> ParamSet {
    let m = v.as_object().unwrap();
    ParamSet::from_entries(m.iter().map(|(k, t)| (k.clone(), tensor(t))).collect())
}

/// burn-nn's BatchNorm keeps the *biased* batch variance in its running variance
/// (burn-nn-0.22.1 src/modules/norm/batch.rs:171; PyTorch the unbiased one). With a fixed
/// batch of `B` rows, after `N` steps from 1: `r_burn − (1−m)^N = (r_torch − (1−m)^N)·(B−1)/B`.
fn burn_running_var(torch: &Tensor, steps: usize, batch: usize) -> Tensor {
    let keep = (1.0 - BN_MOMENTUM).powi(steps as i32);
    let k = (batch as f64 - 1.0) / batch as f64;
    Tensor::new(
        torch.shape.clone(),
        torch.data.iter().map(|v| (v - keep) * k + keep).collect(),
    )
    .unwrap()
}

#[test]
fn running_statistics_and_parameters_after_sgd_steps_match_pytorch() {
    let tol = Tolerance::new(1e-12, 1e-9);
    let mut checked = 0;
    for f in fixtures::all() {
        let path = f.dir.join("running.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let r: Value = serde_json::from_str(&text).unwrap();
        let steps = r["steps"].as_u64().unwrap() as usize;
        let sgd = Sgd {
            lr: r["lr"].as_f64().unwrap(),
            clip: bplab_core::Clip::None,
        };
        for name in ENGINE_NAMES {
            let e = engine(name).unwrap();
            // An engine whose documented arithmetic touches the network (burn-ndarray's f32
            // sigmoid inside silu) is held to the manual engine computing with it.
            let emulated = !deviations::conventions(name)
                .names_for(f.network.spec())
                .is_empty();
            let reference: Box<dyn Engine> = if emulated {
                Box::new(deviations::emulating(name))
            } else {
                engine("manual").unwrap()
            };
            let mut t = e.trainer(&f.network, &f.batch, DType::F64).unwrap();
            let mut want_t = reference.trainer(&f.network, &f.batch, DType::F64).unwrap();
            let mut losses = Vec::new();
            for _ in 0..steps {
                losses.push(t.step(&sgd).unwrap().loss);
                want_t.step(&sgd).unwrap();
            }
            let (torch_running, torch_params) = (set(&r["running"]), set(&r["params"]));
            let (want_running, want_params) = if emulated {
                (want_t.running_stats().unwrap(), want_t.params().unwrap())
            } else {
                (torch_running, torch_params)
            };
            if !emulated {
                for (i, (got, want)) in losses
                    .iter()
                    .zip(r["losses"].as_array().unwrap())
                    .enumerate()
                {
                    let c = Comparison::scalar("loss", *got, want.as_f64().unwrap(), tol);
                    assert!(c.passed(), "{name} {} step {i}: {c}", f.name);
                }
            }
            let got_running = t.running_stats().unwrap();
            assert_eq!(got_running.len(), want_running.len(), "{name} {}", f.name);
            for (key, want) in want_running.iter() {
                let want = match (name.starts_with("burn"), key.ends_with("running_var")) {
                    (true, true) => burn_running_var(want, steps, f.batch.len()),
                    _ => want.clone(),
                };
                let got = got_running
                    .get(key)
                    .unwrap_or_else(|| panic!("{name}: no {key}"));
                let c = Comparison::new(key, got, &want, tol, None);
                assert!(c.passed(), "{name} {}: {c}", f.name);
            }
            let got_params = t.params().unwrap();
            for (key, want) in want_params.iter() {
                let got = got_params
                    .get(key)
                    .unwrap_or_else(|| panic!("{name}: no {key}"));
                let c = Comparison::new(key, got, want, tol, None);
                assert!(c.passed(), "{name} {}: {c}", f.name);
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 4 * ENGINE_NAMES.len(),
        "only {checked} (fixture, engine) pairs"
    );
}

#[test]
fn normalization_keeps_the_signal_where_a_plain_deep_network_loses_it() {
    use bplab_core::Activation;
    use bplab_experiment::norm::{measure, run_of, Arch, NormConfig};
    let cfg = NormConfig {
        activations: vec![Activation::Relu],
        steps: 3,
        ..NormConfig::quick()
    };
    let engines = bplab_harness::engines::with_reference("manual").unwrap();
    let r = measure(&cfg, &engines).unwrap();
    let get = |a| run_of(&r, Activation::Relu, 10, a).unwrap();
    let (plain, ln, bn) = (get(Arch::Plain), get(Arch::Layer), get(Arch::Batch));
    // At init (normal:0.05, depth 10), the plain network's error signal and activations
    // vanish; both norms restore unit-scale pre-activations and keep the signal.
    assert!(plain.ratio < 1e-6, "plain ‖δ_1‖/‖δ_L‖ = {}", plain.ratio);
    assert!(
        ln.ratio > 1e-1 && bn.ratio > 1e-1,
        "{} {}",
        ln.ratio,
        bn.ratio
    );
    let last = |x: &bplab_experiment::norm::Run| *x.act_std.last().unwrap();
    assert!(last(plain) < 1e-6 && last(ln) > 0.1 && last(bn) > 0.1);
}

#[test]
fn experiment_norm_quick_writes_its_files() {
    let dir = std::env::temp_dir().join(format!("bplab-norm-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    let (code, text, err) = bplab(&[
        "experiment",
        "norm",
        "--quick",
        "--engine",
        "manual,candle",
        "--out",
        out,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("residual+layernorm"), "{text}");
    for f in [
        "norm.csv",
        "norm.json",
        "act-std-relu.svg",
        "loss-sigmoid.svg",
    ] {
        assert!(dir.join(f).is_file(), "no {f} in {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A normalized identity layer hands the custom-op output layer candle's BatchNorm output
/// itself (transposed back inside the module): the custom op needs it contiguous.
#[test]
fn a_custom_output_layer_after_a_normalized_identity_layer() {
    for norm in ["layer", "batch"] {
        let (code, out, err) = bplab(&[
            "check",
            "--layers",
            "3,4,2",
            "--activations",
            "identity,tanh",
            "--loss",
            "mse",
            "--norm",
            norm,
            "--input",
            "1,2,3;0,1,-1;2,0,1",
            "--target",
            "0.5,0.5;0,1;1,0",
            "--engine",
            "all",
        ]);
        assert_eq!(code, 0, "--norm {norm}: {err}\n{out}");
    }
}

#[test]
fn the_visualizer_shows_each_norm_layer() {
    let (code, out, err) = bplab(&[
        "viz",
        "--layers",
        "3,4,2",
        "--activations",
        "silu,identity",
        "--loss",
        "mse",
        "--norm",
        "batch",
        "--input",
        "1,2,3;0,1,-1;2,2,0",
        "--target",
        "0.5,0.5;0,1;1,0",
        "--engine",
        "manual,candle",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["network"]["norm"], "batch");
    let r = &v["results"][0];
    let norm = &r["layers"][0]["norm"];
    assert_eq!(norm["kind"], "batch");
    assert_eq!(norm["mean"]["shape"], serde_json::json!([4])); // per unit
    assert_eq!(norm["grad_beta"], r["grads"]["norm1.bias"]);
    // n̂ has zero mean per unit over the batch.
    let n_hat = tensor(&norm["n_hat"]);
    for u in 0..4 {
        let m: f64 = (0..3).map(|b| n_hat.data[b * 4 + u]).sum::<f64>() / 3.0;
        assert!(m.abs() < 1e-12, "unit {u}: {m}");
    }
    assert!(
        r["layers"][1]["norm"].is_null(),
        "the output layer is never normalized"
    );
    let (code, text, _) = bplab(&[
        "viz",
        "--layers",
        "3,4,2",
        "--activations",
        "silu,identity",
        "--loss",
        "mse",
        "--norm",
        "layer",
        "--input",
        "1,2,3;0,1,-1",
        "--target",
        "0.5,0.5;0,1",
        "--engine",
        "manual",
    ]);
    assert_eq!(code, 0);
    assert!(
        text.contains("NORM fc1 (layer norm") && text.contains("∂L/∂γ"),
        "{text}"
    );
}
