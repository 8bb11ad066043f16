//! The check as the report shows it: the summary line (how many engines agree, and to what),
//! a grid of engines × tensors coloured by each comparison's worst error relative to its
//! tolerance (explained differences marked), and the full table collapsed, with
//! `report/data/check/check.json` and `check.csv` beside it.

use super::{run, to_json, to_table, CheckConfig, CheckReport, EngineCheck};
use bplab_core::{Comparison, DType, Result};
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{GridCell, ToleranceGrid};
use bplab_output::report::{details, escape, figure, Context, Section, Verdict};
use bplab_output::table::sci;

/// A comparison's worst error relative to its bound: `|a−b| / (atol + rtol·|b|)` at its
/// worst element (0 when nothing differs; NaN when shapes differ).
pub fn ratio(c: &Comparison) -> f64 {
    if c.shape_mismatch.is_some() {
        return f64::NAN;
    }
    c.worst
        .as_ref()
        .map_or(0.0, |w| c.tolerance.excess(w.got, w.want))
}

/// Every comparison of `e`, labelled by what it is against.
fn comparisons(e: &EngineCheck) -> impl Iterator<Item = (&'static str, &Comparison)> {
    (e.vs_fd.iter().map(|c| ("fd", c)))
        .chain(e.vs_manual.iter().map(|c| ("manual", c)))
        .chain(e.vs_reference.iter().map(|c| ("reference", c)))
}

