//! `bplab viz` end to end: its JSON trace carries exactly the numbers `bplab grads` prints for
//! every engine (loss, ŷ, every parameter gradient) and the engines' own forward values; the
//! terminal view shows the lesson's worked example, the flow strip with its colour rules and
//! the vanishing/exploding labels; `--html` writes one self-contained page.

use bplab_core::json::{parse_number, parse_tensor};
use bplab_core::{Comparison, Tensor, Tolerance};
use bplab_harness::engines;
use serde_json::Value;
use std::process::Command;

/// One process against another running the same engine on the same input.
const SAME: Tolerance = Tolerance::EXACT_F64;

fn bplab(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bplab"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().expect("exited"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(args: &[&str]) -> Value {
    let (code, out, err) = bplab(args, &[]);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
}

#[track_caller]
fn assert_tensor(name: &str, got: &Value, want: &Value) {
    let (g, w) = (parse_tensor(got).unwrap(), parse_tensor(want).unwrap());
    let c = Comparison::new(name, &g, &w, SAME, None);
    assert!(c.passed(), "{c}");
}

#[track_caller]
fn assert_scalar(name: &str, got: &Value, want: &Value) {
    let c = Comparison::scalar(
        name,
        parse_number(got).unwrap(),
        parse_number(want).unwrap(),
        SAME,
    );
    assert!(c.passed(), "{c}");
}

/// The trace's loss, ŷ and gradients equal `bplab grads`, for every engine and network.
#[test]
fn viz_json_equals_grads_for_every_engine() {
    let nets: [&[&str]; 3] = [
        &["--preset", "seed-example"],
        &["--preset", "assignment"],
        &[
            "--layers",
            "3,4,4,2",
            "--activations",
            "gelu,tanh,identity",
            "--loss",
            "mse",
            "--residual",
            "--input",
            "0.3,-1,2;1,0.5,-0.2",
            "--target",
            "1,0;0,1",
        ],
    ];
    for net in nets {
        for engine in engines::built_in() {
            let mut args = vec!["--engine", engine, "--format", "json"];
            args.extend_from_slice(net);
            let viz = json_of(&[&["viz"], &args[..]].concat());
            let grads = json_of(&[&["grads"], &args[..]].concat());
            let (v, g) = (&viz["results"][0], &grads["results"][0]);
            let what = format!("{engine} {net:?}");
            assert_eq!(v["engine"], engine, "{what}");
            assert_scalar(&format!("{what} loss"), &v["loss"], &g["loss"]);
            assert_tensor(&format!("{what} ŷ"), &v["output"], &g["output"]);
            let names: Vec<&String> = g["grads"].as_object().unwrap().keys().collect();
            assert_eq!(
                names,
                v["grads"].as_object().unwrap().keys().collect::<Vec<_>>()
            );
            for (l, layer) in v["layers"].as_array().unwrap().iter().enumerate() {
                let k = l + 1;
                assert_tensor(
                    &format!("{what} fc{k}.weight"),
                    &layer["grad_weight"],
                    &g["grads"][format!("fc{k}.weight")],
                );
                assert_tensor(
                    &format!("{what} fc{k}.bias"),
                    &layer["grad_bias"],
                    &g["grads"][format!("fc{k}.bias")],
                );
            }
            let last = v["layers"].as_array().unwrap().last().unwrap();
            assert_tensor(&format!("{what} h_L = ŷ"), &last["h"], &g["output"]);
            // burn keeps only leaf gradients: its δ is absent, never made up.
            let has_delta = !engine.starts_with("burn");
            for layer in v["layers"].as_array().unwrap() {
                assert_eq!(!layer["delta"].is_null(), has_delta, "{what} δ");
            }
        }
    }
}

