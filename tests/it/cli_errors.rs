//! Bad input, end to end through the binary: each mistake exits with status 2 and one line
//! on stderr that names the problem; none panics and nothing is printed on stdout.

use crate::common::cli::{assert_usage_error, bplab};
use bplab_core::{DType, ParamSet, Tensor};
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bplab-cli-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn seed_params() -> ParamSet {
    bplab_core::presets::Preset::SeedExample
        .fixed_params()
        .unwrap()
}

const NET: [&str; 6] = [
    "--layers",
    "2,3,1",
    "--activations",
    "sigmoid,sigmoid",
    "--loss",
    "mse",
];

/// `grads` on the seed network with `--params path` and the lesson's example.
fn with_params(path: &std::path::Path) -> Vec<&str> {
    with_net(&[
        "--params",
        path.to_str().unwrap(),
        "--input",
        "1,2",
        "--target",
        "0.5",
    ])
}

fn with_net<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["grads"];
    v.extend(NET);
    v.extend(extra);
    v
}

#[test]
fn network_description_errors() {
    assert_usage_error(
        &["grads", "--layers", "4,5,2", "--activations", "relu"],
        &["--activations", "need 2", "got 1"],
    );
    assert_usage_error(
        &["grads", "--layers", "4,5,2", "--activations", "relu,swishy"],
        &["unknown activation 'swishy'"],
    );
    assert_usage_error(
        &["grads", "--preset", "assignment", "--loss", "hinge"],
        &["unknown loss 'hinge'"],
    );
    assert_usage_error(
        &["grads", "--preset", "assignment", "--init", "glorot"],
        &["--init", "unknown scheme 'glorot'"],
    );
    assert_usage_error(
        &[
            "check",
            "--layers",
            "4,5,2",
            "--activations",
            "softmax,relu",
            "--loss",
            "mse",
        ],
        &["softmax", "output layer only"],
    );
    assert_usage_error(
        &[
            "grads",
            "--layers",
            "4,5,2",
            "--activations",
            "relu,sigmoid",
            "--loss",
            "cross-entropy",
        ],
        &["cross-entropy needs softmax"],
    );
    assert_usage_error(
        &[
            "grads",
            "--layers",
            "4,0,2",
            "--activations",
            "relu,softmax",
        ],
        &["width 0 at position 2"],
    );
    assert_usage_error(
        &[
            "grads",
            "--layers",
            "4,x,2",
            "--activations",
            "relu,softmax",
        ],
        &["--layers", "'x'"],
    );
    assert_usage_error(
        &[
            "grads",
            "--layers",
            "100000,100000,2",
            "--activations",
            "relu,softmax",
        ],
        &["width 100000"],
    );
    assert_usage_error(&["grads", "--layers", "4"], &["at least two widths"]);
    assert_usage_error(&["grads", "--preset", "nope"], &["unknown preset 'nope'"]);
    assert_usage_error(
        &["grads", "--engine", "tensorflow"],
        &["unknown engine 'tensorflow'"],
    );
    assert_usage_error(&["grads", "--dtype", "f16"], &["--dtype", "f16"]);
    assert_usage_error(&["grads", "--format", "xml"], &["--format", "xml"]);
    assert_usage_error(&["grads", "--bogus"], &["--bogus"]);
    assert_usage_error(&["check", "--atol", "-1"], &["--atol"]);
    let wide_input = vec!["0.5"; 400].join(",");
    assert_usage_error(
        &[
            "check",
            "--layers",
            "400,400,2",
            "--activations",
            "relu,softmax",
            "--input",
            &wide_input,
            "--target",
            "1,0",
        ],
        &["161202 elements to differentiate", "limit of 100000"],
    );
}

