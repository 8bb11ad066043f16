//! The `bplab` binary built with `burn-wgpu` (cargo feature `wgpu`; a test binary of its own,
//! built only with the feature; Mesa's lavapipe in CI): `check` of the assignment network on
//! `manual,burn-wgpu` in `f32` exits 0 and names the adapter; `--engine all` in `f64` (the
//! default dtype) leaves burn-wgpu out of the experiments, the served page's API and the lesson
//! instead of refusing (the page's engine menu offers it in f32 only), while naming it in `f64` stays an input error; and the overhead lab
//! gives burn-wgpu's per-op figures in `f32`.
#![cfg(feature = "wgpu")]

mod gpu;

use gpu::bplab;

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
    let (code, out, err) = gpu::experiment_train("all", None);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("burn-flex") && !out.contains("burn-wgpu"),
        "{out}"
    );
    let (code, _, err) = gpu::experiment_train("burn-wgpu", Some("f64"));
    assert_eq!(code, 2, "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert!(errors.len() == 1 && errors[0].contains("WGSL"), "{err}");
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
    gpu::assert_per_op_figures(&gpu::overhead_rows("burn-wgpu").unwrap(), "burn-wgpu");
}
