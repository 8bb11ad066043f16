//! `bplab bench --baseline FILE`: another framework's timings of the same matrix, written by
//! `tools/bench/torch_bench.py` in this command's own JSON shape (`results` rows with engine
//! `pytorch`), plus that framework's and NumPy's GEMM rates (`gemm`: library, m, k, n,
//! GFLOP/s). The report shows them beside the measured engines: a `×pytorch` column, the
//! baseline rows, and the baseline's GEMM next to the manual kernel's.

use bplab_core::{Error, Result};
use serde_json::Value;
use std::path::Path;

/// One baseline cell.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseRow {
    pub engine: String,
    pub config: String,
    pub op: String,
    pub median_ns: f64,
    pub q1_ns: f64,
    pub q3_ns: f64,
    pub gflops: f64,
}

/// One baseline GEMM rate.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseGemm {
    pub library: String,
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub gflops: f64,
}

/// A loaded baseline file.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub path: String,
    pub machine: String,
    pub threads: usize,
    /// The framework versions as the file records them (`torch 2.x, numpy 2.y`).
    pub versions: String,
    pub rows: Vec<BaseRow>,
    pub gemm: Vec<BaseGemm>,
}

impl Baseline {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Baseline::parse(&text, &path.display().to_string())
    }

    /// Parses a baseline document (`path` names it in errors).
    pub fn parse(text: &str, path: &str) -> Result<Baseline> {
        let bad = |reason: String| Error::Parse(format!("--baseline {path}: {reason}"));
        let doc: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
        let u = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).map(|x| x as usize);
        let results = doc
            .get("results")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no \"results\" array".into()))?;
        let mut rows = Vec::new();
        for (i, r) in results.iter().enumerate() {
            let need = |k: &str| bad(format!("results[{i}] has no \"{k}\""));
            let median_ns = f(r, "median_ns").ok_or_else(|| need("median_ns"))?;
            rows.push(BaseRow {
                engine: s(r, "engine").ok_or_else(|| need("engine"))?,
                config: s(r, "config").ok_or_else(|| need("config"))?,
                op: s(r, "op").ok_or_else(|| need("op"))?,
                median_ns,
                q1_ns: f(r, "q1_ns").unwrap_or(median_ns),
                q3_ns: f(r, "q3_ns").unwrap_or(median_ns),
                gflops: f(r, "gflops").unwrap_or(f64::NAN),
            });
        }
        let gemm = doc
            .get("gemm")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|g| {
                Some(BaseGemm {
                    library: s(g, "library")?,
                    m: u(g, "m")?,
                    k: u(g, "k")?,
                    n: u(g, "n")?,
                    gflops: f(g, "gflops")?,
                })
            })
            .collect();
        Ok(Baseline {
            path: path.to_string(),
            machine: s(&doc, "machine").unwrap_or_else(|| "unknown machine".into()),
            threads: u(&doc, "threads").unwrap_or(0),
            versions: s(&doc, "versions").unwrap_or_default(),
            rows,
            gemm,
        })
    }

    /// The baseline row for a cell.
    pub fn get(&self, config: &str, op: &str) -> Option<&BaseRow> {
        self.rows.iter().find(|r| r.config == config && r.op == op)
    }

    /// The best baseline GEMM rate at `m × k × n`, and its library.
    pub fn best_gemm(&self, m: usize, k: usize, n: usize) -> Option<&BaseGemm> {
        self.gemm
            .iter()
            .filter(|g| (g.m, g.k, g.n) == (m, k, n))
            .max_by(|a, b| a.gflops.total_cmp(&b.gflops))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_document_parses_and_a_broken_one_names_what_is_missing() {
        let doc = r#"{"machine": "m", "threads": 2, "versions": "torch 2.15.0",
            "results": [{"engine": "pytorch", "config": "seed-b1", "op": "grads",
                         "median_ns": 1500.0, "q1_ns": 1400.0, "q3_ns": 1600.0, "gflops": 0.1}],
            "gemm": [{"library": "pytorch", "m": 1024, "k": 1024, "n": 1024, "gflops": 300.0},
                     {"library": "numpy", "m": 1024, "k": 1024, "n": 1024, "gflops": 320.0}]}"#;
        let b = Baseline::parse(doc, "x.json").unwrap();
        assert_eq!(b.get("seed-b1", "grads").unwrap().median_ns, 1500.0);
        assert_eq!(b.best_gemm(1024, 1024, 1024).unwrap().library, "numpy");
        assert!(b.best_gemm(256, 1024, 1024).is_none());
        let err = Baseline::parse(r#"{"results": [{"engine": "pytorch"}]}"#, "y.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("y.json") && err.contains("median_ns"), "{err}");
    }

    /// The checked-in PyTorch baseline (`tools/bench/torch_bench.py`) covers every cell of the
    /// matrix and both GEMM shapes the report compares.
    #[test]
    fn the_checked_in_pytorch_baseline_covers_the_whole_matrix() {
        use bplab_harness::workload::{Op, CONFIGS};
        let text = include_str!("../../../docs/bench/pytorch-epyc.json");
        let b = Baseline::parse(text, "docs/bench/pytorch-epyc.json").unwrap();
        for c in CONFIGS {
            for op in Op::ALL {
                let row = b.get(c.name, op.name()).expect("every cell");
                assert_eq!(row.engine, "pytorch");
                assert!(row.q1_ns <= row.median_ns && row.median_ns <= row.q3_ns);
            }
        }
        for (m, k, n) in [(1024, 1024, 1024), crate::gemm::GEMM_WIDE] {
            let libs: Vec<&str> = b
                .gemm
                .iter()
                .filter(|g| (g.m, g.k, g.n) == (m, k, n))
                .map(|g| g.library.as_str())
                .collect();
            assert_eq!(libs, ["pytorch", "numpy"], "{m}×{k}×{n}");
        }
    }
}
