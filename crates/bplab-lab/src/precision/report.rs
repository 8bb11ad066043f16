//! What `bplab lab precision` shows: the headline table (worst relative error, underflow,
//! non-finite elements per network × engine × format × scaling), the deep network's
//! per-layer table, the dynamic scaler's summary, the findings, the outcome with its files
//! (written by [`super::files`]), [`run`] (measure, then report), and the report section.

use super::config::{HalfType, Net, PrecisionConfig, Scaling};
use super::files::{plots, scaler_csv, tensors_csv, to_json};
use super::measure::{best_static, cell, measure, Cell, PrecisionResults};
use bplab_core::Result;
use bplab_output::files::OutDir;
use bplab_output::table::{sci, Table};
use bplab_output::Outcome;
use std::fmt::Write as _;
use std::path::Path;

fn pct(v: f64) -> String {
    format!("{:.2}", 100.0 * v)
}

/// The headline table.
pub fn headline(r: &PrecisionResults) -> Table {
    let mut t = Table::new(&[
        "network",
        "engine",
        "dtype",
        "scale",
        "worst rel err",
        "underflow %",
        "non-finite",
    ]);
    for c in &r.cells {
        t.row(vec![
            c.net.name().into(),
            c.engine.name().into(),
            c.half.name().into(),
            c.scaling.name(),
            sci(c.worst_rel()),
            pct(c.underflow().fraction()),
            c.nonfinite().to_string(),
        ]);
    }
    t
}

/// Per layer of the deep network, in f16: weight relative error and underflow without
/// scaling and with the largest finite static scale, for each engine.
fn per_layer(r: &PrecisionResults, cfg: &PrecisionConfig) -> Table {
    let mut header = vec!["layer".to_string()];
    let mut cols: Vec<&Cell> = Vec::new();
    for &e in &cfg.engines {
        if let Some(c) = cell(r, Net::Deep, e, HalfType::F16, Scaling::None) {
            header.push(format!("{} rel err", e.name()));
            header.push(format!("{} uf %", e.name()));
            cols.push(c);
            cols.push(c);
        }
        if let Some(c) = best_static(r, Net::Deep, e, HalfType::F16) {
            header.push(format!("{} uf % S={}", e.name(), c.scaling.name()));
            cols.push(c);
        }
    }
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&h);
    let layers = cols.first().map_or(0, |c| c.tensors.len() / 2);
    for l in 0..layers {
        let mut row = vec![format!("fc{}.weight", l + 1)];
        let mut i = 0;
        while i < cols.len() {
            let w = &cols[i].tensors[2 * l];
            if cols[i].scaling == Scaling::None {
                row.push(sci(w.rel));
                row.push(pct(w.underflow.fraction()));
                i += 2;
            } else {
                row.push(pct(w.underflow.fraction()));
                i += 1;
            }
        }
        t.row(row);
    }
    t
}

fn scaler_table(r: &PrecisionResults) -> Table {
    let mut t = Table::new(&[
        "engine",
        "dtype",
        "steps",
        "skipped",
        "final scale",
        "min scale",
        "max scale",
        "underflow % first",
        "underflow % last",
    ]);
    for tr in &r.trajectories {
        let scales: Vec<f64> = tr.steps.iter().map(|s| s.scale).collect();
        let skipped = tr.skipped();
        let (first, last) = (tr.steps.first(), tr.steps.last());
        t.row(vec![
            tr.engine.name().into(),
            tr.half.name().into(),
            tr.steps.len().to_string(),
            skipped.to_string(),
            format!("2^{}", last.map_or(0.0, |s| s.scale.log2())),
            format!(
                "2^{}",
                scales.iter().copied().fold(f64::INFINITY, f64::min).log2()
            ),
            format!("2^{}", scales.iter().copied().fold(0.0, f64::max).log2()),
            first.map_or("-".into(), |s| pct(s.underflow)),
            last.map_or("-".into(), |s| pct(s.underflow)),
        ]);
    }
    t
}

