//! The `bplab` binary built with `burn-vulkan` (cargo feature `vulkan`; a test binary of its
//! own, built only with the feature). `--dtype f64` on it exits 2 with one line (cubecl-spirv's
//! f64 transcendentals are invalid SPIR-V). Where the Vulkan adapter runs the engine (it has
//! `workgroupMemoryExplicitLayout`): `check` of the assignment network on `manual,burn-vulkan`
//! exits 0 in `f32`, naming the adapter and its SPIR-V kernels; the served page's engine menu
//! offers it in f32;
//! `--engine all` runs it; the overhead lab gives its per-op figures. Where it does not (Mesa's
//! lavapipe 22.3, Debian 12's: cubecl-spirv 0.11.3 would emit invalid SPIR-V and the driver
//! crash, docs/gpu.md): naming it exits 2 with one line saying why — never a crash — and the
//! menu and `--engine all` leave it out.
#![cfg(feature = "vulkan")]

mod gpu;

use bplab_harness::engines::computes_in;
use gpu::bplab;

/// The dtypes burn-vulkan computes in here, by name.
fn dtypes() -> Vec<&'static str> {
    [bplab_core::DType::F64, bplab_core::DType::F32]
        .into_iter()
        .filter(|&d| computes_in("burn-vulkan", d))
        .map(|d| d.name())
        .collect()
}

#[test]
fn check_on_manual_and_burn_vulkan_exits_0_where_it_runs_and_2_with_the_reason_elsewhere() {
    let runs = bplab_burn::vulkan::adapter().is_ok();
    assert_eq!(dtypes().contains(&"f32"), runs);
    for dtype in ["f32", "f64"] {
        let (code, out, err) = bplab(&[
            "check",
            "--preset",
            "assignment",
            "--engine",
            "manual,burn-vulkan",
            "--dtype",
            dtype,
        ]);
        if dtypes().contains(&dtype) {
            assert_eq!(code, 0, "{dtype}: {out}\n{err}");
            let header = out
                .lines()
                .find(|l| l.starts_with("burn-vulkan adapter: "))
                .unwrap_or_else(|| panic!("{out}"));
            assert!(header.contains("kernels: SPIR-V"), "{header}");
            assert!(out.contains("result: all 2 engine(s) agree"), "{out}");
        } else {
            assert_eq!(code, 2, "{dtype}: {out}\n{err}");
            let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
            let why = if dtype == "f64" {
                "GLSL.std.450"
            } else {
                "workgroupMemoryExplicitLayout"
            };
            assert!(errors.len() == 1 && errors[0].contains(why), "{err}");
        }
    }
}

#[test]
fn the_page_and_all_offer_it_in_the_dtypes_it_computes_in_here() {
    let menu = bplab_viz::server::engines();
    let vulkan = menu
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "burn-vulkan");
    match vulkan {
        Some(v) => assert_eq!(v["dtypes"], serde_json::json!(dtypes()), "{menu}"),
        None => assert!(dtypes().is_empty(), "{menu}"),
    }
    let (code, out, err) = gpu::experiment_train("all", Some("f32"));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("burn-flex"), "{out}");
    assert_eq!(
        out.contains("burn-vulkan"),
        dtypes().contains(&"f32"),
        "{out}"
    );
}

#[test]
fn the_overhead_lab_gives_burn_vulkan_per_op_figures_where_it_runs() {
    match gpu::overhead_rows("burn-vulkan") {
        Ok(rows) => gpu::assert_per_op_figures(&rows, "burn-vulkan"),
        Err(e) => {
            assert!(dtypes().is_empty(), "{e}");
            assert!(
                e.to_string().contains("workgroupMemoryExplicitLayout"),
                "{e}"
            );
        }
    }
}
