//! What `bplab bench` shows: a table for people (`table`, `markdown`) and one JSON document
//! for scripts, `{"gemm_gflops": x, "peak": {…}, "calibration": {…}, "disturbed": b,
//! "results": [{"engine", "config", "op", "median_ns", "q1_ns", "q3_ns", "gflops",
//! "allocs_per_iter", "bytes_per_iter", "ratio_to_pytorch", …}], …}` (a `--baseline`'s rows
//! are appended with `"baseline": true`); the command itself ([`run`]:
//! the matrix or the sweep, then the output); and the report's section ([`BenchSection`]:
//! `bench --quick` over the whole matrix as the charts of [`crate::figures`], the tables
//! collapsed and `report/data/bench/bench.json`; timings inform, they never fail the report).

use crate::config::{BenchArgs, BenchFormat};
use crate::measure::{self, BenchConfigSet, BenchReport};
use crate::summary;
use crate::sweep;
use crate::targets::{fmt_ns, judge};
use bplab_core::json::number;
use bplab_core::{Error, Result};
use bplab_harness::engines;
use bplab_harness::flags;
use bplab_harness::timing::Budget;
use bplab_harness::workload::Op;
use bplab_harness::workload::CONFIGS;
use bplab_output::report::{escape, Section};
use bplab_output::table::Table;
use serde_json::{json, Value};

/// The three tables (every cell; backward/forward ratios; targets) as plain text or Markdown.
pub fn to_text(r: &BenchReport, markdown: bool) -> String {
    let render = |t: &Table| {
        if markdown {
            t.markdown()
        } else {
            t.render()
        }
    };
    let mut out = summary::lines(r).join("\n") + "\n\n";
    for note in device_notes(r) {
        out.push_str(&format!("{note}\n"));
    }
    if !device_notes(r).is_empty() {
        out.push('\n');
    }
    let mut cells = Table::new(&[
        "config",
        "op",
        "engine",
        "median",
        "IQR",
        "first call",
        "×manual",
        "×pytorch",
        "GFLOP/s",
        "%GEMM",
        "allocs/iter",
        "bytes/iter",
    ]);
    for (i, row) in r.rows.iter().enumerate() {
        cells.row(vec![
            row.config.to_string(),
            row.op.name().to_string(),
            row.engine.clone(),
            fmt_ns(row.timing.median_ns),
            format!("{}–{}", fmt_ns(row.q1_ns), fmt_ns(row.q3_ns)),
            fmt_ns(row.first_call_ns),
            r.ratio_to_manual(row)
                .map_or("-".into(), |x| format!("{x:.2}")),
            r.ratio_to_baseline(row)
                .map_or("-".into(), |x| format!("{x:.2}")),
            format!("{:.2}", row.gflops),
            format!("{:.1}", 100.0 * row.gflops / r.gemm_gflops),
            fmt_count(row.timing.allocs_per_iter),
            fmt_count(row.timing.bytes_per_iter),
        ]);
        let last_of_cell = r
            .rows
            .get(i + 1)
            .is_none_or(|next| (next.config, next.op) != (row.config, row.op));
        let base = r
            .baseline
            .as_ref()
            .and_then(|b| b.get(row.config, row.op.name()));
        if let (true, Some(b)) = (last_of_cell, base) {
            let manual = r.get("manual", row.config, row.op);
            cells.row(vec![
                row.config.to_string(),
                row.op.name().to_string(),
                format!("{} (baseline)", b.engine),
                fmt_ns(b.median_ns),
                format!("{}–{}", fmt_ns(b.q1_ns), fmt_ns(b.q3_ns)),
                "-".into(),
                manual.map_or("-".into(), |m| {
                    format!("{:.2}", b.median_ns / m.timing.median_ns)
                }),
                "1.00".into(),
                format!("{:.2}", b.gflops),
                format!("{:.1}", 100.0 * b.gflops / r.gemm_gflops),
                "-".into(),
                "-".into(),
            ]);
        }
    }
    out.push_str(&render(&cells));
    out.push_str(
        "\nbackward cost in forward passes, (grads − forward) / forward (the lesson: about 2)\n\n",
    );
    let mut bf = Table::new(&["config", "engine", "bwd/fwd"]);
    for (config, engine) in pairs(r) {
        if let Some(x) = r.backward_forward_ratio(&engine, config) {
            bf.row(vec![config.to_string(), engine, format!("{x:.2}")]);
        }
    }
    out.push_str(&render(&bf));
    let targets = judge(r);
    if !targets.is_empty() {
        out.push_str("\ntargets for the manual engine\n\n");
        let mut t = Table::new(&["target", "met", "measured"]);
        for x in targets {
            t.row(vec![
                x.name,
                if x.met { "yes" } else { "NO" }.into(),
                x.detail,
            ]);
        }
        out.push_str(&render(&t));
    }
    out
}

