//! `burn-wgpu` (cargo feature `wgpu`; Mesa's lavapipe in CI): the library path of
//! `bplab check --preset assignment --engine manual,burn-wgpu --dtype f32`, the f64 refusal,
//! and every PyTorch fixture (`tools/reference/generate.py`, under `tests/fixtures/`) through
//! `check --reference`'s own comparison, in f32 at the exact f32 tolerance.
#![cfg(feature = "wgpu")]

mod gpu;

use bplab_core::{DType, GradRequest};
use bplab_harness::engines::{engine, select_for};
use bplab_harness::netargs::NetArgs;

#[test]
fn check_passes_on_the_assignment_network_in_f32_and_names_the_adapter() {
    gpu::check_passes_on_the_assignment_network("burn-wgpu", DType::F32, "WGSL");
}

#[test]
fn f64_is_an_input_error_and_all_leaves_it_out() {
    let resolved = NetArgs::default().resolve().unwrap();
    let e = engine("burn-wgpu").unwrap();
    let err = e
        .grads(
            &resolved.network,
            &resolved.batch,
            DType::F64,
            GradRequest::default(),
        )
        .unwrap_err();
    assert!(
        err.is_input_error() && err.to_string().contains("WGSL"),
        "{err}"
    );
    let names = |d| -> Vec<String> {
        select_for("all", d)
            .unwrap()
            .iter()
            .map(|e| e.name().to_string())
            .collect()
    };
    assert!(names(DType::F32).contains(&"burn-wgpu".to_string()));
    assert!(!names(DType::F64).contains(&"burn-wgpu".to_string()));
}

#[test]
fn every_pytorch_fixture_passes_in_f32() {
    gpu::every_pytorch_fixture_passes("burn-wgpu", DType::F32);
}