/// With every engine, the trace compares each tensor with the first engine's and says
/// which tensors an engine does not expose.
#[test]
fn all_engines_agree_per_tensor() {
    let v = json_of(&[
        "viz",
        "--preset",
        "assignment",
        "--engine",
        "all",
        "--format",
        "json",
    ]);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), engines::built_in().len());
    let agreement = v["agreement"].as_array().unwrap();
    // loss, z/h per layer, δ/∂W/∂b per layer.
    assert_eq!(agreement.len(), 1 + 3 * 2 + 3 * 3);
    for a in agreement {
        let tensor = a["tensor"].as_str().unwrap();
        for (engine, verdict) in a["engines"].as_object().unwrap() {
            if tensor.starts_with("delta") && engine.starts_with("burn") {
                assert!(verdict["agree"].is_null(), "{tensor} {engine}: {verdict}");
                assert!(verdict["note"].as_str().unwrap().contains("exposes no δ"));
            } else {
                assert_eq!(verdict["agree"], true, "{tensor} {engine}: {verdict}");
            }
        }
    }
    // The δs of the manual engine are the candle engine's.
    if engines::built_in().contains(&"candle") {
        let candle = results.iter().find(|r| r["engine"] == "candle").unwrap();
        for (l, layer) in results[0]["layers"].as_array().unwrap().iter().enumerate() {
            assert_tensor(
                &format!("δ{}", l + 1),
                &candle["layers"][l]["delta"],
                &layer["delta"],
            );
        }
    }
}

