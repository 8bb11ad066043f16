//! The benchmark as charts, drawn from its JSON document (`bench.json`, [`crate::report::to_json`])
//! so that every engine in it appears — the timed engines and any baseline rows (PyTorch):
//! per operation, grouped bars with each engine's median time relative to the fastest engine
//! on that configuration (log scale), then the heap allocations per training step; and the
//! report's one-line [`headline`].

use bplab_output::plot::{Bar, BarChart, Scale};
use bplab_output::Plot;
use serde_json::Value;

/// One result row of the JSON document.
struct Row<'a> {
    engine: &'a str,
    config: &'a str,
    op: &'a str,
    ns: f64,
    allocs: f64,
    /// A row of the baseline file (`"baseline": true`), not measured in this run.
    baseline: bool,
}

fn rows(doc: &Value) -> Vec<Row<'_>> {
    let num = |r: &Value, k: &str| r.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    doc.get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Row {
                engine: r.get("engine")?.as_str()?,
                config: r.get("config")?.as_str()?,
                op: r.get("op")?.as_str()?,
                ns: num(r, "median_ns"),
                allocs: num(r, "allocs_per_iter"),
                baseline: r.get("baseline").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect()
}

/// The distinct values of `key` in first-seen order.
fn distinct<'a>(rows: &[Row<'a>], key: fn(&Row<'a>) -> &'a str) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for r in rows {
        if !out.contains(&key(r)) {
            out.push(key(r));
        }
    }
    out
}

/// The fastest median time on `(config, op)` and the engine that ran it.
fn fastest<'a>(rows: &[Row<'a>], config: &str, op: &str) -> Option<(f64, &'a str)> {
    rows.iter()
        .filter(|r| r.config == config && r.op == op && r.ns.is_finite() && r.ns > 0.0)
        .map(|r| (r.ns, r.engine))
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// A ratio for a sentence: `0.001`, `0.42`, `1.5`, `23`.
pub fn ratio(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.1}")
    } else if x >= 0.01 {
        format!("{x:.2}")
    } else {
        format!("{x:.0e}")
    }
}

/// `1.23 ms`, `456 µs`, `12.3 ns`.
fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// The charts: one per operation (time relative to the fastest engine), then allocations
/// per training step.
pub fn charts(doc: &Value) -> Vec<Plot> {
    let rows = rows(doc);
    let engines = distinct(&rows, |r| r.engine);
    let configs = distinct(&rows, |r| r.config);
    let ops = distinct(&rows, |r| r.op);
    let index = |list: &[&str], x: &str| list.iter().position(|y| *y == x).unwrap_or(0);
    let mut out = Vec::new();
    for &op in &ops {
        let mut chart = BarChart::new(
            format!("{op}: median time relative to the fastest engine, per configuration"),
            format!("bench-time-{op}"),
        )
        .x("configuration (network-batch size)")
        .y("time ÷ fastest engine's time (×, log scale)", Scale::Log10);
        chart.groups = configs.iter().map(|c| c.to_string()).collect();
        chart.series = engines.iter().map(|e| e.to_string()).collect();
        chart.reference = Some(1.0);
        let mut wins: Vec<(&str, usize)> = Vec::new();
        for r in rows
            .iter()
            .filter(|r| r.op == op && r.ns.is_finite() && r.ns > 0.0)
        {
            let Some((best, who)) = fastest(&rows, r.config, op) else {
                continue;
            };
            let x = r.ns / best;
            chart.bars.push(Bar {
                group: index(&configs, r.config),
                series: index(&engines, r.engine),
                value: x,
                title: format!(
                    "{} · {} · {op}: {}, {}× the fastest ({who})",
                    r.engine,
                    r.config,
                    time(r.ns),
                    ratio(x)
                ),
            });
            if r.engine == who {
                match wins.iter_mut().find(|w| w.0 == who) {
                    Some(w) => w.1 += 1,
                    None => wins.push((who, 1)),
                }
            }
        }
        wins.sort_by_key(|w| std::cmp::Reverse(w.1));
        let finding = wins.first().map_or(String::new(), |(who, n)| {
            format!(
                " Fastest on {n} of {} configurations: {who}.",
                configs.len()
            )
        });
        let manual: Vec<f64> = rows
            .iter()
            .filter(|r| r.op == op && r.engine == "manual" && r.ns.is_finite() && r.ns > 0.0)
            .filter_map(|r| fastest(&rows, r.config, op).map(|(best, _)| r.ns / best))
            .collect();
        let manual = if manual.is_empty() {
            String::new()
        } else {
            let lo = manual.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = manual.iter().copied().fold(0.0, f64::max);
            format!(
                " The manual engine is {}–{}× the fastest.",
                ratio(lo),
                ratio(hi)
            )
        };
        let baseline = if rows.iter().any(|r| r.op == op && r.baseline) {
            " pytorch's bars come from the baseline file, not from this run."
        } else {
            ""
        };
        out.push(Plot {
            name: format!("time-{op}"),
            caption: format!(
                "Each bar is one engine's median time for one {op} call divided by the fastest engine's on that configuration (1 = fastest, dashed; log scale; hover for the time).{finding}{manual}{baseline}"
            ),
            svg: chart.to_svg(),
        });
    }
    let step = if ops.contains(&"train_step") {
        "train_step"
    } else {
        ops.last().copied().unwrap_or("train_step")
    };
    let mut chart = BarChart::new(
        format!("heap allocations per {step} call, per configuration"),
        format!("bench-allocs-{step}"),
    )
    .x("configuration (network-batch size)")
    .y("heap allocations per call (count, log scale)", Scale::Log10);
    chart.groups = configs.iter().map(|c| c.to_string()).collect();
    chart.series = engines.iter().map(|e| e.to_string()).collect();
    for r in rows.iter().filter(|r| r.op == step && !r.allocs.is_nan()) {
        chart.bars.push(Bar {
            group: index(&configs, r.config),
            series: index(&engines, r.engine),
            value: r.allocs,
            title: format!(
                "{} · {} · {step}: {} allocations per call",
                r.engine, r.config, r.allocs
            ),
        });
    }
    let zero: Vec<&str> = engines
        .iter()
        .copied()
        .filter(|e| {
            let mine: Vec<&Row> = rows
                .iter()
                .filter(|r| r.op == step && r.engine == *e && !r.allocs.is_nan())
                .collect();
            !mine.is_empty() && mine.iter().all(|r| r.allocs == 0.0)
        })
        .collect();
    let mut finding = if zero.is_empty() {
        String::new()
    } else {
        format!(
            " No allocation at all in the step: {} (drawn as 0 at the baseline).",
            zero.join(", ")
        )
    };
    if let Some(most) = rows
        .iter()
        .filter(|r| r.op == step && r.allocs.is_finite())
        .max_by(|a, b| a.allocs.total_cmp(&b.allocs))
    {
        finding.push_str(&format!(
            " The most: {} on {}, {:.0} allocations per call.",
            most.engine, most.config, most.allocs
        ));
    }
    out.push(Plot {
        name: format!("allocs-{step}"),
        caption: format!(
            "Heap allocations during one {step} call, counted by the process's allocator (log scale).{finding}"
        ),
        svg: chart.to_svg(),
    });
    out
}

