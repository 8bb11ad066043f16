//! The `bplab` binary built with `burn-wgpu` (cargo feature `wgpu`; a test binary of its own,
//! built only with the feature; Mesa's lavapipe in CI): `check` of the assignment network on
//! `manual,burn-wgpu` in `f32` exits 0 and names the adapter; `--engine all` in `f64` (the
//! default dtype) leaves burn-wgpu out of the experiments, the served page's API and the lesson
//! instead of refusing (the page's engine menu offers it in f32 only), while naming it in `f64` stays an input error; and the overhead lab
//! gives burn-wgpu's per-op figures in `f32`.
#![cfg(feature = "wgpu")]

use bplab_lab::overhead::{measure_all, OverheadConfig};
use std::process::Command;

/// Runs the binary; returns its exit status, stdout and stderr.
fn bplab(args: &[&str]) -> (i32, String, String) {
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

#[test]
fn check_on_manual_and_burn_wgpu_in_f32_exits_0_and_names_the_adapter() {
    let (code, out, err) = bplab(&[
        "check",
        "--preset",
        "assignment",
        "--engine",
        "manual,burn-wgpu",
        "--dtype",
        "f32",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("burn-wgpu adapter: "), "{out}");
    assert!(out.contains("result: all 2 engine(s) agree"), "{out}");
}

#[test]
fn experiment_all_in_f64_leaves_burn_wgpu_out_and_naming_it_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("bplab-wgpu-exp-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let (code, out, err) = bplab(&[
        "experiment",
        "train",
        "--quick",
        "--epochs",
        "1",
        "--engine",
        "all",
        "--out",
        d,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("burn-flex") && !out.contains("burn-wgpu"),
        "{out}"
    );
    let (code, _, err) = bplab(&[
        "experiment",
        "train",
        "--quick",
        "--epochs",
        "1",
        "--engine",
        "burn-wgpu",
        "--dtype",
        "f64",
        "--out",
        d,
    ]);
    assert_eq!(code, 2, "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert!(errors.len() == 1 && errors[0].contains("WGSL"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_served_api_and_the_lesson_leave_burn_wgpu_out_of_all_in_f64() {
    let engines_of = |dtype: &str| -> Vec<String> {
        let body = format!(
            r#"{{"layers": [2, 3, 1], "activations": ["sigmoid", "sigmoid"], "loss": "mse",
                "input": [[1, 2]], "target": [[0.5]], "engine": "all", "dtype": "{dtype}"}}"#
        );
        let v = bplab_viz::server::trace(body.as_bytes()).unwrap();
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["engine"].as_str().unwrap().to_string())
            .collect()
    };
    let f64_engines = engines_of("f64");
    assert!(
        f64_engines.contains(&"burn-flex".to_string())
            && !f64_engines.contains(&"burn-wgpu".to_string()),
        "{f64_engines:?}"
    );
    assert!(engines_of("f32").contains(&"burn-wgpu".to_string()));
    // The page's engine menu (GET /api/engines) offers burn-wgpu, in f32 only.
    let menu = bplab_viz::server::engines();
    let wgpu = menu
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "burn-wgpu")
        .unwrap_or_else(|| panic!("no burn-wgpu in {menu}"));
    assert_eq!(wgpu["dtypes"], serde_json::json!(["f32"]), "{menu}");
    let (code, out, err) = bplab(&["lesson", "--engine", "all"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("burn-flex") && !out.contains("burn-wgpu"),
        "{out}"
    );
}

#[test]
fn the_overhead_lab_gives_burn_wgpu_per_op_figures_in_f32() {
    // Batch 1 is seed-b1's own shape: the sweep compiles one new set of kernels (batch 2).
    let cfg = OverheadConfig {
        engines: "burn-wgpu".into(),
        configs: vec!["seed-b1"],
        sweep: vec![1, 2],
        ..OverheadConfig::quick()
    };
    let rows = measure_all(&cfg).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.engine, "burn-wgpu");
    let ops = r.ops.ops().expect("burn's autodiff nodes are counted");
    assert!(ops > 0, "{r:?}");
    for &(b, o) in &r.ops_by_batch {
        assert_eq!(o, Some(ops), "ops at batch {b}");
    }
    let per_op = r.per_op_ns().expect("a fitted intercept");
    assert!(per_op.is_finite(), "{r:?}");
}
