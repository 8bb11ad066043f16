//! `lab semantics`' output: the table (one row per scenario, one column per framework), the
//! findings, `semantics.json` / `semantics.csv`, and the report section.

use super::config::SemanticsConfig;
use super::measure::{measure_all, Scenario, SemanticsResult, FRAMEWORKS};
use crate::common::body;
use bplab_core::Result;
use bplab_output::files::{Csv, OutDir};
use bplab_output::table::{sci, Table};
use bplab_output::Outcome;
use serde_json::{json, Value};
use std::path::Path;

/// Scenario × framework.
pub fn table(res: &SemanticsResult) -> Table {
    let mut header = vec!["scenario"];
    header.extend(FRAMEWORKS);
    let mut t = Table::new(&header);
    for (s, scenario) in Scenario::ALL.iter().enumerate() {
        let mut row = vec![scenario.label().to_string()];
        for col in &res.cells {
            let c = &col[s];
            row.push(if c.consistent {
                c.text.clone()
            } else {
                format!("{} (values differ!)", c.text)
            });
        }
        t.row(row);
    }
    t
}

/// A cell's outcome: its first word (`error`, `panics`, `within`, `None`, `x.detach()`), the
/// part that says what happened before the details.
fn outcome_word(text: &str) -> &str {
    text.split([' ', ':', '(', ';', ',']).next().unwrap_or("")
}

/// Whether a cell reports a result that is wrong without an error (`runs but wrong`,
/// `new value, silently`).
fn silently_wrong(text: &str) -> bool {
    text.contains("wrong") || text.contains("silently")
}

/// The one number that matters: per framework, in how many scenarios it behaves otherwise
/// than PyTorch (a different outcome word), and which of those give a wrong result silently.
pub fn headline(res: &SemanticsResult) -> String {
    let n = Scenario::ALL.len();
    let Some(torch) = res.cells.first() else {
        return "no framework ran".into();
    };
    let mut differ = Vec::new();
    let mut silent = Vec::new();
    for (f, col) in FRAMEWORKS.iter().zip(&res.cells).skip(1) {
        let k = col
            .iter()
            .zip(torch)
            .filter(|(c, t)| outcome_word(&c.text) != outcome_word(&t.text))
            .count();
        differ.push(format!("{f} {k}"));
        for (c, s) in col.iter().zip(Scenario::ALL) {
            if silently_wrong(&c.text) {
                silent.push(format!("{f} {}", s.key()));
            }
        }
    }
    let mut line = format!(
        "scenarios of {n} whose outcome differs from PyTorch {}'s: {}",
        res.torch_version,
        differ.join(", ")
    );
    if !silent.is_empty() {
        line.push_str(&format!(
            "; silently wrong (no error): {}",
            silent.join(", ")
        ));
    }
    line
}

fn findings(res: &SemanticsResult) -> Vec<String> {
    vec![
        headline(res),
        format!(
            "PyTorch {} from tests/fixtures/semantics/pytorch.json (tools/reference/semantics.py); burn and candle run now, f64, x = [1, -2, 3, 0.5], w = [0.25, 1.5, -0.75, 2], L = Σ tanh(x⊙w)².",
            res.torch_version
        ),
        "A PyTorch training loop translated literally keeps only the last micro-batch's gradient in burn and candle: their backward() returns a new container each time, so there is nothing to zero and nothing accumulates.".into(),
        format!(
            "manual engine, double backward: a Hessian–vector product by forward-over-reverse (the backward pass carried with tangents, as its JVP carries the forward) on 3 → 4 → 4 → 2 tanh/mse; against central differences of its gradients max |a−b| = {} (largest |Hv| {}), its L̇ against the JVP code {}, its gradient against Model::backward {}: {}",
            sci(res.hvp.max_abs),
            sci(res.hvp.max_hv),
            sci(res.hvp.jvp_diff),
            sci(res.hvp.grad_diff),
            if res.hvp_passed { "ok" } else { "FAILED" }
        ),
        "Each cell is pinned by a test: crates/bplab-burn/tests/it/semantics.rs, crates/bplab-candle/tests/it/semantics.rs, crates/bplab-lab (PyTorch fixture); sources in docs/frameworks.md.".into(),
    ]
}

fn to_json(cfg: &SemanticsConfig, res: &SemanticsResult) -> Value {
    let rows: Vec<Value> = Scenario::ALL
        .iter()
        .enumerate()
        .map(|(s, scenario)| {
            let cells: serde_json::Map<String, Value> = FRAMEWORKS
                .iter()
                .zip(&res.cells)
                .map(|(f, col)| {
                    (
                        f.to_string(),
                        json!({"what": col[s].text, "consistent": col[s].consistent}),
                    )
                })
                .collect();
            json!({"scenario": scenario.key(), "label": scenario.label(), "frameworks": cells})
        })
        .collect();
    json!({
        "lab": "semantics",
        "torch_version": res.torch_version,
        "batch": cfg.batch,
        "micro_batches": cfg.micro_batches,
        "consistent": res.consistent(),
        "manual_hvp": {
            "max_abs_vs_central_differences": res.hvp.max_abs,
            "max_abs_hv": res.hvp.max_hv,
            "jvp_diff": res.hvp.jvp_diff,
            "grad_diff": res.hvp.grad_diff,
            "passed": res.hvp_passed,
        },
        "rows": rows,
    })
}

