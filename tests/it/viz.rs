//! `bplab viz` end to end: its JSON trace carries exactly the numbers `bplab grads` prints for
//! every engine (loss, ŷ, every parameter gradient) and the engines' own forward values; the
//! terminal view shows the lesson's worked example, the flow strip with its colour rules and
//! the vanishing/exploding labels; `--html` writes one self-contained page.

use bplab_core::json::{parse_number, parse_tensor};
use bplab_core::{Comparison, Tensor, Tolerance};
use bplab_harness::engines;
use serde_json::{json, Value};
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

/// The numbers after `prefix` on the line that starts with it, at or after line `from`.
fn numbers_after(lines: &[&str], from: usize, prefix: &str) -> Vec<f64> {
    let line = lines[from..]
        .iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| {
            panic!(
                "no line '{prefix}' after line {from}:\n{}",
                lines.join("\n")
            )
        });
    line[prefix.len()..]
        .split_whitespace()
        .map(|w| w.parse().unwrap_or_else(|_| panic!("'{w}' in '{line}'")))
        .collect()
}

/// A network with LayerNorm or BatchNorm: the trace's `μ`, `σ²`, `n̂` are those of the engine's
/// own `h = silu(γ ⊙ n̂ + β)` (γ = 1, β = 0 at init), its `∂L/∂γ`, `∂L/∂β` are `bplab grads`'s;
/// the terminal prints those numbers (10 significant digits) and the flow strip `‖∂L/∂γ‖`,
/// `‖∂L/∂β‖` beside `‖∂L/∂W‖`, `‖∂L/∂b‖` (3 digits); every engine agrees on `∂L/∂γ`, `∂L/∂β`;
/// the HTML export embeds the same trace and the page's normalization view.
#[test]
fn norm_layers_show_the_traces_values_in_the_terminal_and_the_export() {
    let printed = Tolerance::new(1e-15, 1e-9);
    let three_digits = Tolerance::new(0.0, 5e-3);
    let dir = std::env::temp_dir().join(format!("bplab-viz-norm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for norm in ["layer", "batch"] {
        let net = [
            "--layers",
            "3,4,4,2",
            "--activations",
            "silu,silu,softmax",
            "--loss",
            "cross-entropy",
            "--norm",
            norm,
            "--input",
            "0.3,-1,2;1,0.5,-0.2;-0.7,0.2,1.1",
            "--target",
            "1,0;0,1;0.5,0.5",
        ];
        fn viz<'a>(net: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
            [&["viz"], net, extra].concat()
        }
        let with = |extra| viz(&net, extra);
        let v = json_of(&with(&["--engine", "all", "--format", "json"]));
        let grads = json_of(&[&["grads"], &net[..], &["--format", "json"]].concat());
        assert_eq!(v["network"]["norm"], norm);
        let layers = v["results"][0]["layers"].as_array().unwrap();
        assert!(
            layers[2]["norm"].is_null(),
            "the output layer is never normalized"
        );

        let (code, term, err) = bplab(&with(&["--engine", "manual", "--color", "never"]), &[]);
        assert_eq!(code, 0, "{err}");
        let lines: Vec<&str> = term.lines().collect();
        for (l, layer) in layers[..2].iter().enumerate() {
            let k = l + 1;
            let what = |t: &str| format!("{norm} fc{k} {t}");
            let nv = &layer["norm"];
            assert_eq!(nv["kind"], norm);
            let t = |key: &str| parse_tensor(&nv[key]).unwrap();
            let (mean, var, n_hat) = (t("mean"), t("var"), t("n_hat"));
            assert_eq!(mean.shape, [if norm == "layer" { 3 } else { 4 }]);
            // The engine's h is silu(n̂) at init: the trace's statistics are the forward's.
            let h = parse_tensor(&layer["h"]).unwrap();
            let silu = n_hat.data.iter().map(|n| n / (1.0 + (-n).exp())).collect();
            let silu = Tensor::new(n_hat.shape.clone(), silu).unwrap();
            let c = Comparison::new(&what("silu(n̂)"), &silu, &h, Tolerance::EXACT_F64, None);
            assert!(c.passed(), "{c}");
            // ∂L/∂γ, ∂L/∂β are `bplab grads`'s norm{k}.weight, norm{k}.bias.
            for (key, name) in [("grad_gamma", "weight"), ("grad_beta", "bias")] {
                let want = &grads["results"][0]["grads"][format!("norm{k}.{name}")];
                assert_tensor(&what(key), &nv[key], want);
            }
            // The terminal's NORM block prints the same numbers.
            let at = lines
                .iter()
                .position(|s| s.starts_with(&format!("NORM fc{k} ({norm} norm")))
                .unwrap_or_else(|| panic!("no NORM fc{k} in:\n{term}"));
            let shown = |prefix: &str, want: &Tensor| {
                let got = numbers_after(&lines, at, prefix);
                let got = Tensor::new(want.shape.clone(), got).unwrap();
                let c = Comparison::new(&what(prefix), &got, want, printed, None);
                assert!(c.passed(), "{c}\n{term}");
            };
            shown("μ   ", &mean);
            shown("σ²  ", &var);
            shown("∂L/∂γ  ", &t("grad_gamma"));
            shown("∂L/∂β  ", &t("grad_beta"));
            for b in 0..3 {
                let row = n_hat.data[b * 4..(b + 1) * 4].to_vec();
                shown(&format!("n̂[ex {b}]  "), &Tensor::new(vec![4], row).unwrap());
            }
        }
        // The flow: W, b per layer, γ, β of the hidden ones, each ‖∂L/∂θ‖ of the gradients.
        let flow = v["flow"]["layers"].as_array().unwrap();
        let strip = &term[term.find("GRADIENT FLOW").unwrap()..];
        for (l, f) in flow.iter().enumerate() {
            let k = l + 1;
            let mut want = vec![(format!("fc{k}.weight"), "W"), (format!("fc{k}.bias"), "b")];
            if l < 2 {
                want.push((format!("norm{k}.weight"), "γ"));
                want.push((format!("norm{k}.bias"), "β"));
            }
            let params = f["params"].as_array().unwrap();
            assert_eq!(params.len(), want.len(), "{norm} {f}");
            for (p, (name, symbol)) in params.iter().zip(&want) {
                assert_eq!((&p["name"], &p["symbol"]), (&json!(name), &json!(symbol)));
                let g = parse_tensor(&grads["results"][0]["grads"][name]).unwrap();
                let norm_json = parse_number(&p["grad_norm"]).unwrap();
                let c = Comparison::scalar(name, norm_json, g.norm(), Tolerance::EXACT_F64);
                assert!(c.passed(), "{norm} flow {c}");
                if *symbol == "W" {
                    continue;
                }
                let line = strip
                    .lines()
                    .find(|s| s.ends_with(&format!(" {name}")))
                    .unwrap_or_else(|| panic!("no flow line for {name}:\n{strip}"));
                let words: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(words[0], *symbol, "{line}");
                let i = words.iter().position(|w| w.starts_with("‖∂L/∂")).unwrap();
                assert_eq!(words[i], format!("‖∂L/∂{symbol}‖"), "{line}");
                let shown: f64 = words[i + 1].parse().unwrap();
                let c = Comparison::scalar(name, shown, g.norm(), three_digits);
                assert!(c.passed(), "{norm} strip {c}\n{line}");
            }
        }
        // Every engine agrees with the manual one on ∂L/∂γ and ∂L/∂β.
        let agreement = v["agreement"].as_array().unwrap();
        for name in ["norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"] {
            let a = agreement
                .iter()
                .find(|a| a["tensor"] == format!("grad {name}"))
                .unwrap_or_else(|| panic!("{norm}: no agreement row for {name}"));
            for (engine, verdict) in a["engines"].as_object().unwrap() {
                assert_eq!(verdict["agree"], true, "{norm} {name} {engine}: {verdict}");
            }
        }
        // The export embeds this trace and the page's normalization view draws it.
        let file = dir.join(format!("{norm}.html"));
        let extra = ["--engine", "manual", "--html", file.to_str().unwrap()];
        let args = with(&extra);
        let (code, _, err) = bplab(&args, &[]);
        assert_eq!(code, 0, "{err}");
        let page = std::fs::read_to_string(&file).unwrap();
        assert!(page.contains(r#"<section id="norm-view" hidden>"#));
        assert!(page.contains("function drawNorm(t)"));
        let start = page.find("window.BPLAB_TRACE = ").unwrap() + "window.BPLAB_TRACE = ".len();
        let end = start + page[start..].find(";</script>").unwrap();
        let embedded: Value =
            serde_json::from_str(&page[start..end].replace("<\\/", "</")).unwrap();
        let manual = json_of(&with(&["--engine", "manual", "--format", "json"]));
        assert_eq!(embedded["results"], manual["results"], "{norm}");
        assert_eq!(embedded["flow"], manual["flow"], "{norm}");
        assert_eq!(embedded["results"][0]["layers"], v["results"][0]["layers"]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