/// The findings, one line each, with the measured numbers.
pub fn findings(r: &PrecisionResults, cfg: &PrecisionConfig) -> Vec<String> {
    let mut out = Vec::new();
    for &e in &cfg.engines {
        for &h in &cfg.halves {
            if let Some(c) = cell(r, Net::Assignment, e, h, Scaling::None) {
                out.push(format!(
                    "assignment network, {} {}: worst relative error per tensor {} (no underflow: {} of {} elements zeroed)",
                    e.name(), h.name(), sci(c.worst_rel()), c.underflow().zeroed, c.underflow().nonzero
                ));
            }
        }
    }
    for &e in &cfg.engines {
        for &h in &cfg.halves {
            let (Some(none), best) = (
                cell(r, Net::Deep, e, h, Scaling::None),
                best_static(r, Net::Deep, e, h),
            ) else {
                continue;
            };
            let mut line = format!(
                "deep network, {} {}: {}% of the gradient elements underflow to 0 without scaling",
                e.name(),
                h.name(),
                pct(none.underflow().fraction())
            );
            if let Some(b) = best {
                let _ = write!(
                    line,
                    ", {}% with S = {} (worst relative error {} → {})",
                    pct(b.underflow().fraction()),
                    b.scaling.name(),
                    sci(none.worst_rel()),
                    sci(b.worst_rel())
                );
            }
            let overflowed: Vec<String> = r
                .cells
                .iter()
                .filter(|c| c.net == Net::Deep && c.engine == e && c.half == h && c.nonfinite() > 0)
                .map(|c| c.scaling.name())
                .collect();
            if !overflowed.is_empty() {
                let _ = write!(
                    line,
                    "; overflow (inf/NaN) at S = {}",
                    overflowed.join(", ")
                );
            }
            out.push(line);
        }
    }
    for tr in &r.trajectories {
        let skipped = tr.skipped();
        if let (Some(first), Some(last)) = (tr.steps.first(), tr.steps.last()) {
            out.push(format!(
                "dynamic scaler, {} {}: scale 2^{} → 2^{} over {} steps, {} skipped; underflow {}% → {}%",
                tr.engine.name(),
                tr.half.name(),
                first.scale.log2(),
                last.scale.log2(),
                tr.steps.len(),
                skipped,
                pct(first.underflow),
                pct(last.underflow)
            ));
        }
    }
    out
}

/// Measures, writes `precision.csv`, `precision-scaler.csv`, `precision.json` and the plots
/// under `out`, and returns the outcome.
pub fn run(cfg: &PrecisionConfig, out: &Path) -> Result<Outcome> {
    let r = measure(cfg)?;
    let plots = plots(&r);
    let mut dir = OutDir::new(out);
    dir.json("precision", &to_json(&r))?;
    dir.csv("precision", &tensors_csv(&r))?;
    dir.csv("precision-scaler", &scaler_csv(&r))?;
    dir.plots(&plots)?;
    let (head, layers, scaler) = (headline(&r), per_layer(&r, cfg), scaler_table(&r));
    let found = findings(&r, cfg);
    let mut text = format!(
        "{}\n\ndeep network: {}\n\n{}\n",
        head.render(),
        r.deep_summary,
        layers.render()
    );
    let _ = writeln!(
        text,
        "dynamic scaler on the deep network:\n{}",
        scaler.render()
    );
    let mut markdown = format!(
        "{}\nDeep network: {}\n\n{}\n{}\n",
        head.markdown(),
        r.deep_summary,
        layers.markdown(),
        scaler.markdown()
    );
    for f in &found {
        let _ = writeln!(text, "- {f}");
        let _ = writeln!(markdown, "- {f}");
    }
    Ok(Outcome {
        name: "precision",
        title: "f16 and bf16 gradients against f64, with and without loss scaling".into(),
        text,
        markdown,
        plots,
        files: dir.files(),
        engines_agree: true,
    })
}

/// The report's section (quick setting).
pub const SECTION: bplab_output::report::OutcomeSection = bplab_output::report::OutcomeSection {
    name: "lab precision",
    title: Some("Lab precision: f16/bf16 gradients and loss scaling"),
    data: "lab-precision",
    max_plots: 3,
    run: |_, dir| run(&PrecisionConfig::quick(), dir),
};