fn to_csv(res: &SemanticsResult) -> Csv {
    let mut csv = Csv::new(&["scenario", "framework", "what", "consistent"]);
    for (s, scenario) in Scenario::ALL.iter().enumerate() {
        for (f, col) in FRAMEWORKS.iter().zip(&res.cells) {
            csv.row(vec![
                scenario.key().into(),
                f.to_string(),
                col[s].text.clone(),
                col[s].consistent.to_string(),
            ]);
        }
    }
    csv
}

/// The outcome, with `semantics.csv` and `semantics.json` written under `out`.
pub fn outcome(cfg: &SemanticsConfig, res: &SemanticsResult, out: &Path) -> Result<Outcome> {
    let t = table(res);
    let title = "Autograd semantics: the common mistakes, framework by framework".to_string();
    let (text, markdown) = body(&title, &[&t], &findings(res));
    let mut dir = OutDir::new(out);
    dir.csv("semantics", &to_csv(res))?;
    dir.json("semantics", &to_json(cfg, res))?;
    Ok(Outcome {
        name: "semantics",
        title,
        text,
        markdown,
        plots: Vec::new(),
        files: dir.files(),
        engines_agree: res.consistent(),
    })
}

/// Runs the lab and writes its files under `out`.
pub fn run(cfg: &SemanticsConfig, out: &Path) -> Result<Outcome> {
    let res = measure_all(cfg)?;
    outcome(cfg, &res, out)
}

/// The report's section (quick setting).
pub const SECTION: bplab_output::report::OutcomeSection = bplab_output::report::OutcomeSection {
    name: "lab semantics",
    title: Some("Lab: autograd semantics per framework"),
    data: "semantics",
    max_plots: 0,
    run: |_, dir| run(&SemanticsConfig::quick(), dir),
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cell of the quick run says what the crates' tests pin, and its values agree.
    #[test]
    fn every_cell_is_consistent_and_pinned() {
        let res = measure_all(&SemanticsConfig::quick()).unwrap();
        for (f, col) in FRAMEWORKS.iter().zip(&res.cells) {
            for (s, c) in Scenario::ALL.iter().zip(col) {
                assert!(c.consistent, "{f} {}: {}", s.label(), c.text);
            }
        }
        let cell = |f: usize, s: Scenario| {
            let i = Scenario::ALL.iter().position(|x| *x == s).unwrap();
            res.cells[f][i].text.clone()
        };
        assert!(cell(0, Scenario::BackwardTwice).starts_with("error"));
        assert!(cell(1, Scenario::BackwardTwice).starts_with("panics"));
        assert!(cell(2, Scenario::RetainGraph).starts_with("panics"));
        assert!(cell(3, Scenario::RetainGraph).starts_with("works"));
        assert!(cell(3, Scenario::InPlace).starts_with("new value"));
        assert!(cell(1, Scenario::InPlace).starts_with("old value"));
        assert!(cell(3, Scenario::DoubleBackward).contains("4x instead of 6x"));
        assert_eq!(res.torch_version, "2.15.0");
        // Panics, fresh gradient containers, no double backward: 6 of 9 outcomes differ.
        let h = headline(&res);
        assert!(
            h.starts_with("scenarios of 9 whose outcome differs from PyTorch 2.15.0's: burn-ndarray 6, burn-flex 6, candle 6;"),
            "{h}"
        );
        assert!(
            h.ends_with("candle in_place, candle double_backward"),
            "{h}"
        );
    }

    #[test]
    fn micro_batches_must_divide_the_batch() {
        let cfg = SemanticsConfig {
            batch: 6,
            micro_batches: 4,
        };
        assert!(cfg.rows_per_micro_batch().is_err());
        let dir = std::env::temp_dir().join("bplab-semantics-test");
        assert!(run(&cfg, &dir).is_err());
    }

    #[test]
    fn json_has_every_row_and_framework() {
        let cfg = SemanticsConfig::quick();
        let res = measure_all(&cfg).unwrap();
        let v = to_json(&cfg, &res);
        let rows = v["rows"].as_array().unwrap();
        assert_eq!(rows.len(), Scenario::ALL.len());
        for r in rows {
            for f in FRAMEWORKS {
                assert!(r["frameworks"][f]["what"].is_string(), "{r}");
            }
        }
    }
}
