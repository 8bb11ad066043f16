//! `bplab bench --sweep`: grads time against batch size (the 784-128-64-10 network, batch
//! 1 … 1024) and against width (a `w-w-w-10` network at batch 64, `w` = 8 … 2048), for every
//! engine, written as CSV, JSON and two log–log SVG plots. Where the curves are flat, fixed
//! per-operation overhead dominates; where they rise with slope 1, arithmetic does.

mod plot;

use bplab_core::json::number;
use bplab_core::{Activation, DType, Engine, Error, Loss, NetSpec, Result};
use bplab_harness::progress::Progress;
use bplab_harness::timing::{measure, Budget};
use bplab_harness::workload::{flops, workload, Op};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Batch sizes of the batch sweep.
pub const BATCHES: [usize; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/// Widths of the width sweep.
pub const WIDTHS: [usize; 9] = [8, 16, 32, 64, 128, 256, 512, 1024, 2048];
/// Batch size of the width sweep.
pub const WIDTH_SWEEP_BATCH: usize = 64;

/// Which axis a point varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Batch,
    Width,
}

impl Axis {
    /// `batch` or `width`.
    pub fn name(self) -> &'static str {
        match self {
            Axis::Batch => "batch",
            Axis::Width => "width",
        }
    }
}

/// One measured point.
#[derive(Debug, Clone)]
pub struct Point {
    pub axis: Axis,
    pub engine: String,
    pub batch: usize,
    pub width: usize,
    pub median_ns: f64,
    pub gflops: f64,
}

/// Every point of both sweeps.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub points: Vec<Point>,
}

fn spec_for(axis: Axis, width: usize) -> NetSpec {
    use Activation::*;
    let widths = match axis {
        Axis::Batch => vec![784, 128, 64, 10],
        Axis::Width => vec![width, width, width, 10],
    };
    NetSpec::new(widths, vec![Relu, Relu, Softmax], Loss::CrossEntropy, false)
        .expect("valid by construction")
}

/// Runs both sweeps and writes `sweep.csv`, `sweep.json`, `sweep-batch.svg` and
/// `sweep-width.svg` under `out`.
pub fn run(engines: &[Box<dyn Engine>], budget: Budget, out: &Path) -> Result<Sweep> {
    let mut plan: Vec<(Axis, usize, usize)> =
        BATCHES.iter().map(|&b| (Axis::Batch, b, 784)).collect();
    plan.extend(WIDTHS.iter().map(|&w| (Axis::Width, WIDTH_SWEEP_BATCH, w)));
    let mut progress = Progress::new("sweep", plan.len() * engines.len());
    let mut points = Vec::new();
    for &(axis, batch, width) in &plan {
        let spec = spec_for(axis, width);
        let (net, data) = workload(&spec, batch);
        for engine in engines {
            let mut trainer = engine.trainer(&net, &data, DType::F32)?;
            let t = measure(budget, || trainer.grads().map(drop))?;
            points.push(Point {
                axis,
                engine: engine.name().to_string(),
                batch,
                width,
                median_ns: t.median_ns,
                gflops: flops(&spec, batch, Op::Grads) / t.median_ns,
            });
            progress.tick(&format!(
                "{} {} {}",
                engine.name(),
                axis.name(),
                batch.max(width)
            ));
        }
    }
    progress.finish();
    let sweep = Sweep { points };
    write_files(&sweep, out)?;
    Ok(sweep)
}

fn write_files(s: &Sweep, out: &Path) -> Result<()> {
    let io = |e: std::io::Error, p: &Path| Error::File {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(out).map_err(|e| io(e, out))?;
    let (by_batch, by_width) = plot::svgs(s);
    let files = [
        ("sweep.csv", to_csv(s)),
        ("sweep.json", format!("{}\n", to_json(s))),
        ("sweep-batch.svg", by_batch),
        ("sweep-width.svg", by_width),
    ];
    for (name, text) in files {
        let p = out.join(name);
        std::fs::write(&p, text).map_err(|e| io(e, &p))?;
    }
    Ok(())
}

/// `axis,engine,batch,width,median_ns,gflops`, one line per point.
pub fn to_csv(s: &Sweep) -> String {
    let mut out = String::from("axis,engine,batch,width,median_ns,gflops\n");
    for p in &s.points {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{}",
            p.axis.name(),
            p.engine,
            p.batch,
            p.width,
            p.median_ns,
            p.gflops
        );
    }
    out
}

/// `{"points": [{"axis", "engine", "batch", "width", "median_ns", "gflops"}]}`.
pub fn to_json(s: &Sweep) -> Value {
    let points: Vec<Value> = s
        .points
        .iter()
        .map(|p| {
            json!({"axis": p.axis.name(), "engine": p.engine, "batch": p.batch,
                   "width": p.width, "median_ns": number(p.median_ns), "gflops": number(p.gflops)})
        })
        .collect();
    json!({ "points": points })
}

/// A short table of the extremes of each curve and where the files are.
pub fn to_text(s: &Sweep, out: &Path) -> String {
    let mut t = bplab_output::table::Table::new(&["axis", "engine", "size", "median", "GFLOP/s"]);
    for p in &s.points {
        t.row(vec![
            p.axis.name().into(),
            p.engine.clone(),
            match p.axis {
                Axis::Batch => p.batch,
                Axis::Width => p.width,
            }
            .to_string(),
            crate::targets::fmt_ns(p.median_ns),
            format!("{:.2}", p.gflops),
        ]);
    }
    format!(
        "{}\nwrote {}/sweep.csv, sweep.json, sweep-batch.svg, sweep-width.svg\n",
        t.render(),
        out.display()
    )
}
