//! `burn-vulkan` (cargo feature `vulkan`): the library path of `bplab check --preset
//! assignment --engine manual,burn-vulkan`, and every PyTorch fixture
//! (`tools/reference/generate.py`, under `tests/fixtures/`) through `check --reference`'s own
//! comparison, in `f32` and — where the adapter's shaders have 64-bit floats — in `f64`, each
//! at its dtype's exact tolerance, wherever the engine runs (an adapter with
//! `workgroupMemoryExplicitLayout`). Where it does not (Mesa's lavapipe 22.3, Debian 12's:
//! docs/gpu.md), `check` fails with one line saying why and `--engine all` leaves it out.
#![cfg(feature = "vulkan")]

mod gpu;

use bplab_core::DType;
use bplab_harness::check::{self, CheckConfig};
use bplab_harness::engines::{computes_in, select_for};
use bplab_harness::netargs::NetArgs;

/// The dtypes the engine computes in here (none where it is refused).
fn dtypes() -> Vec<DType> {
    [DType::F32, DType::F64]
        .into_iter()
        .filter(|&d| computes_in("burn-vulkan", d))
        .collect()
}

#[test]
fn check_passes_where_it_runs_and_says_why_not_elsewhere() {
    match bplab_burn::vulkan::adapter() {
        Ok(_) => {
            assert!(dtypes().contains(&DType::F32));
            for dtype in dtypes() {
                gpu::check_passes_on_the_assignment_network("burn-vulkan", dtype, "SPIR-V");
            }
        }
        Err(_) => {
            assert!(dtypes().is_empty());
            let engines = select_for("manual,burn-vulkan", DType::F32).unwrap();
            let resolved = NetArgs::default().resolve().unwrap();
            let err = check::run(&engines, &resolved, &CheckConfig::new(DType::F32)).unwrap_err();
            let msg = err.to_string();
            assert!(
                err.is_input_error()
                    && msg.contains("workgroupMemoryExplicitLayout")
                    && !msg.contains('\n'),
                "{msg}"
            );
        }
    }
}

#[test]
fn all_includes_it_in_every_dtype_it_computes_in() {
    for dtype in [DType::F32, DType::F64] {
        let names: Vec<String> = select_for("all", dtype)
            .unwrap()
            .iter()
            .map(|e| e.name().to_string())
            .collect();
        assert_eq!(
            names.contains(&"burn-vulkan".to_string()),
            computes_in("burn-vulkan", dtype),
            "{dtype}: {names:?}"
        );
        assert!(names.contains(&"burn-flex".to_string()), "{names:?}");
    }
}

#[test]
fn every_pytorch_fixture_passes_where_it_runs() {
    for dtype in dtypes() {
        gpu::every_pytorch_fixture_passes("burn-vulkan", dtype);
    }
}
