//! What the binary's GPU-feature tests share (`tests/wgpu.rs`: `burn-wgpu`; `tests/vulkan.rs`:
//! `burn-vulkan`): running the binary, and the overhead lab on one engine with its per-op
//! figures checked.

use bplab_lab::overhead::{measure_all, OverheadConfig, Row};
use std::process::Command;

/// Runs the binary; returns its exit status, stdout and stderr.
pub fn bplab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args(args)
        .output()
        .expect("run bplab");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The overhead lab on `engine` alone, seed-b1 with the batch sweep 1, 2 (batch 1 is seed-b1's
/// own shape: the sweep compiles one new set of kernels).
pub fn overhead_rows(engine: &str) -> bplab_core::Result<Vec<Row>> {
    measure_all(&OverheadConfig {
        engines: engine.into(),
        configs: vec!["seed-b1"],
        sweep: vec![1, 2],
        ..OverheadConfig::quick()
    })
}

/// One row for `engine`, with burn's autodiff nodes counted, the same count at every batch
/// size, and a finite fixed cost per op.
pub fn assert_per_op_figures(rows: &[Row], engine: &str) {
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.engine, engine);
    let ops = r.ops.ops().expect("burn's autodiff nodes are counted");
    assert!(ops > 0, "{r:?}");
    for &(b, o) in &r.ops_by_batch {
        assert_eq!(o, Some(ops), "ops at batch {b}");
    }
    let per_op = r.per_op_ns().expect("a fitted intercept");
    assert!(per_op.is_finite(), "{r:?}");
}

/// `bplab experiment train --quick --epochs 1 --engine ENGINE [--dtype DTYPE]` into a
/// temporary folder (removed afterwards); its exit status, stdout and stderr.
pub fn experiment_train(engine: &str, dtype: Option<&str>) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!(
        "bplab-gpu-exp-{}-{engine}-{}",
        std::process::id(),
        dtype.unwrap_or("default")
    ));
    let d = dir.to_str().unwrap();
    let mut args = vec!["experiment", "train", "--quick", "--epochs", "1"];
    args.extend(["--engine", engine, "--out", d]);
    if let Some(dtype) = dtype {
        args.extend(["--dtype", dtype]);
    }
    let got = bplab(&args);
    std::fs::remove_dir_all(&dir).ok();
    got
}
