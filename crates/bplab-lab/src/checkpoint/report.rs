//! What `lab checkpoint` shows: the main table and the gradient-check table, the findings
//! (each with its number), the outcome with its files (written by [`super::files`]),
//! [`run`] (measure, then report), and the HTML report section.

use super::config::{CheckpointConfig, Method, Segment};
use super::files::{plots, to_csv, to_json, MIB};
use super::measure::{measure_all, CheckpointResult, Row};
use crate::common::{body, loglog_slope};
use bplab_burn::checkpointing::Checkpointing;
use bplab_core::Result;
use bplab_output::files::OutDir;
use bplab_output::table::{sci, Table};
use bplab_output::Outcome;
use std::path::Path;

fn mib(b: u64) -> String {
    let v = b as f64 / MIB;
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// The baseline a row's time is compared with: manual plain, or burn disabled.
fn baseline<'a>(res: &'a CheckpointResult, row: &Row) -> Option<&'a Row> {
    let want = match row.method {
        Method::Burn(_) => Method::Burn(Checkpointing::Disabled),
        _ => Method::Plain,
    };
    res.rows
        .iter()
        .find(|r| r.depth == row.depth && r.method == want)
}

/// Extra forward passes a manual row costs over the plain step: `(t − t_plain) / t_forward`.
fn extra_forwards(res: &CheckpointResult, row: &Row) -> Option<f64> {
    match row.method {
        Method::Burn(_) => None,
        _ => baseline(res, row).map(|b| (row.time - b.time) / row.forward_time),
    }
}

