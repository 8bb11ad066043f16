//! `burn-wgpu` (cargo feature `wgpu`; Mesa's lavapipe in CI): the library path of
//! `bplab check --preset assignment --engine manual,burn-wgpu --dtype f32`, the f64 refusal,
//! and every PyTorch fixture (`tools/reference/generate.py`, under `tests/fixtures/`) through
//! `check --reference`'s own comparison, in f32 at the exact f32 tolerance.
#![cfg(feature = "wgpu")]

use bplab_core::{DType, GradRequest};
use bplab_harness::check::{self, CheckConfig};
use bplab_harness::engines::{engine, select_for};
use bplab_harness::netargs::NetArgs;
use bplab_harness::reference::Reference;
use std::path::Path;

#[test]
fn check_passes_on_the_assignment_network_in_f32_and_names_the_adapter() {
    let engines = select_for("manual,burn-wgpu", DType::F32).unwrap();
    let resolved = NetArgs::default().resolve().unwrap();
    let report = check::run(&engines, &resolved, &CheckConfig::new(DType::F32)).unwrap();
    let table = check::to_table(&resolved, &report);
    println!("{table}");
    assert!(report.passed(), "{table}");
    assert!(table.contains("burn-wgpu adapter: "), "{table}");
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with("burn-wgpu ") && !l.contains("adapter:"))
            .count(),
        13,
        "{table}"
    );
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let engines = select_for("manual,burn-wgpu", DType::F32).unwrap();
    let cfg = CheckConfig::new(DType::F32);
    let mut failed = Vec::new();
    let mut cases = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let reference = Reference::load(&dir).unwrap();
        let resolved = reference.resolved();
        let report = check::run_against(&engines, &resolved, &cfg, Some(&reference)).unwrap();
        cases += 1;
        if !report.passed() {
            failed.push(format!(
                "{}:\n{}",
                dir.display(),
                check::to_table(&resolved, &report)
            ));
        }
    }
    assert!(
        cases >= 40,
        "only {cases} fixtures under {}",
        root.display()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