/// The one line for the summary: the manual engine's time against PyTorch's when the data
/// has PyTorch rows, else against the fastest other engine; its slowest case; the targets.
pub fn headline(doc: &Value) -> String {
    let rows = rows(doc);
    if rows.is_empty() {
        return "nothing measured".into();
    }
    let has_torch = rows.iter().any(|r| r.engine == "pytorch");
    let (versus, label) = if has_torch {
        ("pytorch", "PyTorch's")
    } else {
        ("", "the fastest other engine's")
    };
    let mut ratios: Vec<(f64, &str, &str)> = Vec::new();
    for r in rows.iter().filter(|r| r.engine == "manual") {
        let other = rows
            .iter()
            .filter(|o| o.config == r.config && o.op == r.op && o.engine != "manual")
            .filter(|o| if has_torch { o.engine == versus } else { true })
            .map(|o| o.ns)
            .filter(|ns| ns.is_finite() && *ns > 0.0)
            .fold(f64::INFINITY, f64::min);
        if other.is_finite() && r.ns.is_finite() {
            ratios.push((r.ns / other, r.config, r.op));
        }
    }
    let mut s = if ratios.is_empty() {
        let engines = distinct(&rows, |r| r.engine);
        format!(
            "{} engines × {} configurations timed",
            engines.len(),
            distinct(&rows, |r| r.config).len()
        )
    } else {
        let lo = ratios.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
        let worst = ratios
            .iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .copied()
            .unwrap_or((lo, "", ""));
        format!(
            "manual {}–{}× {label} time; slowest: {} {} {}×",
            ratio(lo),
            ratio(worst.0),
            worst.1,
            worst.2,
            ratio(worst.0)
        )
    };
    let targets: Vec<bool> = doc
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("met").and_then(Value::as_bool))
        .collect();
    if !targets.is_empty() {
        let met = targets.iter().filter(|m| **m).count();
        s.push_str(&format!("; {met}/{} targets met", targets.len()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        let row = |engine: &str, config: &str, op: &str, ns: f64, allocs: f64| json!({"engine": engine, "config": config, "op": op, "median_ns": ns, "allocs_per_iter": allocs});
        json!({"results": [
            row("manual", "a", "forward", 100.0, 0.0),
            row("burn", "a", "forward", 400.0, 12.0),
            row("pytorch", "a", "forward", 50.0, 3.0),
            row("manual", "b", "forward", 300.0, 0.0),
            row("burn", "b", "forward", 600.0, 20.0),
            row("pytorch", "b", "forward", 1000.0, 3.0),
        ], "targets": [{"name": "t", "met": true}, {"name": "u", "met": false}]})
    }

    #[test]
    fn every_engine_in_the_data_is_a_bar_relative_to_the_fastest() {
        let plots = charts(&doc());
        assert_eq!(plots.len(), 2); // forward, then allocations
        let svg = &plots[0].svg;
        assert_eq!(svg.matches(r#"class="bar""#).count(), 6);
        assert!(svg.contains(r#"data-group="a" data-series="burn" data-value="8""#));
        assert!(svg.contains(r#"data-group="b" data-series="manual" data-value="1""#));
        assert!(plots[0]
            .caption
            .contains("Fastest on 1 of 2 configurations"));
        assert!(plots[1]
            .caption
            .contains("No allocation at all in the step: manual"));
        assert!(plots[1]
            .caption
            .ends_with("The most: burn on b, 20 allocations per call."));
        assert!(plots[0]
            .svg
            .contains(">configuration (network-batch size)</text>"));
    }

    #[test]
    fn the_headline_compares_manual_with_pytorch_when_present() {
        assert_eq!(
            headline(&doc()),
            "manual 0.30–2.0× PyTorch's time; slowest: a forward 2.0×; 1/2 targets met"
        );
        let mut no_torch = doc();
        no_torch["results"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r["engine"] != "pytorch");
        assert!(headline(&no_torch).starts_with("manual 0.25–0.50× the fastest other engine's"));
    }
}