/// The JSON document.
pub fn to_json(r: &BenchReport) -> Value {
    let mut results: Vec<Value> = r
        .rows
        .iter()
        .map(|row| {
            json!({
                "engine": row.engine,
                "config": row.config,
                "op": row.op.name(),
                "median_ns": number(row.timing.median_ns),
                "first_call_ns": number(row.first_call_ns),
                "on_cpu_adapter": engines::on_cpu_adapter(&row.engine),
                "gflops": number(row.gflops),
                "allocs_per_iter": number(row.timing.allocs_per_iter),
                "bytes_per_iter": number(row.timing.bytes_per_iter),
                "iters_per_sample": row.timing.iters,
                "ratio_to_manual": r.ratio_to_manual(row).map_or(Value::Null, number),
                "gemm_fraction": number(row.gflops / r.gemm_gflops),
                "q1_ns": number(row.q1_ns),
                "q3_ns": number(row.q3_ns),
                "rounds": row.rounds,
                "ratio_to_pytorch": r.ratio_to_baseline(row).map_or(Value::Null, number),
            })
        })
        .collect();
    results.extend(summary::baseline_rows(r));
    let bf: Vec<Value> = pairs(r)
        .into_iter()
        .filter_map(|(config, engine)| {
            r.backward_forward_ratio(&engine, config)
                .map(|x| json!({"engine": engine, "config": config, "ratio": number(x)}))
        })
        .collect();
    let targets: Vec<Value> = judge(r)
        .into_iter()
        .map(|t| json!({"name": t.name, "met": t.met, "detail": t.detail}))
        .collect();
    let mut doc = json!({
        "machine": r.machine,
        "dtype": "f32",
        "gemm_gflops": number(r.gemm_gflops),
        "samples": r.budget.samples,
        "results": results,
        "backward_forward": bf,
        "targets": targets,
    });
    for (key, value) in summary::json_fields(r) {
        doc[key] = value;
    }
    doc
}

/// One line per engine in the report that runs on a graphics adapter: which adapter, and for
/// a CPU adapter (lavapipe) that its rows are CPU numbers through the GPU code path.
fn device_notes(r: &BenchReport) -> Vec<String> {
    let mut names: Vec<&str> = r.rows.iter().map(|x| x.engine.as_str()).collect();
    names.dedup();
    names
        .into_iter()
        .filter_map(|e| {
            let note = engines::device_note(e)?;
            Some(if engines::on_cpu_adapter(e) {
                format!("{note}\n{e}: these rows are CPU numbers through the GPU code path (CubeCL kernels run by a software adapter), not a GPU's")
            } else {
                note
            })
        })
        .collect()
}

/// Every (config, engine) with a forward row, in report order.
fn pairs(r: &BenchReport) -> Vec<(&'static str, String)> {
    r.rows
        .iter()
        .filter(|x| x.op == Op::Forward)
        .map(|x| (x.config, x.engine.clone()))
        .collect()
}

/// `0`, `3`, `2.5`, `1.2k`, `4.1M`.
fn fmt_count(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v < 10.0 && v.fract() != 0.0 {
        format!("{v:.2}")
    } else if v < 1e4 {
        format!("{v:.0}")
    } else if v < 1e7 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{:.1}M", v / 1e6)
    }
}

