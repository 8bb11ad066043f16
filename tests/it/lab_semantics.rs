//! `bplab lab semantics` from the command line: the table names every framework and scenario
//! and exits 0 (every cell's values are what its text says), `--format json` prints the
//! document it wrote, and a micro-batch count that does not divide the batch is a usage error.

use crate::common::cli::{assert_usage_error, bplab};

#[test]
fn lab_semantics_prints_the_table_and_json() {
    let out = std::env::temp_dir().join(format!("bplab-lab-semantics-{}", std::process::id()));
    let dir = out.to_str().unwrap();
    let (code, stdout, stderr) = bplab(&["lab", "semantics", "--quick", "--out", dir]);
    assert_eq!(code, 0, "{stderr}");
    for want in [
        "PyTorch",
        "burn-ndarray",
        "burn-flex",
        "candle",
        "backward twice on the same loss",
        "gradient of a non-leaf",
        "runs but wrong: 4x instead of 6x",
    ] {
        assert!(stdout.contains(want), "{want}: {stdout}");
    }
    assert!(out.join("semantics.csv").is_file() && out.join("semantics.json").is_file());
    let (code, json, stderr) = bplab(&[
        "lab",
        "semantics",
        "--quick",
        "--format",
        "json",
        "--out",
        dir,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 9);
    assert_eq!(v["consistent"], serde_json::Value::Bool(true));
    assert_eq!(v["manual_hvp"]["passed"], serde_json::Value::Bool(true));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn micro_batches_must_divide_the_batch() {
    assert_usage_error(
        &["lab", "semantics", "--batch", "6", "--micro-batches", "4"],
        &["does not divide"],
    );
}