/// The main table.
pub fn table(res: &CheckpointResult) -> Table {
    let mut tab = Table::new(&[
        "depth",
        "method",
        "k",
        "activations MiB",
        "peak MiB",
        "peak-grads MiB",
        "burn graph MiB",
        "ms/step",
        "time vs base",
        "extra fwd passes",
    ]);
    let counted = |b: Option<u64>| match (res.counted, b) {
        (true, Some(b)) => mib(b),
        (false, Some(_)) => "n/a".into(),
        (_, None) => "-".into(),
    };
    for row in &res.rows {
        tab.row(vec![
            row.depth.to_string(),
            row.method.name().into(),
            row.k.map(|k| k.to_string()).unwrap_or_else(|| "-".into()),
            row.analytic_bytes.map(mib).unwrap_or_else(|| "-".into()),
            counted(Some(row.peak_bytes)),
            counted(row.held()),
            counted(row.after_forward),
            format!("{:.2}", row.time * 1e3),
            baseline(res, row)
                .map(|b| format!("{:.2}", row.time / b.time))
                .unwrap_or_else(|| "-".into()),
            extra_forwards(res, row)
                .map(|e| format!("{e:.2}"))
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    tab
}

/// The gradient-check table.
pub fn checks_table(res: &CheckpointResult) -> Table {
    let mut tab = Table::new(&[
        "depth",
        "comparison (f64)",
        "elements",
        "not bit-identical",
        "max |a−b|",
    ]);
    for c in &res.checks {
        tab.row(vec![
            c.depth.to_string(),
            c.what.clone(),
            c.elements.to_string(),
            c.differing.to_string(),
            sci(c.max_abs),
        ]);
    }
    tab
}

/// Whether every manual checkpointed gradient was bit-identical to the plain one.
pub fn agrees(res: &CheckpointResult) -> bool {
    res.checks
        .iter()
        .filter(|c| c.what.starts_with("manual"))
        .all(|c| c.differing == 0)
}

/// The findings, each with its number.
pub fn findings(res: &CheckpointResult) -> Vec<String> {
    let mut out = Vec::new();
    let manual: Vec<_> = res
        .checks
        .iter()
        .filter(|c| c.what.starts_with("manual"))
        .collect();
    out.push(format!(
        "checkpointed gradients (k = 1, √L, L) are bit-identical to the plain pass: {} comparisons, {} of {} elements differ",
        manual.len(),
        manual.iter().map(|c| c.differing).sum::<usize>(),
        manual.iter().map(|c| c.elements).sum::<usize>()
    ));
    for c in res.checks.iter().filter(|c| c.what.starts_with("burn")) {
        out.push(format!(
            "burn Balanced vs Disabled gradients at depth {}: {} of {} elements not bit-identical (max |a−b| {})",
            c.depth,
            c.differing,
            c.elements,
            sci(c.max_abs)
        ));
    }
    // Manual: peak less gradients (allocator) or activations by construction; burn: what
    // its graph holds after forward.
    let metric = |r: &Row| res.memory(r) as f64;
    let source = if res.counted {
        "held besides the gradients (allocator; burn: its graph after forward)"
    } else {
        "activations (by construction)"
    };
    for m in [
        Method::Plain,
        Method::Segments(Segment::SqrtL),
        Method::Burn(Checkpointing::Disabled),
        Method::Burn(Checkpointing::Balanced),
    ] {
        let rows = res.rows_of(m);
        if rows.len() >= 2 {
            let pts: Vec<(f64, f64)> = rows.iter().map(|r| (r.depth as f64, metric(r))).collect();
            out.push(format!(
                "{}: {source} grows as depth^{:.2} ({} MiB at L = {}, {} MiB at L = {})",
                m.name(),
                loglog_slope(&pts),
                mib(metric(rows[0]) as u64),
                rows[0].depth,
                mib(metric(rows[rows.len() - 1]) as u64),
                rows[rows.len() - 1].depth
            ));
        }
    }
    if let Some(deepest) = res.rows.iter().map(|r| r.depth).max() {
        let at = |m: Method| {
            res.rows
                .iter()
                .find(|r| r.depth == deepest && r.method == m)
        };
        if let (Some(p), Some(s)) = (at(Method::Plain), at(Method::Segments(Segment::SqrtL))) {
            out.push(format!(
                "at L = {deepest}: k = {} holds {} MiB against plain's {} MiB ({:.1}× less) and takes {:.2}× the time ({:.2} extra forward passes)",
                s.k.unwrap_or(0),
                mib(metric(s) as u64),
                mib(metric(p) as u64),
                metric(p) / metric(s).max(1.0),
                s.time / p.time,
                extra_forwards(res, s).unwrap_or(f64::NAN)
            ));
        }
        if let (Some(d), Some(b)) = (
            at(Method::Burn(Checkpointing::Disabled)),
            at(Method::Burn(Checkpointing::Balanced)),
        ) {
            out.push(format!(
                "burn-flex at L = {deepest}: Balanced holds {} MiB against Disabled's {} MiB and takes {:.2}× the time",
                mib(metric(b) as u64),
                mib(metric(d) as u64),
                b.time / d.time
            ));
        }
    }
    // The headline: the deepest network's memory and time, and whether the gradients match.
    if let Some(i) = out.iter().position(|l| l.starts_with("at L = ")) {
        let line = out.remove(i);
        let differing: usize = manual.iter().map(|c| c.differing).sum();
        out.insert(
            0,
            if differing == 0 {
                format!("{line}; gradients bit-identical to the plain pass")
            } else {
                format!("{line}; {differing} gradient elements DIFFER from the plain pass")
            },
        );
    }
    out
}

/// The outcome, with `checkpoint.csv`, `checkpoint.json` and the plots written under `out`.
pub fn outcome(cfg: &CheckpointConfig, res: &CheckpointResult, out: &Path) -> Result<Outcome> {
    let (tab, checks) = (table(res), checks_table(res));
    let facts = findings(res);
    let title = format!(
        "Gradient checkpointing: depth {:?}, width {}, batch {}, {} (tanh, mse); burn-flex for burn's strategies",
        cfg.depths, cfg.width, cfg.batch, cfg.dtype
    );
    let (text, markdown) = body(&title, &[&tab, &checks], &facts);
    let plots = plots(res, cfg);
    let mut dir = OutDir::new(out);
    dir.csv("checkpoint", &to_csv(res))?;
    dir.json("checkpoint", &to_json(cfg, res))?;
    dir.plots(&plots)?;
    Ok(Outcome {
        name: "checkpoint",
        title,
        text,
        markdown,
        plots,
        files: dir.files(),
        engines_agree: agrees(res),
    })
}

/// Runs the lab and writes its files under `out`.
pub fn run(cfg: &CheckpointConfig, out: &Path) -> Result<Outcome> {
    let result = measure_all(cfg)?;
    outcome(cfg, &result, out)
}

/// The report's section (quick setting).
pub const SECTION: bplab_output::report::OutcomeSection = bplab_output::report::OutcomeSection {
    name: "lab checkpoint",
    title: Some("Lab: gradient checkpointing"),
    data: "checkpoint",
    max_plots: 2,
    run: |_, dir| run(&CheckpointConfig::quick(), dir),
};