/// The lesson's worked example: ŷ 0.6572, loss 0.0124, ∂L/∂W2 sums to 0.0639 and ∂L/∂W1 to
/// 0.0197 (the lesson prints four decimals; here every digit of the f64 values).
#[test]
fn seed_example_shows_the_lessons_numbers() {
    let (code, out, err) = bplab(
        &[
            "viz",
            "--preset",
            "seed-example",
            "--engine",
            "all",
            "--color",
            "never",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    for needle in [
        "FORWARD",
        "BACKWARD",
        "GRADIENT FLOW",
        "ŷ[ex 0] = [0.6572326668298718]",
        "loss = 0.012361055759216734",
        "sum ∂L/∂W2 = 0.0639117200409",
        "sum ∂L/∂W1 = 0.0196638781692",
        "burn-ndarray exposes no δ",
        "AGREEMENT with manual (all agree",
    ] {
        assert!(out.contains(needle), "'{needle}' missing from:\n{out}");
    }
    assert!(!out.contains('\x1b'), "colour with --color never:\n{out}");
    // The lesson's δ₂ = (ŷ − y) σ'(ŷ), by hand from the printed ŷ.
    let y_hat = 0.6572326668298718_f64;
    let delta2 = (y_hat - 0.5) * y_hat * (1.0 - y_hat);
    let v = json_of(&[
        "viz",
        "--preset",
        "seed-example",
        "--engine",
        "manual",
        "--format",
        "json",
    ]);
    let d = parse_tensor(&v["results"][0]["layers"][1]["delta"]).unwrap();
    let want = Tensor::new(vec![1, 1], vec![delta2]).unwrap();
    let c = Comparison::new("δ2", &d, &want, Tolerance::new(1e-16, 1e-13), None);
    assert!(c.passed(), "{c}");
}

#[test]
fn the_flow_strip_is_coloured_only_when_asked() {
    let args = ["viz", "--preset", "seed-example", "--engine", "manual"];
    let (_, always, _) = bplab(&[&args[..], &["--color", "always"]].concat(), &[]);
    assert!(always.contains("\x1b[48;2;"), "{always}");
    // Not a terminal (a pipe), and NO_COLOR: plain text either way.
    let (_, auto, _) = bplab(&args, &[]);
    let (_, no_color, _) = bplab(&args, &[("NO_COLOR", "1")]);
    assert!(!auto.contains('\x1b') && !no_color.contains('\x1b'));
    assert!(auto.contains("fc1   |#"), "{auto}");
    let (code, _, err) = bplab(&[&args[..], &["--color", "sometimes"]].concat(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--color"), "{err}");
}

#[test]
fn vanishing_and_exploding_layers_are_labelled() {
    let sig = ["sigmoid"; 15].join(",");
    let widths = format!("4,{}1", "16,".repeat(14));
    let (code, out, err) = bplab(
        &[
            "viz",
            "--engine",
            "manual",
            "--layers",
            &widths,
            "--activations",
            &sig,
            "--loss",
            "mse",
            "--seed",
            "7",
            "--input",
            "0.5,-1,1.5,2",
            "--target",
            "1",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let strip = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(name) && l.contains("‖∂L/∂W‖"))
            .unwrap()
            .to_string()
    };
    let fc1 = strip("fc1 ");
    assert!(fc1.contains("VANISHING"), "{out}");
    let fc15 = strip("fc15 ");
    assert!(!fc15.contains("VANISHING"), "{out}");

    let relu = format!("{},identity", ["relu"; 6].join(","));
    let widths = format!("8,{}4", "64,".repeat(6));
    let v = json_of(&[
        "viz",
        "--engine",
        "manual",
        "--format",
        "json",
        "--layers",
        &widths,
        "--activations",
        &relu,
        "--loss",
        "mse",
        "--init",
        "normal:1",
        "--seed",
        "1",
        "--input",
        "1,-0.5,0.3,0.8,-1.2,0.1,0.6,-0.9",
        "--target",
        "0,1,0,-1",
    ]);
    let flow = v["flow"]["layers"].as_array().unwrap();
    assert!(flow.iter().any(|f| f["status"] == "exploding"), "{flow:?}");
    for f in flow {
        let norm = parse_number(&f["grad_norm"]).unwrap();
        assert_eq!(f["status"] == "exploding", norm > 1e3, "{f}");
    }
}

#[test]
fn html_export_is_one_self_contained_file() {
    let dir = std::env::temp_dir().join(format!("bplab-viz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("trace.html");
    let (code, out, err) = bplab(
        &[
            "viz",
            "--preset",
            "seed-example",
            "--engine",
            "manual",
            "--html",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote "), "{out}");
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.contains("window.BPLAB_TRACE = {"));
    assert!(page.contains("0.012361055759216734"));
    assert!(!page.contains("src=\"app.js\"") && !page.contains("href=\"app.css\""));
    let rest = page.replace("http://www.w3.org/2000/svg", "");
    assert!(!rest.contains("http://") && !rest.contains("https://"));
    let (code, _, err) = bplab(
        &[
            "viz",
            "--preset",
            "seed-example",
            "--html",
            "/nonexistent-dir/x.html",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `∂L/∂h_l` of the trace (derived from the `δ`s and weights, through residual paths) obeys
/// the chain rule at every tanh layer: `δ_l = ∂L/∂h_l ⊙ (1 − tanh²(z_l))`.
#[test]
fn grad_h_is_consistent_with_the_deltas() {
    let v = json_of(&[
        "viz",
        "--engine",
        "manual",
        "--format",
        "json",
        "--layers",
        "3,4,4,4,2",
        "--activations",
        "tanh,tanh,tanh,identity",
        "--loss",
        "mse",
        "--residual",
        "--input",
        "0.3,-1,2;1,0.5,-0.2",
        "--target",
        "1,0;0,1",
    ]);
    let layers = v["results"][0]["layers"].as_array().unwrap();
    assert_eq!(layers[1]["residual"], true);
    for (l, layer) in layers[..3].iter().enumerate() {
        let z = parse_tensor(&layer["z"]).unwrap();
        let gh = parse_tensor(&layer["grad_h"]).unwrap();
        let delta = parse_tensor(&layer["delta"]).unwrap();
        let data = gh
            .data
            .iter()
            .zip(&z.data)
            .map(|(g, z)| g * (1.0 - z.tanh() * z.tanh()))
            .collect();
        let want = Tensor::new(gh.shape.clone(), data).unwrap();
        let c = Comparison::new(&format!("δ{}", l + 1), &delta, &want, SAME, None);
        assert!(c.passed(), "{c}");
    }
}