#[test]
fn params_file_errors() {
    let good = tmp("good.safetensors");
    seed_params().save(&good, DType::F64).unwrap();
    let (code, _, err) = bplab(&with_net(&[
        "--params",
        good.to_str().unwrap(),
        "--input",
        "1,2",
        "--target",
        "0.5",
    ]));
    assert_eq!(code, 0, "{err}");

    let mut missing = seed_params();
    let entries: Vec<(String, Tensor)> = missing
        .iter()
        .filter(|(n, _)| *n != "fc2.bias")
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    missing = ParamSet::from_entries(entries);
    let p = tmp("missing.safetensors");
    missing.save(&p, DType::F32).unwrap();
    assert_usage_error(&with_params(&p), &["missing tensor 'fc2.bias'", "[1]"]);

    let mut wrong = seed_params();
    wrong.get_mut("fc1.weight").unwrap().shape = vec![2, 3];
    let p = tmp("wrong.safetensors");
    wrong.save(&p, DType::F64).unwrap();
    assert_usage_error(
        &with_params(&p),
        &["fc1.weight", "[2, 3]", "expected [3, 2]"],
    );

    let bytes = std::fs::read(&good).unwrap();
    for (name, content) in [
        ("truncated.safetensors", &bytes[..bytes.len() - 5]),
        ("garbage.safetensors", &b"not a tensor file at all"[..]),
    ] {
        let p = tmp(name);
        std::fs::write(&p, content).unwrap();
        assert_usage_error(
            &with_net(&[
                "--params",
                p.to_str().unwrap(),
                "--input",
                "1,2",
                "--target",
                "0.5",
            ]),
            &[name, "not a valid safetensors file"],
        );
    }
    assert_usage_error(
        &with_net(&[
            "--params",
            "/nonexistent/w.safetensors",
            "--input",
            "1,2",
            "--target",
            "0.5",
        ]),
        &["/nonexistent/w.safetensors", "cannot read"],
    );
}

#[test]
fn batch_errors() {
    assert_usage_error(
        &with_net(&["--input", "1,2,3", "--target", "0.5"]),
        &["input rows have 3 values", "takes 2"],
    );
    assert_usage_error(
        &with_net(&["--input", "1,2", "--target", "0.5,1"]),
        &["target rows have 2 values"],
    );
    assert_usage_error(
        &with_net(&["--input", "1,NaN", "--target", "0.5"]),
        &["NaN", "finite"],
    );
    assert_usage_error(
        &with_net(&["--input", "1,inf", "--target", "0.5"]),
        &["inf", "finite"],
    );
    assert_usage_error(&with_net(&["--input", "1,2"]), &["--input needs --target"]);
    assert_usage_error(&with_net(&[]), &["no batch"]);
    let p = tmp("empty.json");
    std::fs::write(&p, r#"{"x": [], "y": []}"#).unwrap();
    assert_usage_error(
        &with_net(&["--batch", p.to_str().unwrap()]),
        &["batch is empty"],
    );
    let p = tmp("ragged.json");
    std::fs::write(&p, r#"{"x": [[1, 2], [3]], "y": [[0.5], [0.5]]}"#).unwrap();
    assert_usage_error(
        &with_net(&["--batch", p.to_str().unwrap()]),
        &["input row 1 has 1 values"],
    );
    let p = tmp("malformed.json");
    std::fs::write(&p, r#"{"x": [[1, 2]], "y": [[0.5]"#).unwrap();
    assert_usage_error(
        &with_net(&["--batch", p.to_str().unwrap()]),
        &["malformed batch JSON"],
    );
    assert_usage_error(
        &[
            "grads",
            "--preset",
            "assignment",
            "--input",
            "1,2,3,4",
            "--target",
            "-1,2",
        ],
        &["cross-entropy targets", "≥ 0"],
    );
}

#[test]
fn clap_messages_are_whole_on_one_line() {
    // A conflict names both flags (clap puts the second on a line of its own).
    assert_usage_error(
        &with_net(&["--batch", "b.json", "--input", "1,2", "--target", "0.5"]),
        &[
            "--batch <FILE.json>",
            "cannot be used with",
            "--input <ROWS>",
        ],
    );
    // A choice lists what it accepts.
    assert_usage_error(
        &["viz", "--color", "sometimes"],
        &["'sometimes'", "--color <WHEN>", "auto, always, never"],
    );
    // A library message is not prefixed with its flag a second time.
    let (_, _, err) = bplab(&["grads", "--dtype", "f16"]);
    assert_eq!(err.matches("--dtype").count(), 1, "{err}");
    assert!(err.contains("unknown dtype 'f16'"), "{err}");
}

#[test]
fn help_and_version_exit_zero() {
    let (code, out, _) = bplab(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("grads") && out.contains("check"));
    let (code, out, _) = bplab(&["grads", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--activations") && out.contains("--engine"));
    let (code, out, _) = bplab(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("bplab "), "{out}");
}
