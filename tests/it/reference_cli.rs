//! `bplab check --reference DIR` end to end: every engine agrees with a PyTorch fixture (also
//! where a framework's derivative at the ReLU kink differs, explained), a copy with one
//! gradient element altered fails naming that tensor, its worst element and both values, and a
//! malformed directory or a network flag next to `--reference` is one stderr line with exit 2.

use crate::common::cli::{assert_usage_error, bplab};
use crate::common::fixtures;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A fresh copy of fixture `name` in a temporary directory, with `case.json` passed through
/// `edit` (its text) first.
fn copy_fixture(name: &str, tag: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let src = fixtures::dir().join(name);
    let dst = std::env::temp_dir().join(format!("bplab-reference-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dst);
    std::fs::create_dir_all(&dst).unwrap();
    for f in ["params.safetensors", "batch.json"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    let case = std::fs::read_to_string(src.join("case.json")).unwrap();
    std::fs::write(dst.join("case.json"), edit(case)).unwrap();
    dst
}

/// `case.json` with `f` applied to its parsed document.
fn edit_json(f: impl FnOnce(&mut Value)) -> impl FnOnce(String) -> String {
    move |text| {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        f(&mut v);
        serde_json::to_string(&v).unwrap()
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_engine_agrees_with_a_pytorch_fixture() {
    let dir = fixtures::dir().join("assignment");
    let (code, out, err) = bplab(&["check", "--reference", path(&dir), "--engine", "all"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("reference: "), "{out}");
    assert!(out.contains("result: all 6 engine(s) agree"), "{out}");
    for e in bplab_harness::engines::ENGINE_NAMES {
        let rows = out
            .lines()
            .filter(|l| l.starts_with(&format!("{e} ")) && l.contains(" reference "))
            .filter(|l| l.trim_end().ends_with("ok"))
            .count();
        assert_eq!(
            rows, 7,
            "{e}: loss + 6 tensors against the reference: {out}"
        );
    }
    // f32 and JSON, with ∂L/∂x compared too.
    let (code, out, err) = bplab(&[
        "check",
        "--reference",
        path(&dir),
        "--dtype",
        "f32",
        "--inputs",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reference"]["name"], "assignment");
    assert_eq!(v["tolerances"]["reference"]["rtol"], 1e-4);
    let against_ref: Vec<&str> = v["results"][0]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["against"] == "reference")
        .map(|c| c["tensor"].as_str().unwrap())
        .collect();
    assert_eq!(
        against_ref.len(),
        8,
        "loss, 6 tensors, input: {against_ref:?}"
    );
    assert!(against_ref.contains(&"input"), "{against_ref:?}");
}

#[test]
fn a_kink_convention_difference_from_the_reference_is_explained() {
    let dir = fixtures::dir().join("leaky-relu-at-zero-live-output");
    let (code, out, err) = bplab(&["check", "--reference", path(&dir), "--engine", "candle"]);
    assert_eq!(code, 0, "{out}{err}");
    let explained = out
        .lines()
        .filter(|l| {
            l.contains(" reference ") && l.ends_with("differs (explained: leaky_relu'(0) = 0.505)")
        })
        .count();
    assert_eq!(explained, 2, "fc1.weight and fc1.bias: {out}");
}

#[test]
fn an_altered_gradient_element_fails_naming_the_tensor() {
    let dir = copy_fixture(
        "assignment",
        "altered",
        edit_json(|v| v["grads"]["fc2.weight"]["data"][3] = 0.5.into()),
    );
    let (code, out, err) = bplab(&["check", "--reference", path(&dir), "--engine", "manual"]);
    assert_eq!(code, 1, "{out}{err}");
    let row = out
        .lines()
        .find(|l| {
            l.split_whitespace()
                .take(3)
                .eq(["manual", "fc2.weight", "reference"])
        })
        .unwrap_or_else(|| panic!("no fc2.weight reference row: {out}"));
    assert!(row.contains("FAIL (1 of 15)"), "{row}");
    assert!(row.contains("[0, 3]") && row.contains("5e-1"), "{row}");
    let others = out
        .lines()
        .filter(|l| l.contains(" reference ") && l.contains("FAIL"))
        .count();
    assert_eq!(others, 1, "only fc2.weight fails: {out}");
    assert!(out.contains("result: MISMATCH in manual"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_malformed_reference_is_one_line_and_exit_2() {
    let check = |dir: &Path, needles: &[&str]| {
        assert_usage_error(&["check", "--reference", path(dir)], needles);
    };
    let missing = copy_fixture("seed-example", "missing", |t| t);
    std::fs::remove_file(missing.join("case.json")).unwrap();
    check(&missing, &["case.json", "cannot read"]);
    let broken = copy_fixture("seed-example", "broken", |t| {
        t.replace("\"grads\"", "grads")
    });
    check(&broken, &["case.json", "malformed JSON"]);
    let shape = copy_fixture(
        "seed-example",
        "shape",
        edit_json(|v| v["grads"]["fc1.weight"]["shape"] = serde_json::json!([2, 3])),
    );
    check(
        &shape,
        &["case.json", "grads.fc1.weight", "[2, 3]", "[3, 2]"],
    );
    let unknown = copy_fixture(
        "seed-example",
        "unknown",
        edit_json(|v| v["grads"]["fc9.bias"] = v["grads"]["fc2.bias"].clone()),
    );
    check(&unknown, &["case.json", "unknown tensor 'fc9.bias'"]);
    let nan = copy_fixture(
        "seed-example",
        "nan",
        edit_json(|v| v["grads"]["fc2.bias"]["data"][0] = "NaN".into()),
    );
    check(&nan, &["case.json", "grads.fc2.bias", "NaN", "finite"]);
    let params = copy_fixture("seed-example", "params", |t| t);
    std::fs::remove_file(params.join("params.safetensors")).unwrap();
    check(&params, &["params.safetensors", "cannot read"]);
    let batch = copy_fixture("seed-example", "batch", |t| t);
    std::fs::write(
        batch.join("batch.json"),
        r#"{"x": [[1, 2, 3]], "y": [[0.5]]}"#,
    )
    .unwrap();
    check(&batch, &["batch.json", "3 values"]);
    for d in [missing, broken, shape, unknown, nan, params, batch] {
        let _ = std::fs::remove_dir_all(d);
    }
    let dir = fixtures::dir().join("seed-example");
    for flag in [
        ["--layers", "2,3,1"],
        ["--preset", "assignment"],
        ["--seed", "1"],
    ] {
        let mut args = vec!["check", "--reference", path(&dir)];
        args.extend(flag);
        assert_usage_error(&args, &["'--reference <DIR>' cannot be used with", flag[0]]);
    }
}
