//! `lab checkpoint`'s files: the two SVG plots (bytes held for backward and time per step
//! against depth), `checkpoint.json` (the configuration, every row and check) and
//! `checkpoint.csv` (one line per depth × method).

use super::config::{CheckpointConfig, Method, Segment};
use super::measure::{CheckpointResult, Row};
use bplab_core::json::number;
use bplab_output::files::{num, Csv};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::Plot;
use serde_json::json;

/// Bytes in a MiB.
pub(super) const MIB: f64 = 1024.0 * 1024.0;

pub(super) fn plots(res: &CheckpointResult, cfg: &CheckpointConfig) -> Vec<Plot> {
    let series = |f: &dyn Fn(&Row) -> f64| {
        cfg.methods
            .iter()
            .map(|&m| {
                Series::new(
                    m.name(),
                    res.rows_of(m)
                        .iter()
                        .map(|r| (r.depth as f64, f(r)))
                        .collect(),
                )
            })
            .collect::<Vec<_>>()
    };
    let mut mem = LineChart::new(if res.counted {
        "Bytes held for backward (manual: peak less gradients; burn: graph after forward)"
    } else {
        "Activation bytes held"
    })
    .x("depth L (layers, log scale)", Scale::Log10)
    .y("memory held for backward (MiB, log scale)", Scale::Log10);
    for s in series(&|r: &Row| res.memory(r) as f64 / MIB) {
        mem = mem.series(s);
    }
    let mut time = LineChart::new("Time per step")
        .x("depth L (layers, log scale)", Scale::Log10)
        .y("time per training step (s, log scale)", Scale::Log10);
    for s in series(&|r: &Row| r.time) {
        time = time.series(s);
    }
    // The finding, at the deepest network: plain against √L segments.
    let deepest = res.rows.iter().map(|r| r.depth).max().unwrap_or(0);
    let at = |m: Method| {
        res.rows
            .iter()
            .find(|r| r.depth == deepest && r.method == m)
    };
    let pair = at(Method::Plain).zip(at(Method::Segments(Segment::SqrtL)));
    let (held, took) = pair.map_or((String::new(), String::new()), |(p, s)| {
        (
            format!(
                ": at L = {deepest} √L segments hold {:.2} MiB against the plain pass's {:.2} MiB",
                res.memory(s) as f64 / MIB,
                res.memory(p) as f64 / MIB
            ),
            format!(
                ": at L = {deepest} a √L-checkpointed step takes {:.2}× the plain step's {:.3e} s",
                s.time / p.time,
                p.time
            ),
        )
    });
    vec![
        Plot {
            name: "checkpoint-memory".into(),
            caption: format!(
                "Memory held for the backward pass against depth (width {}, batch {}), per method: √L checkpointing grows as √L, the plain pass as L{held}.",
                cfg.width, cfg.batch
            ),
            svg: mem.to_svg(),
        },
        Plot {
            name: "checkpoint-time".into(),
            caption: format!(
                "Median time per training step against depth, per method: checkpointing recomputes about one extra forward pass{took}."
            ),
            svg: time.to_svg(),
        },
    ]
}

pub(super) fn to_json(cfg: &CheckpointConfig, res: &CheckpointResult) -> serde_json::Value {
    json!({
        "lab": "checkpoint",
        "config": {
            "depths": cfg.depths, "width": cfg.width, "batch": cfg.batch,
            "methods": cfg.methods.iter().map(|m| m.name()).collect::<Vec<_>>(),
            "dtype": cfg.dtype.to_string(),
        },
        "allocator_counted": res.counted,
        "rows": res.rows.iter().map(|r| json!({
            "depth": r.depth, "method": r.method.name(), "k": r.k,
            "activation_bytes": r.analytic_bytes, "peak_bytes": r.peak_bytes,
            "burn_graph_bytes_after_forward": r.after_forward,
            "gradient_bytes": r.grad_bytes, "time_s": number(r.time),
            "forward_time_s": number(r.forward_time),
        })).collect::<Vec<_>>(),
        "checks": res.checks.iter().map(|c| json!({
            "depth": c.depth, "comparison": c.what, "elements": c.elements,
            "not_bit_identical": c.differing, "max_abs": number(c.max_abs),
        })).collect::<Vec<_>>(),
    })
}

pub(super) fn to_csv(res: &CheckpointResult) -> Csv {
    let mut csv = Csv::new(&[
        "depth",
        "method",
        "k",
        "activation_bytes",
        "peak_bytes",
        "burn_graph_bytes_after_forward",
        "gradient_bytes",
        "time_s",
        "forward_time_s",
    ]);
    for r in &res.rows {
        csv.row(vec![
            r.depth.to_string(),
            r.method.name().into(),
            r.k.map(|k| k.to_string()).unwrap_or_default(),
            r.analytic_bytes.map(|b| b.to_string()).unwrap_or_default(),
            r.peak_bytes.to_string(),
            r.after_forward.map(|b| b.to_string()).unwrap_or_default(),
            r.grad_bytes.to_string(),
            num(r.time),
            num(r.forward_time),
        ]);
    }
    csv
}
