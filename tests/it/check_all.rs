//! Every engine through the binary: `check --engine all` on the assignment network, the
//! explanation of a kink-convention difference, and `grads --engine all --format json` on
//! every PyTorch case (`tools/reference/generate.py`) against torch's gradients.

use crate::common::cli::bplab;

use crate::common::fixtures;
use bplab_core::spec::KinkGrads;
use bplab_core::{json, Comparison, DType, Tolerance};
use bplab_harness::deviations::tolerance_for;

use bplab_harness::engines::ENGINE_NAMES as ENGINES;

#[test]
fn check_all_on_the_assignment_network_passes_for_every_engine() {
    let (code, out, err) = bplab(&["check", "--preset", "assignment", "--engine", "all"]);
    assert_eq!(code, 0, "{out}{err}");
    for e in ENGINES {
        let rows: Vec<&str> = out
            .lines()
            .filter(|l| l.starts_with(&format!("{e} ")))
            .collect();
        let against_fd = rows.iter().filter(|l| l.contains(" fd ")).count();
        assert_eq!(against_fd, 6, "{e}: {out}");
        if e != "manual" {
            assert_eq!(
                rows.iter().filter(|l| l.contains(" manual ")).count(),
                7,
                "{e} (loss + 6 tensors): {out}"
            );
        }
        assert!(
            rows.iter().all(|l| l.trim_end().ends_with("ok")),
            "{e}: {out}"
        );
    }
    assert!(
        out.contains(&format!(
            "result: all {} engine(s) agree within tolerance",
            ENGINES.len()
        )),
        "{out}"
    );
    // f32 too.
    let (code, out, err) = bplab(&[
        "check",
        "--preset",
        "assignment",
        "--engine",
        "all",
        "--dtype",
        "f32",
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn check_explains_a_kink_convention_difference() {
    let d = fixtures::dir().join("leaky-relu-at-zero-live-output");
    let (p, b) = (d.join("params.safetensors"), d.join("batch.json"));
    let args = [
        "check",
        "--layers",
        "3,4,2",
        "--activations",
        "leaky-relu,identity",
        "--loss",
        "mse",
    ];
    let mut args: Vec<&str> = args.to_vec();
    args.extend([
        "--params",
        p.to_str().unwrap(),
        "--batch",
        b.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (code, out, err) = bplab(&args);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for r in v["results"].as_array().unwrap() {
        let engine = r["engine"].as_str().unwrap();
        let explained = r["kink_explained"].as_bool().unwrap();
        // Every framework's own leaky-ReLU gives leaky_relu'(0) ≠ 0.01: each must be explained,
        // not failed. The custom-op engines run the manual engine's backward in that layer, so
        // they agree outright and need no explanation.
        let own_convention = bplab_harness::deviations::kink_grads(engine) != KinkGrads::PYTORCH;
        assert_eq!(explained, own_convention, "{engine}: {r}");
        assert_eq!(
            own_convention,
            !matches!(engine, "manual" | "burn-custom" | "candle-custom")
        );
        assert!(r["pass"].as_bool().unwrap(), "{engine}: {r}");
        if explained {
            let note = r["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                note.contains("only through the derivative at a kink")
                    && note.contains("exactly 0"),
                "{note}"
            );
            let fails_vs_manual = r["comparisons"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["against"] == "manual" && c["pass"] == false)
                .count();
            assert_eq!(fails_vs_manual, 2, "fc1.weight and fc1.bias differ: {r}");
        }
    }
}

#[test]
fn grads_json_of_every_engine_matches_pytorch_on_every_fixture() {
    for f in fixtures::all() {
        let (p, b) = (f.dir.join("params.safetensors"), f.dir.join("batch.json"));
        let spec = f.network.spec();
        let layers: Vec<String> = spec.widths().iter().map(|w| w.to_string()).collect();
        let acts: Vec<&str> = spec.activations().iter().map(|a| a.name()).collect();
        let (layers, acts) = (layers.join(","), acts.join(","));
        let mut args = vec![
            "grads",
            "--engine",
            "all",
            "--format",
            "json",
            "--layers",
            &layers,
            "--activations",
            &acts,
            "--loss",
            spec.loss().name(),
        ];
        if spec.residual() {
            args.push("--residual");
        }
        args.extend(["--norm", spec.norm().name()]);
        args.extend([
            "--params",
            p.to_str().unwrap(),
            "--batch",
            b.to_str().unwrap(),
        ]);
        let (code, out, err) = bplab(&args);
        assert_eq!(code, 0, "{}: {err}", f.name);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let results = v["results"].as_array().unwrap();
        assert_eq!(results.len(), ENGINES.len());
        for r in results {
            let engine = r["engine"].as_str().unwrap();
            let tol = tolerance_for(engine, spec, DType::F64, Tolerance::new(1e-12, 1e-9));
            let want_loss = f.expected_loss(engine, DType::F64);
            let loss = Comparison::scalar(
                "loss",
                json::parse_number(&r["loss"]).unwrap(),
                want_loss,
                tol,
            );
            assert!(loss.passed(), "{engine} {}: {loss}", f.name);
            let (want, _) = f.expected_grads(engine, DType::F64);
            for (name, w) in want.iter() {
                let got = json::parse_tensor(&r["grads"][name]).unwrap();
                let c = Comparison::new(name, &got, w, tol, None);
                assert!(c.passed(), "{engine} {}: {c}", f.name);
            }
        }
    }
}