/// Runs `bplab bench`; returns stdout and the exit status.
pub fn run(a: BenchArgs) -> Result<(String, u8)> {
    let format = a.format;
    let engines = engines::select(a.engine.as_str())?;
    let configs = flags::picks(&a.config, &CONFIGS);
    let ops = flags::picks(&a.op, &Op::ALL);
    let budget = if a.quick { Budget::QUICK } else { Budget::FULL };
    if a.sweep {
        let s = sweep::run(&engines, budget, &a.out)?;
        let text = match format {
            BenchFormat::Json => format!("{}\n", sweep::to_json(&s)),
            _ => sweep::to_text(&s, &a.out),
        };
        return Ok((text, 0));
    }
    let baseline = a
        .baseline
        .as_deref()
        .map(crate::baseline::Baseline::load)
        .transpose()?;
    let report = measure::run(&BenchConfigSet {
        engines: &engines,
        configs,
        ops,
        budget,
        threads: a.threads.map_or(0, usize::from),
        baseline,
    })?;
    if let (Some(path), Some(b)) = (&a.gemm_plot, &report.baseline) {
        crate::gemm_plot::write(path, b, report.peak.gflops(), budget)?;
    }
    let text = match format {
        BenchFormat::Json => format!("{}\n", to_json(&report)),
        BenchFormat::Table => to_text(&report, false),
        BenchFormat::Markdown => to_text(&report, true),
    };
    Ok((text, 0))
}

/// `bench --quick` as a report section.
pub struct BenchSection;

impl bplab_output::report::ReportSection for BenchSection {
    fn name(&self) -> &'static str {
        "bench"
    }

    fn build(&self, ctx: &bplab_output::report::Context) -> Result<bplab_output::report::Section> {
        let engines = bplab_harness::engines::select(&ctx.engine)?;
        let baseline = ctx
            .baseline
            .as_deref()
            .map(crate::baseline::Baseline::load)
            .transpose()?;
        let report = measure::run(&BenchConfigSet {
            engines: &engines,
            configs: CONFIGS.to_vec(),
            ops: Op::ALL.to_vec(),
            budget: Budget::QUICK,
            threads: 0,
            baseline,
        })?;
        let dir = ctx.dir.join("data").join("bench");
        let path = dir.join("bench.json");
        let file_err = |p: &std::path::Path| {
            let path = p.display().to_string();
            move |e: std::io::Error| Error::File {
                path,
                reason: e.to_string(),
            }
        };
        std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&path, format!("{:#}\n", to_json(&report))))
            .map_err(file_err(&path))?;
        let mut links = vec!["data/bench/bench.json".to_string()];
        // The baseline file itself beside the data, so the page's numbers can be traced to it.
        if let (Some(src), Some(name)) = (
            ctx.baseline.as_deref(),
            ctx.baseline.as_deref().and_then(|p| p.file_name()),
        ) {
            let copy = dir.join(name);
            std::fs::copy(src, &copy).map_err(file_err(&copy))?;
            links.push(format!("data/bench/{}", name.to_string_lossy()));
        }
        let doc = to_json(&report);
        let mut lead =
            "Median time per call (f32, bench --quick, this machine, one run), relative to \
                the fastest engine on each configuration, and heap allocations per training step; \
                timings inform, they never fail the report."
                .to_string();
        if let Some(b) = &report.baseline {
            lead.push_str(&format!(
                " The pytorch bars are not measured in this run: they are the baseline file {} \
                 ({}, {}, {} threads, written by tools/bench/torch_bench.py){}.",
                b.path,
                b.versions,
                b.machine,
                b.threads,
                if b.machine == report.machine {
                    String::new()
                } else {
                    format!(
                        "; this run's machine is {}, so the pytorch ratios compare two machines",
                        report.machine
                    )
                }
            ));
        } else {
            lead.push_str(" No PyTorch baseline was given (bplab report --baseline FILE).");
        }
        let mut html = format!("<p class=\"lead\">{}</p>\n", escape(&lead));
        for p in crate::figures::charts(&doc) {
            html.push_str(&bplab_output::report::figure(&p.svg, &p.caption));
            html.push('\n');
        }
        html.push_str(&bplab_output::report::details(
            "full tables: every engine × configuration × operation, backward/forward, targets",
            &to_text(&report, false),
            &links,
        ));
        let verdict = if report.rows.is_empty() {
            bplab_output::report::Verdict::NotRun
        } else {
            bplab_output::report::Verdict::Ok
        };
        Ok(Section {
            title: "Benchmarks: every engine × configuration × operation".into(),
            markdown: format!("{lead}\n\n{}", to_text(&report, true)),
            html,
            verdict,
            headline: crate::figures::headline(&doc),
        })
    }
}
