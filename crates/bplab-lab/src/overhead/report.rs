//! What `bplab lab overhead` shows: the one table (time split, allocations, ops, fixed cost
//! per op, the break-even size), the findings, the outcome with its files (written by
//! [`super::files`]), [`run`] (measure, then report), and the report section.

use super::config::OverheadConfig;
use super::files::{plot, to_csv, to_json};
use super::measure::{measure_all, OpCount, Row};
use bplab_core::Result;
use bplab_output::files::OutDir;
use bplab_output::table::Table;
use bplab_output::Outcome;
use std::fmt::Write as _;
use std::path::Path;

fn us(ns: f64) -> String {
    format!("{:.1}", ns / 1e3)
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("-".into(), f)
}

fn ops_cell(o: OpCount) -> String {
    match o {
        OpCount::CandleGraph { ops, nodes } => format!("{ops} ({nodes} nodes)"),
        OpCount::BurnNodes(n) => n.to_string(),
        OpCount::NotExposed => "-".into(),
    }
}

/// The manual engine's step time for `config`, if measured.
fn manual_step(rows: &[Row], config: &str) -> Option<f64> {
    rows.iter()
        .find(|r| r.engine == "manual" && r.config == config)
        .map(|r| r.step_ns)
}

/// The one table.
pub fn table(rows: &[Row]) -> Table {
    let mut t = Table::new(&[
        "engine",
        "config",
        "forward µs",
        "backward µs",
        "update µs",
        "step µs",
        "× manual",
        "allocs/step",
        "ops/step",
        "allocs/op",
        "fixed µs",
        "fixed ns/op",
        "break-even MFLOP",
        "step MFLOP",
    ]);
    for r in rows {
        let fit = r.fit;
        t.row(vec![
            r.engine.clone(),
            r.config.into(),
            us(r.forward_ns),
            us(r.backward_ns()),
            us(r.update_ns()),
            us(r.step_ns),
            opt(manual_step(rows, r.config).map(|m| r.step_ns / m), |v| {
                format!("{v:.1}")
            }),
            opt(r.allocs_per_step, |v| format!("{v:.0}")),
            ops_cell(r.ops),
            opt(r.allocs_per_op(), |v| format!("{v:.1}")),
            opt(fit.map(|f| f.intercept), us),
            opt(r.per_op_ns(), |v| format!("{v:.0}")),
            opt(fit.map(|f| f.breakeven()).filter(|v| v.is_finite()), |v| {
                format!("{:.2}", v / 1e6)
            }),
            format!("{:.4}", r.step_flops / 1e6),
        ]);
    }
    t
}

/// The findings, one line each, with the measured numbers.
pub fn findings(rows: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| r.engine != "manual") {
        let Some(m) = manual_step(rows, r.config) else {
            continue;
        };
        let mut line = format!(
            "{} on {}: step {} µs = {:.1}× the manual engine",
            r.engine,
            r.config,
            us(r.step_ns),
            r.step_ns / m
        );
        if let Some(ops) = r.ops.ops() {
            let _ = write!(line, "; {ops} ops recorded per step");
        }
        if let Some(a) = r.allocs_per_step {
            let _ = write!(line, ", {a:.0} allocations per step");
        }
        if let (Some(f), Some(p)) = (r.fit, r.per_op_ns()) {
            let _ = write!(
                line,
                "; fixed cost {} µs per grads call ≈ {p:.0} ns per op",
                us(f.intercept)
            );
        }
        if let Some(b) = r.fit.map(|f| f.breakeven()).filter(|v| v.is_finite()) {
            let _ = write!(
                line,
                "; overhead equals compute at {:.2} MFLOP per grads call (this config: {:.4} MFLOP per step)",
                b / 1e6,
                r.step_flops / 1e6
            );
        }
        out.push(line);
    }
    if let Some(m) = rows.iter().find(|r| r.engine == "manual") {
        if let Some(a) = m.allocs_per_step {
            out.push(format!(
                "manual: {a:.0} allocations per step (buffers kept between steps), no graph recorded"
            ));
        }
    }
    out
}

/// Measures, writes `overhead.csv`, `overhead.json`, `overhead-sweep.svg` under `out`.
pub fn run(cfg: &OverheadConfig, out: &Path) -> Result<Outcome> {
    let rows = measure_all(cfg)?;
    let plots = vec![plot(&rows)];
    let mut dir = OutDir::new(out);
    dir.json("overhead", &to_json(&rows))?;
    dir.csv("overhead", &to_csv(&rows))?;
    dir.plots(&plots)?;
    let t = table(&rows);
    let mut text = format!("{}\n", t.render());
    let mut markdown = format!("{}\n", t.markdown());
    if rows.iter().all(|r| r.allocs_per_step.is_none()) {
        text.push_str(
            "(allocations not counted: the counting allocator is not installed in this process)\n",
        );
    }
    for f in findings(&rows) {
        let _ = writeln!(text, "- {f}");
        let _ = writeln!(markdown, "- {f}");
    }
    Ok(Outcome {
        name: "overhead",
        title: "Where a training step's time goes, per engine (f32)".into(),
        text,
        markdown,
        plots,
        files: dir.files(),
        engines_agree: true,
    })
}

/// The report's section (quick setting).
pub const SECTION: bplab_output::report::OutcomeSection = bplab_output::report::OutcomeSection {
    name: "lab overhead",
    title: Some("Lab overhead: where each engine's step time goes"),
    data: "lab-overhead",
    max_plots: 1,
    run: |ctx, dir| {
        run(
            &OverheadConfig {
                engines: ctx.engine.clone(),
                ..OverheadConfig::quick()
            },
            dir,
        )
    },
};
