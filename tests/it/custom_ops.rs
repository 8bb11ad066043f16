//! The lesson's "common mistake" made visible: the manual engine's fused layer runs inside burn
//! and candle as a custom autograd op (`burn-custom`, `candle-custom`); with the `σ'` factor
//! planted out of its backward ([`Fault::MissingActivationDerivative`]), `bplab check` must flag
//! exactly the parameters of the layers that run as the custom op — never the framework's own
//! layers — and name the worst element of each. With the correct backward both engines pass.
//! (The correct engines are also covered by every cross-engine test: `tests/it/engines.rs`,
//! `tests/it/check_all.rs` and the PyTorch fixtures.)

// (needs the burn and candle engines: built by default)

use crate::common::cli::bplab;
use bplab_burn::BurnEngine;
use bplab_candle::CandleEngine;
use bplab_core::{DType, Engine};
use bplab_harness::check::{self, CheckConfig, CheckReport};
use bplab_harness::netargs::{NetArgs, Resolved};
use bplab_manual::{CustomOps, Fault};

fn engines(fault: Fault) -> Vec<Box<dyn Engine>> {
    let custom = CustomOps { fault };
    vec![
        Box::new(BurnEngine::custom(custom)),
        Box::new(CandleEngine::custom(custom)),
    ]
}

fn resolve(args: NetArgs) -> Resolved {
    args.resolve().unwrap()
}

/// The assignment network (relu, tanh, softmax + cross-entropy) with its default weights.
fn assignment() -> Resolved {
    resolve(NetArgs {
        preset: Some(bplab_core::presets::Preset::Assignment),
        ..NetArgs::default()
    })
}

/// An mse network where every layer is a custom op (batch of 4, non-square layers).
fn all_custom_mse() -> Resolved {
    use bplab_core::Activation::{Sigmoid, Tanh};
    resolve(NetArgs {
        layers: Some(vec![4, 6, 5, 3]),
        activations: Some(vec![Tanh, Sigmoid, Tanh]),
        loss: Some(bplab_core::Loss::Mse),
        input: Some("0.5,-1.2,0.3,2.0;1.0,0.1,-0.7,0.4;-0.3,0.8,1.5,-1.1;0.9,-0.4,0.2,0.6".into()),
        target: Some("0.1,0.5,-0.2;0.3,-0.6,0.4;0.0,0.2,0.9;-0.5,0.1,0.3".into()),
        ..NetArgs::default()
    })
}

fn run(r: &Resolved, fault: Fault) -> (CheckReport, String) {
    let report = check::run(&engines(fault), r, &CheckConfig::new(DType::F64)).unwrap();
    let table = check::to_table(r, &report);
    (report, table)
}

