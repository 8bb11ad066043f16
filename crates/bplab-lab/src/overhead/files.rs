//! `lab overhead`'s files: the batch sweep with its fitted lines (`overhead-sweep.svg`),
//! `overhead.json` (every row, its fit and its sweep, with the machine) and `overhead.csv`
//! (one line per engine × configuration).

use super::measure::Row;
use bplab_core::json::number;
use bplab_output::files::{num, Csv};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::Plot;
use serde_json::{json, Value};

pub(super) fn plot(rows: &[Row]) -> Plot {
    let mut c = LineChart::new("grads time against FLOPs (batch sweep) and the fitted line")
        .x("FLOPs per grads call (count, log scale)", Scale::Log10)
        .y("time per grads call (ns, log scale)", Scale::Log10);
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
    let fits: Vec<(&Row, f64)> = rows
        .iter()
        .filter_map(|r| r.fit.map(|f| (r, f.intercept)))
        .collect();
    let lo = fits.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let hi = fits.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let finding = match (lo, hi) {
        (Some(l), Some(h)) => format!(
            ": the fixed overhead a runs from {:.1} µs ({} {}) to {:.1} µs ({} {})",
            l.1 / 1e3,
            l.0.engine,
            l.0.config,
            h.1 / 1e3,
            h.0.engine,
            h.0.config
        ),
        _ => String::new(),
    };
    Plot {
        name: "overhead-sweep".into(),
        caption: format!("grads time per call over the batch sweep (solid) and the fitted time = a + b·FLOPs (dashed); the flat part at small batches is fixed per-call overhead{finding}."),
        svg: c.to_svg(),
    }
}

pub(super) fn to_json(rows: &[Row]) -> Value {
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

/// `overhead.csv`.
pub(super) fn to_csv(rows: &[Row]) -> Csv {
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
    for r in rows {
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
    csv
}
