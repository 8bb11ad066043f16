//! `burn-wgpu` (cargo feature `wgpu`; a test binary of its own, built only with the feature):
//! the same burn model on burn's wgpu backend through CubeCL, kernels compiled to WGSL, on
//! whatever adapter the machine has (Mesa's lavapipe in CI). It refuses `f64` as an input
//! error; in `f32` it runs the GPU engines' test body ([`gpu`]: gradients against the manual
//! engine's emulation of its arithmetic, burn-flex and finite differences; the forward pass;
//! ten training steps).

#![cfg(feature = "wgpu")]

mod gpu;

use bplab_burn::{BurnBackend, BurnEngine};
use bplab_core::{DType, Engine};

#[test]
fn f64_is_refused_as_an_input_error_naming_wgsl() {
    gpu::every_entry_point_refuses(&BurnEngine::wgpu(), DType::F64, &["WGSL", "f32"]);
}

/// In a build with the `vulkan` feature too, cubecl compiles every Vulkan adapter's kernels to
/// SPIR-V, so burn-wgpu is refused there (one line, naming burn-vulkan); alone it runs.
#[test]
fn the_adapter_is_named_and_the_engine_is_burn_wgpu() {
    assert_eq!(BurnEngine::wgpu().name(), "burn-wgpu");
    assert_eq!(BurnEngine::wgpu().backend(), BurnBackend::Wgpu);
    match bplab_burn::wgpu::adapter() {
        Err(e) if cfg!(feature = "vulkan") => {
            let msg = e.to_string();
            assert!(
                msg.contains("SPIR-V") && msg.contains("burn-vulkan"),
                "{msg}"
            );
        }
        a => {
            let a = a.expect("an adapter (lavapipe in CI)");
            assert!(!a.name.is_empty() && !a.api.is_empty(), "{a:?}");
            assert!(a.describe().contains(&a.name), "{}", a.describe());
        }
    }
}

#[test]
fn f32_gradients_agree_with_manual_emulation_burn_flex_and_finite_differences() {
    if wgsl_here() {
        gpu::gradients_agree_with_manual_emulation_burn_flex_and_finite_differences(
            &BurnEngine::wgpu(),
            DType::F32,
        );
    }
}

#[test]
fn f32_forward_agrees_with_burn_flex() {
    if wgsl_here() {
        gpu::forward_agrees_with_burn_flex(&BurnEngine::wgpu(), DType::F32);
    }
}

#[test]
fn training_follows_burn_flex() {
    if wgsl_here() {
        gpu::training_follows_burn_flex(&BurnEngine::wgpu(), DType::F32);
    }
}

/// True where burn-wgpu runs its WGSL path: always in a `wgpu`-only build (CI's); with the
/// `vulkan` feature too, only off Vulkan (the refusal is tested above).
fn wgsl_here() -> bool {
    !cfg!(feature = "vulkan") || bplab_burn::wgpu::adapter().is_ok()
}