/// The parameter tensors whose comparisons failed, per reference (`fd`, `manual`).
fn flagged(report: &CheckReport, engine: &str) -> (Vec<String>, Vec<String>) {
    let e = report.engines.iter().find(|e| e.engine == engine).unwrap();
    let names = |cs: &[bplab_core::Comparison]| {
        cs.iter()
            .filter(|c| !c.passed() && c.name.starts_with("fc"))
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    (names(&e.vs_fd), names(&e.vs_manual))
}

#[test]
fn the_correct_custom_ops_pass_the_check() {
    for r in [assignment(), all_custom_mse()] {
        let (report, table) = run(&r, Fault::None);
        assert!(report.passed(), "{table}");
        assert!(table.contains("result: all 2 engine(s) agree"), "{table}");
    }
}

#[test]
fn a_missing_sigma_prime_is_flagged_on_exactly_the_custom_layers() {
    for (r, covered) in [
        // Cross-entropy: the output layer stays the framework's own Linear + log_softmax.
        (
            assignment(),
            vec!["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
        ),
        // Mse: every layer is the custom op.
        (
            all_custom_mse(),
            vec![
                "fc1.weight",
                "fc1.bias",
                "fc2.weight",
                "fc2.bias",
                "fc3.weight",
                "fc3.bias",
            ],
        ),
    ] {
        let spec = r.network.spec();
        assert_eq!(CustomOps::CORRECT.covered_params(spec), covered);
        let (report, table) = run(&r, Fault::MissingActivationDerivative);
        // `cargo test --test it custom_ops:: -- --nocapture` shows the table `bplab check` prints.
        println!("{table}");
        assert!(!report.passed(), "{table}");
        assert!(
            table.contains("result: MISMATCH in burn-custom, candle-custom"),
            "{table}"
        );
        for engine in ["burn-custom", "candle-custom"] {
            let (vs_fd, vs_manual) = flagged(&report, engine);
            assert_eq!(vs_fd, covered, "{engine} vs finite differences:\n{table}");
            assert_eq!(vs_manual, covered, "{engine} vs manual:\n{table}");
            // Each flagged tensor's row names the worst element with both values.
            let e = report.engines.iter().find(|e| e.engine == engine).unwrap();
            for c in e.vs_fd.iter().filter(|c| !c.passed()) {
                let w = c
                    .worst
                    .as_ref()
                    .expect("a failed comparison has a worst element");
                assert!((w.got - w.want).abs() > 0.0);
                let line = table
                    .lines()
                    .find(|l| {
                        let cols: Vec<&str> = l.split_whitespace().collect();
                        cols.len() > 3 && cols[..3] == [engine, c.name.as_str(), "fd"]
                    })
                    .unwrap_or_else(|| panic!("no row {engine} {}:\n{table}", c.name));
                assert!(line.contains(&format!("{:?}", w.index)), "{line}");
                assert!(line.contains(&format!("{:e}", w.got)), "{line}");
                assert!(line.contains(&format!("{:e}", w.want)), "{line}");
                assert!(line.contains("FAIL ("), "{line}");
            }
        }
    }
}

#[test]
fn other_planted_bugs_are_flagged_too() {
    // The transpose bug corrupts only ∂L/∂h_prev, so the first custom layer's own gradients
    // (fed by the layers above) are wrong while the top custom layer's are right.
    let r = all_custom_mse();
    let (report, table) = run(&r, Fault::MissingTranspose);
    for engine in ["burn-custom", "candle-custom"] {
        let (vs_fd, _) = flagged(&report, engine);
        assert_eq!(
            vs_fd,
            ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
            "{engine}:\n{table}"
        );
    }
    let (report, table) = run(&r, Fault::BiasSummedNotAveraged);
    for engine in ["burn-custom", "candle-custom"] {
        let (vs_fd, _) = flagged(&report, engine);
        assert_eq!(
            vs_fd,
            ["fc1.bias", "fc2.bias", "fc3.bias"],
            "{engine}:\n{table}"
        );
    }
}

#[test]
fn bplab_check_plant_shows_the_mistake_from_the_command_line() {
    let (code, out, err) = bplab(&[
        "check",
        "--preset",
        "assignment",
        "--plant",
        "missing-activation-derivative",
    ]);
    assert_eq!(code, 1, "a failed check exits 1: {out}{err}");
    assert!(out.starts_with(
        "planted fault: missing-activation-derivative in the hand-written backward of manual, burn-custom, candle-custom"
    ), "{out}");
    let result = |engine: &str, tensor: &str| -> String {
        out.lines()
            .find(|l| l.split_whitespace().take(3).eq([engine, tensor, "fd"]))
            .unwrap_or_else(|| panic!("{engine} {tensor}: {out}"))
            .to_string()
    };
    for engine in ["burn-custom", "candle-custom"] {
        for t in ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] {
            assert!(result(engine, t).contains("FAIL ("), "{engine} {t}: {out}");
        }
        for t in ["fc3.weight", "fc3.bias"] {
            assert!(result(engine, t).ends_with("ok"), "{engine} {t}: {out}");
        }
    }
    // The manual engine fails the same way: its output layer's δ is softmax + cross-entropy
    // fused (`ŷ − y`), which has no σ' factor to forget.
    assert!(result("manual", "fc1.weight").contains("FAIL ("), "{out}");
    assert!(result("manual", "fc3.weight").ends_with("ok"), "{out}");
    assert!(out.contains("result: MISMATCH in manual, burn-custom, candle-custom"));

    let (code, out, _) = bplab(&[
        "check",
        "--preset",
        "assignment",
        "--engine",
        "candle-custom",
        "--plant",
        "none",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = bplab(&[
        "check",
        "--preset",
        "assignment",
        "--engine",
        "burn-custom",
        "--plant",
        "missing-transpose",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["planted"], "missing-transpose");
}

#[test]
fn bplab_check_plant_usage_errors() {
    for (args, want) in [
        (
            vec!["check", "--preset", "assignment", "--plant", "typo"],
            "invalid value 'typo' for '--plant <FAULT>': unknown fault 'typo' (expected one of: missing-activation-derivative, missing-transpose, bias-summed, wrong-softmax-jacobian)",
        ),
        (
            vec!["check", "--preset", "assignment", "--engine", "candle", "--plant", "missing-transpose"],
            "--plant: 'candle' differentiates with its framework's own backward; a fault can be planted only in manual, burn-custom or candle-custom",
        ),
    ] {
        let (code, out, err) = bplab(&args);
        assert_eq!(code, 2, "{out}{err}");
        assert_eq!(out, "");
        assert_eq!(err.trim_end(), format!("error: {want}"), "{err}");
    }
}

#[test]
fn bplab_check_plant_says_when_the_fault_changes_no_gradient() {
    // The seed example has a batch of one: summing the bias gradient over it is averaging.
    let args = [
        "check",
        "--preset",
        "seed-example",
        "--plant",
        "bias-summed",
    ];
    let (code, out, err) = bplab(&args);
    assert_eq!(code, 0, "the check itself passes: {out}{err}");
    let line = out.lines().nth(1).unwrap_or_default();
    assert_eq!(
        line,
        "planted fault: bias-summed changes no gradient of this network and batch (the manual engine's gradients with and without it are bit-for-bit identical), so the check cannot see it",
        "{out}"
    );
    let (code, out, _) = bplab(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["planted"], "bias-summed");
    assert_eq!(v["plant_effect"], "none");
    // With a batch of two the same fault is visible, and not flagged as invisible.
    let two = ["--input", "1,2;0.5,-1", "--target", "0.5;0.2"];
    let (code, out, _) = bplab(&[&args[..], &two].concat());
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("changes no gradient"), "{out}");
    let (_, out, _) = bplab(&[&args[..], &two, &["--format", "json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["plant_effect"], "changes gradients");
}
