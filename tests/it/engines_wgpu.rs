//! `burn-wgpu` (cargo feature `wgpu`) through the cross-engine suite of [`crate::engines`] and
//! the binary: burn's wgpu backend through CubeCL, on whatever adapter the machine has (Mesa's
//! lavapipe in CI). It computes in `f32` only, so it runs the suite's `f32` tests — the
//! PyTorch fixtures (`tools/reference/generate.py`) at `TORCH_F32`, every topology against the
//! manual engine at `EXACT_F32` and against finite differences (of the manual engine's f64
//! forward: burn-wgpu has none) at `FD_F32` — and `f64` is asserted to be an input error.

use crate::common::cli::{assert_usage_error, bplab};
use crate::engines::suite;
use bplab_core::{DType, Engine};

fn engine() -> Box<dyn Engine> {
    bplab_harness::engines::engine("burn-wgpu").unwrap()
}

#[test]
fn pytorch_fixtures_f32() {
    suite::pytorch_fixtures(engine().as_ref(), DType::F32)
}

#[test]
fn agrees_with_manual_f32() {
    suite::agrees_with_manual(engine().as_ref(), DType::F32)
}

#[test]
fn check_on_the_assignment_network_passes_in_f32_and_names_the_adapter() {
    let (code, out, err) = bplab(&[
        "check",
        "--preset",
        "assignment",
        "--engine",
        "manual,burn-wgpu",
        "--dtype",
        "f32",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("burn-wgpu adapter: "), "{out}");
    let rows = out
        .lines()
        .filter(|l| l.starts_with("burn-wgpu ") && !l.contains("adapter:"))
        .count();
    assert_eq!(rows, 6 + 7, "6 tensors vs fd, loss + 6 vs manual: {out}");
    assert!(out.contains("result: all 2 engine(s) agree"), "{out}");
}

#[test]
fn f64_is_a_one_line_input_error() {
    assert_usage_error(
        &[
            "check",
            "--preset",
            "assignment",
            "--engine",
            "burn-wgpu",
            "--dtype",
            "f64",
        ],
        &["burn-wgpu", "f32 only", "WGSL"],
    );
    assert_usage_error(
        &["grads", "--preset", "assignment", "--engine", "burn-wgpu"],
        &["burn-wgpu", "WGSL"],
    );
}

#[test]
fn engine_all_includes_it_in_f32_and_leaves_it_out_in_f64() {
    let (code, out, err) = bplab(&[
        "grads",
        "--preset",
        "assignment",
        "--engine",
        "all",
        "--dtype",
        "f32",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("== burn-wgpu (f32) =="), "{out}");
    let (code, out, err) = bplab(&["grads", "--preset", "assignment", "--engine", "all"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("burn-wgpu"), "{out}");
    assert!(out.contains("== burn-flex (f64) =="), "{out}");
}

#[test]
fn bench_rows_carry_the_first_call_and_the_adapter_label() {
    let (code, out, err) = bplab(&[
        "bench",
        "--quick",
        "--engine",
        "manual,burn-wgpu",
        "--config",
        "seed-b1",
        "--op",
        "grads",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["results"].as_array().unwrap();
    let wgpu = rows
        .iter()
        .find(|r| r["engine"] == "burn-wgpu")
        .expect("a burn-wgpu row");
    let (first, median) = (
        wgpu["first_call_ns"].as_f64().unwrap(),
        wgpu["median_ns"].as_f64().unwrap(),
    );
    // The first call compiles the kernels (CubeCL → WGSL → naga → the driver) and autotunes.
    assert!(
        first > median,
        "first call {first} ns vs steady state {median} ns"
    );
    let on_cpu = bplab_burn_adapter_is_cpu();
    assert_eq!(wgpu["on_cpu_adapter"], on_cpu, "{wgpu}");
    assert_eq!(
        rows.iter().find(|r| r["engine"] == "manual").unwrap()["on_cpu_adapter"],
        false
    );
}

fn bplab_burn_adapter_is_cpu() -> bool {
    bplab_harness::engines::on_cpu_adapter("burn-wgpu")
}