/// The grid's finding: its worst cell, relative to the bound, with its engine and tensor.
fn worst_cell(report: &CheckReport, against: &str) -> String {
    let worst = report
        .engines
        .iter()
        .flat_map(|e| {
            comparisons(e)
                .filter(move |(a, _)| *a == against)
                .map(move |(_, c)| (ratio(c), &e.engine, &c.name))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match worst {
        Some((r, engine, tensor)) => {
            format!("The worst cell is {r:.2e} of its bound ({engine}, {tensor}).")
        }
        None => String::new(),
    }
}

/// The grid of the comparisons against `against` (`fd`, `manual`, `reference`): one row per
/// engine, one column per tensor (the loss first).
pub fn grid(report: &CheckReport, against: &str, title: &str) -> ToleranceGrid {
    let mut cols: Vec<String> = Vec::new();
    for e in &report.engines {
        for (_, c) in comparisons(e).filter(|(a, _)| *a == against) {
            if !cols.contains(&c.name) {
                cols.push(c.name.clone());
            }
        }
    }
    if let Some(i) = cols.iter().position(|c| c == "loss") {
        let loss = cols.remove(i);
        cols.insert(0, loss);
    }
    let cells = report
        .engines
        .iter()
        .map(|e| {
            cols.iter()
                .map(|col| {
                    let mine: Vec<(&str, &Comparison)> = comparisons(e)
                        .filter(|(a, c)| *a == against && &c.name == col)
                        .collect();
                    if mine.is_empty() {
                        return None;
                    }
                    let worst = mine.iter().map(|(_, c)| ratio(c)).fold(0.0, f64::max);
                    let lines: Vec<String> = mine
                        .iter()
                        .map(|(against, c)| {
                            format!(
                                "vs {against}: max |a−b| {}, {} of tolerance{}",
                                sci(c.max_abs),
                                sci(ratio(c)),
                                if c.passed() { "" } else { " (over)" }
                            )
                        })
                        .collect();
                    // Over its bound, yet the engine passes: the check explained it.
                    let marked = e.passed() && mine.iter().any(|(_, c)| !c.passed());
                    Some(GridCell {
                        ratio: worst,
                        title: format!("{} · {col}\n{}", e.engine, lines.join("\n")),
                        explained: marked,
                    })
                })
                .collect()
        })
        .collect();
    ToleranceGrid {
        title: title.into(),
        id: against.into(),
        rows: report.engines.iter().map(|e| e.engine.clone()).collect(),
        cols,
        cells,
    }
}

/// The summary line: how many engines, and how closely they agree with the manual engine.
pub fn headline(report: &CheckReport) -> (Verdict, String) {
    let n = report.engines.len();
    let failed: Vec<&str> = report
        .engines
        .iter()
        .filter(|e| !e.passed())
        .map(|e| e.engine.as_str())
        .collect();
    let explained: Vec<&str> = report
        .engines
        .iter()
        .filter(|e| e.passed() && comparisons(e).any(|(_, c)| !c.passed()))
        .map(|e| e.engine.as_str())
        .collect();
    let agree = report
        .engines
        .iter()
        .filter(|e| !explained.contains(&e.engine.as_str()))
        .flat_map(|e| e.vs_manual.iter())
        .map(|c| c.max_abs)
        .fold(0.0, f64::max);
    let fd = report
        .engines
        .iter()
        .flat_map(|e| e.vs_fd.iter())
        .map(ratio)
        .fold(0.0, f64::max);
    if !failed.is_empty() {
        return (
            Verdict::Mismatch,
            format!(
                "{} of {n} engines disagree: {}",
                failed.len(),
                failed.join(", ")
            ),
        );
    }
    let mut s = format!(
        "{} engines agree to {} on the assignment network; vs finite differences worst {} of tolerance",
        n - explained.len(),
        sci(agree),
        sci(fd)
    );
    if explained.is_empty() {
        (Verdict::Ok, s)
    } else {
        s.push_str(&format!("; {} differ, explained", explained.join(", ")));
        (Verdict::Explained, s)
    }
}

/// Every comparison as CSV: engine, tensor, against, max abs, max rel, ratio, pass.
fn csv(report: &CheckReport) -> Csv {
    let mut t = Csv::new(&[
        "engine",
        "tensor",
        "against",
        "max_abs",
        "max_rel",
        "ratio_to_tolerance",
        "pass",
    ]);
    for e in &report.engines {
        for (against, c) in comparisons(e) {
            t.row(vec![
                e.engine.clone(),
                c.name.clone(),
                against.into(),
                num(c.max_abs),
                num(c.max_rel),
                num(ratio(c)),
                c.passed().to_string(),
            ]);
        }
    }
    t
}

/// `check --engine all` on the assignment network, f64, as the report's section.
pub fn build(ctx: &Context) -> Result<Section> {
    let engines = crate::engines::select_for(&ctx.engine, DType::F64)?;
    let resolved = crate::netargs::NetArgs::default().resolve()?;
    let report = run(&engines, &resolved, &CheckConfig::new(DType::F64))?;
    let text = to_table(&resolved, &report);
    let mut dir = OutDir::new(&ctx.data_dir("check"));
    dir.json("check", &to_json(&report))?;
    dir.csv("check", &csv(&report))?;
    let (verdict, headline) = headline(&report);
    let lead = "Each engine's gradients of the assignment network (f64) against central finite \
                differences of its own forward pass and against the manual engine.";
    let mut figures = String::new();
    let grids = [
        ("fd", "against finite differences (f64)", "Each cell is the tensor's worst element's |a−b| divided by its bound atol + rtol·|b| against central finite differences of the engine's own forward pass: below 1 passes, and the finite differences' own truncation error sets the scale."),
        ("manual", "against the manual engine (same dtype)", "The same against the manual engine at the dtype's exact tolerance; a marked cell differs for a documented reason, given under the full table."),
        ("reference", "against the reference directory", "The same against the reference directory's values."),
    ];
    for (against, title, caption) in grids {
        let g = grid(
            &report,
            against,
            &format!("worst |a−b| / tolerance {title}"),
        );
        if !g.cols.is_empty() {
            let caption = format!("{caption} {}", worst_cell(&report, against));
            figures.push_str(&figure(&g.to_svg(), &caption));
            figures.push('\n');
        }
    }
    let html = format!(
        "<p class=\"lead\">{}</p>\n{}{}",
        escape(lead),
        figures,
        details(
            "full table: every engine × tensor × comparison",
            &text,
            &[
                "data/check/check.csv".into(),
                "data/check/check.json".into()
            ]
        )
    );
    Ok(Section {
        title: "Gradient check: the assignment network on every engine".into(),
        markdown: format!("{lead}\n\n```\n{text}```\n"),
        html,
        verdict,
        headline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bplab_core::Tolerance;

    #[test]
    fn a_comparisons_ratio_is_its_worst_error_over_its_bound() {
        let tol = Tolerance::new(1e-12, 1e-9);
        let c = Comparison::scalar("loss", 2.0 + 4e-9, 2.0, tol);
        // |a−b| = 4e-9, bound = 1e-12 + 1e-9·2 → ratio ≈ 2 (over: fails)
        assert!((ratio(&c) - 4e-9 / (1e-12 + 2e-9)).abs() < 1e-6);
        assert!(!c.passed());
        let same = Comparison::scalar("loss", 2.0, 2.0, tol);
        assert_eq!(ratio(&same), 0.0);
    }
}
