//! The test body every GPU-class engine runs through the harness (`tests/wgpu.rs`:
//! `burn-wgpu`; `tests/vulkan.rs`: `burn-vulkan`): the library path of `bplab check --preset
//! assignment --engine manual,NAME`, and every PyTorch fixture (`tools/reference/generate.py`,
//! under `tests/fixtures/`) through `check --reference`'s own comparison, at the dtype's exact
//! tolerance.

use bplab_core::DType;
use bplab_harness::check::{self, CheckConfig};
use bplab_harness::engines::select_for;
use bplab_harness::netargs::NetArgs;
use bplab_harness::reference::Reference;
use std::path::Path;

/// `check` of the assignment network on `manual,NAME` in `dtype` passes, its header names the
/// adapter (with `kernels`, the shader language), and NAME has a row for every tensor.
pub fn check_passes_on_the_assignment_network(name: &str, dtype: DType, kernels: &str) {
    let engines = select_for(&format!("manual,{name}"), dtype).unwrap();
    let resolved = NetArgs::default().resolve().unwrap();
    let report = check::run(&engines, &resolved, &CheckConfig::new(dtype)).unwrap();
    let table = check::to_table(&resolved, &report);
    println!("{table}");
    assert!(report.passed(), "{table}");
    let adapter = format!("{name} adapter: ");
    let header = table
        .lines()
        .find(|l| l.starts_with(&adapter))
        .unwrap_or_else(|| panic!("no '{adapter}' line in\n{table}"));
    assert!(header.contains(&format!("kernels: {kernels}")), "{header}");
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with(&format!("{name} ")) && !l.contains("adapter:"))
            .count(),
        13,
        "{table}"
    );
}

/// Every PyTorch fixture passes on `manual,NAME` in `dtype`.
pub fn every_pytorch_fixture_passes(name: &str, dtype: DType) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let engines = select_for(&format!("manual,{name}"), dtype).unwrap();
    let cfg = CheckConfig::new(dtype);
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
    assert!(failed.is_empty(), "{name} {dtype}:\n{}", failed.join("\n"));
}
