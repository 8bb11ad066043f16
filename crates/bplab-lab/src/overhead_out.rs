//! What `bplab lab overhead` shows and writes: the one table (time split, allocations, ops,
//! fixed cost per op, the break-even size), the findings, `overhead.csv`, `overhead.json`,
//! the sweep with its fitted lines as `overhead-sweep.svg`; and the command-line flags.

use super::overhead::{measure_all, OpCount, OverheadConfig, Row};
use super::{out_dir, LabCommon};
use bplab_core::json::number;
use bplab_core::{Error, Result};
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::table::Table;
use bplab_output::{Outcome, Plot};
use clap::Args;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// `bplab lab overhead` flags.
#[derive(Args, Debug)]
pub struct OverheadArgs {
    #[command(flatten)]
    pub common: LabCommon,
    /// manual, burn-ndarray, burn-flex, candle, a comma-separated list, or all.
    #[arg(long, default_value = "all", value_name = "NAME")]
    pub engine: String,
    /// Configurations, comma-separated (default seed-b1,mnist-b64).
    #[arg(long, value_name = "LIST")]
    pub config: Option<String>,
}

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

fn plot(rows: &[Row]) -> Plot {
    let mut c = LineChart::new("grads time against FLOPs (batch sweep) and the fitted line")
        .x("FLOPs per grads call", Scale::Log10)
        .y("time (ns)", Scale::Log10);
    for r in rows {
        c = c.series(Series::new(
            format!("{} {}", r.engine, r.config),
            r.sweep.clone(),
        ));
        if let Some(f) = r.fit {
            let pts = r
                .sweep
                .iter()
                .map(|&(x, _)| (x, f.intercept + f.slope * x))
                .collect();
            let mut s = Series::new(format!("{} {} fit", r.engine, r.config), pts);
            s.dashed = true;
            c = c.series(s);
        }
    }
    Plot {
        name: "overhead-sweep".into(),
        caption: "grads time per call over the batch sweep (solid) and time = a + b·FLOPs (dashed): the flat part is fixed overhead".into(),
        svg: c.to_svg(),
    }
}

fn to_json(rows: &[Row]) -> Value {
    let opt = |v: Option<f64>| v.map_or(Value::Null, number);
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "engine": r.engine, "config": r.config,
                "forward_ns": number(r.forward_ns), "backward_ns": number(r.backward_ns()),
                "update_ns": number(r.update_ns()), "step_ns": number(r.step_ns),
                "allocs_per_step": opt(r.allocs_per_step), "ops_per_step": r.ops.ops(),
                "allocs_per_op": opt(r.allocs_per_op()),
                "intercept_ns": opt(r.fit.map(|f| f.intercept)),
                "slope_ns_per_flop": opt(r.fit.map(|f| f.slope)),
                "per_op_ns": opt(r.per_op_ns()),
                "breakeven_flops": opt(r.fit.map(|f| f.breakeven())),
                "step_flops": number(r.step_flops),
                "sweep": r.sweep.iter().zip(&r.ops_by_batch).map(|(&(f, t), &(b, o))| json!({
                    "batch": b, "flops": number(f), "grads_ns": number(t), "ops": o,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "lab": "overhead", "machine": bplab_harness::timing::machine(), "rows": list })
}

/// Measures, writes `overhead.csv`, `overhead.json`, `overhead-sweep.svg` under `out`.
pub fn run(cfg: &OverheadConfig, out: &Path) -> Result<Outcome> {
    let rows = measure_all(cfg)?;
    let mut csv = Csv::new(&[
        "engine",
        "config",
        "forward_ns",
        "backward_ns",
        "update_ns",
        "step_ns",
        "allocs_per_step",
        "ops_per_step",
        "intercept_ns",
        "slope_ns_per_flop",
        "breakeven_flops",
    ]);
    let cell = |v: Option<f64>| v.map_or(String::new(), num);
    for r in &rows {
        csv.row(vec![
            r.engine.clone(),
            r.config.into(),
            num(r.forward_ns),
            num(r.backward_ns()),
            num(r.update_ns()),
            num(r.step_ns),
            cell(r.allocs_per_step),
            cell(r.ops.ops().map(|o| o as f64)),
            cell(r.fit.map(|f| f.intercept)),
            cell(r.fit.map(|f| f.slope)),
            cell(r.fit.map(|f| f.breakeven())),
        ]);
    }
    let plots = vec![plot(&rows)];
    let mut dir = OutDir::new(out);
    dir.json("overhead", &to_json(&rows))?;
    dir.csv("overhead", &csv)?;
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

/// `bplab lab overhead` from its flags.
pub fn run_args(a: OverheadArgs) -> Result<Outcome> {
    let mut cfg = if a.common.quick {
        OverheadConfig::quick()
    } else {
        OverheadConfig::default()
    };
    cfg.engines = a.engine.clone();
    if let Some(s) = &a.config {
        cfg.configs = s
            .split(',')
            .map(|c| bplab_harness::workload::BenchConfig::by_name(c.trim()).map(|b| b.name))
            .collect::<Result<_>>()?;
        if cfg.configs.is_empty() {
            return Err(Error::Parse("--config: no configuration given".into()));
        }
    }
    a.common.format.parse::<bplab_output::table::Format>()?;
    run(&cfg, &out_dir(&a.common, "overhead"))
}

/// The report's section (quick setting).
pub struct OverheadSection;

impl bplab_output::report::ReportSection for OverheadSection {
    fn name(&self) -> &'static str {
        "lab overhead"
    }

    fn build(&self, ctx: &bplab_output::report::Context) -> Result<bplab_output::report::Section> {
        let cfg = OverheadConfig {
            engines: ctx.engine.clone(),
            ..OverheadConfig::quick()
        };
        let o = run(&cfg, &ctx.dir.join("data").join("lab-overhead"))?;
        let mut s = bplab_output::report::outcome_section(&o, 1);
        s.title = "Lab overhead: where each engine's step time goes".into();
        Ok(s)
    }
}
