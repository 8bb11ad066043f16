//! `bplab bench` end to end through the binary (which installs the counting allocator): the
//! JSON document's shape, the manual engine's zero allocations per step, the sweep's files,
//! and one-line errors for bad selections. Timings are never asserted here (they belong to
//! the benchmarks themselves); only structure and allocation counts, which are exact.

use crate::common::cli::{assert_usage_error, bplab};
use bplab_harness::workload::{flops, BenchConfig, Op, CONFIGS};
use serde_json::Value;

#[test]
fn json_has_the_contract_shape_and_the_manual_engine_allocates_nothing_per_step() {
    let (code, stdout, stderr) = bplab(&[
        "bench",
        "--quick",
        "--engine",
        "manual,candle",
        "--config",
        "seed-b1,deep20-b32",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert!(doc["gemm_gflops"].as_f64().unwrap() > 0.0);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * 2 * 3, "engines × configs × ops");
    for r in results {
        for key in ["median_ns", "gflops", "allocs_per_iter", "bytes_per_iter"] {
            assert!(r[key].as_f64().is_some_and(|v| v >= 0.0), "{key} in {r}");
        }
        let engine = r["engine"].as_str().unwrap();
        if engine == "manual" {
            // After the first step the manual engine reuses every buffer.
            assert_eq!(r["allocs_per_iter"].as_f64(), Some(0.0), "{r}");
            assert_eq!(r["bytes_per_iter"].as_f64(), Some(0.0), "{r}");
        } else {
            // A framework allocates on every call: the counter is really counting.
            assert!(r["allocs_per_iter"].as_f64().unwrap() >= 1.0, "{r}");
        }
    }
    let targets = doc["targets"].as_array().unwrap();
    assert!(targets
        .iter()
        .any(|t| t["name"] == "zero allocations per training step" && t["met"] == true));
}

#[test]
fn sweep_writes_csv_json_and_plots() {
    let out = std::env::temp_dir().join(format!("bplab-bench-sweep-{}", std::process::id()));
    let (code, _, stderr) = bplab(&[
        "bench",
        "--sweep",
        "--quick",
        "--engine",
        "manual",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    // Header plus 11 batch sizes and 9 widths for one engine.
    assert_eq!(csv.lines().count(), 1 + 11 + 9, "{csv}");
    for svg in ["sweep-batch.svg", "sweep-width.svg"] {
        let text = std::fs::read_to_string(out.join(svg)).unwrap();
        assert!(text.starts_with("<svg") && text.contains("manual"), "{svg}");
    }
}

#[test]
fn a_baseline_file_merges_as_a_pytorch_column_with_peak_and_calibration() {
    let (code, stdout, stderr) = bplab(&[
        "bench",
        "--quick",
        "--threads",
        "1",
        "--engine",
        "manual",
        "--config",
        "seed-b1",
        "--baseline",
        "docs/bench/pytorch-epyc.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(doc["threads"], 1);
    assert!(
        doc["peak"]["gflops"].as_f64().is_some_and(|g| g > 0.0),
        "{}",
        doc["peak"]
    );
    let c = &doc["calibration"];
    assert!(c["start_gflops"].as_f64().unwrap() > 0.0 && c["end_gflops"].as_f64().unwrap() > 0.0);
    assert_eq!(doc["disturbed"], c["disturbed"]);
    let results = doc["results"].as_array().unwrap();
    let ours: Vec<&Value> = results.iter().filter(|r| r["engine"] == "manual").collect();
    let theirs: Vec<&Value> = results
        .iter()
        .filter(|r| r["engine"] == "pytorch")
        .collect();
    assert_eq!(
        (ours.len(), theirs.len()),
        (3, 18),
        "3 measured rows, the baseline's 18 (6 configurations × 3 operations)"
    );
    for r in ours {
        let (q1, m, q3) = (
            r["q1_ns"].as_f64().unwrap(),
            r["median_ns"].as_f64().unwrap(),
            r["q3_ns"].as_f64().unwrap(),
        );
        assert!(q1 <= m && m <= q3, "{r}");
        let base = theirs
            .iter()
            .find(|b| b["config"] == r["config"] && b["op"] == r["op"])
            .unwrap();
        let want = m / base["median_ns"].as_f64().unwrap();
        assert!(
            (r["ratio_to_pytorch"].as_f64().unwrap() - want).abs() <= 1e-9 * want,
            "{r}"
        );
    }
    assert!(theirs.iter().all(|b| b["baseline"] == true));
    let gemm = doc["baseline"]["gemm"].as_array().unwrap();
    assert!(gemm
        .iter()
        .any(|g| g["library"] == "numpy" && g["m"] == 1024));
    let (code, _, stderr) = bplab(&[
        "bench",
        "--quick",
        "--config",
        "seed-b1",
        "--engine",
        "manual",
        "--baseline",
        "no/such/file.json",
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("no/such/file.json") && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
}

#[test]
fn bad_selections_are_one_line_usage_errors() {
    for (args, needle) in [
        (vec!["bench", "--config", "tiny"], "--config"),
        (vec!["bench", "--op", "backward"], "--op"),
        (vec!["bench", "--format", "xml"], "--format"),
        (vec!["bench", "--engine", "torch"], "--engine"),
    ] {
        assert_usage_error(&args, &[needle]);
    }
}

#[test]
fn flop_counts_follow_the_stated_formula() {
    let seed = BenchConfig::by_name("seed-b1").unwrap();
    let spec = seed.spec();
    // Forward 2·(4·5 + 5·3 + 3·2) = 82; backward adds ∂L/∂W (82) and ∂L/∂h for layers 2, 3
    // (2·(15 + 6) = 42); the step adds 2·P with P = 25 + 18 + 8 = 51.
    assert_eq!(flops(&spec, 1, Op::Forward), 82.0);
    assert_eq!(flops(&spec, 1, Op::Grads), 82.0 + 82.0 + 42.0);
    assert_eq!(flops(&spec, 1, Op::TrainStep), 206.0 + 102.0);
    assert_eq!(flops(&spec, 64, Op::Forward), 64.0 * 82.0);
    let deep = BenchConfig::by_name("deep20-b32").unwrap().spec();
    assert_eq!(deep.n_layers(), 22);
    assert!(deep.residual());
    // mnist-ln-b64: mnist-b64's products (LayerNorm's elementwise work is not counted) and
    // its step also updates γ and β of the two hidden layers, 2·(128 + 64) more parameters.
    let (plain, ln) = (
        BenchConfig::by_name("mnist-b64").unwrap().spec(),
        BenchConfig::by_name("mnist-ln-b64").unwrap().spec(),
    );
    assert_eq!(ln.norm(), bplab_core::Norm::Layer);
    assert_eq!(flops(&ln, 64, Op::Grads), flops(&plain, 64, Op::Grads));
    assert_eq!(ln.n_params(), plain.n_params() + 2 * (128 + 64));
    assert_eq!(
        flops(&ln, 64, Op::TrainStep) - flops(&plain, 64, Op::TrainStep),
        2.0 * 2.0 * (128.0 + 64.0)
    );
    assert_eq!(CONFIGS.len(), 6);
}
