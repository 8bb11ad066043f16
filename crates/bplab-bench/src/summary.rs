//! The lines above `bplab bench`'s table and the matching JSON fields: the machine and its
//! theoretical peak ([`crate::peak`]), the manual kernel's measured GEMM rates beside the
//! baseline's (PyTorch's and NumPy's, [`crate::baseline`]), and the start/end calibration with
//! its warning when the machine was disturbed during the run.

use crate::gemm::{GEMM_N, GEMM_WIDE};
use crate::measure::{BenchReport, DISTURBED};
use bplab_core::json::number;
use serde_json::{json, Value};

/// The header lines.
pub fn lines(r: &BenchReport) -> Vec<String> {
    let p = &r.peak;
    let (m, k, n) = GEMM_WIDE;
    let mut out = vec![
        format!(
            "bench: f32 · {} · kernel: {} ({}×{} tile), {} threads",
            r.machine,
            p.isa.features(),
            p.isa.tile().0,
            p.isa.tile().1,
            p.threads
        ),
        format!(
            "GEMM (the manual engine's kernel): {:.1} GFLOP/s at {GEMM_N}³ ({:.0}% of peak), {:.1} at {m}×{k}×{n}",
            r.gemm_gflops,
            100.0 * r.gemm_gflops / p.gflops(),
            r.gemm_wide_gflops
        ),
    ];
    out.extend(p.explain());
    if let Some(b) = &r.baseline {
        let mut g: Vec<String> = b
            .gemm
            .iter()
            .map(|g| format!("{} {:.1} at {}×{}×{}", g.library, g.gflops, g.m, g.k, g.n))
            .collect();
        if g.is_empty() {
            g.push("none recorded".into());
        }
        out.push(format!(
            "baseline: {} ({}; {}, {} threads) · GEMM: {}",
            b.path,
            b.versions,
            b.machine,
            b.threads,
            g.join(", ")
        ));
    }
    let c = &r.calibration;
    out.push(format!(
        "calibration GEMM {:.1} → {:.1} GFLOP/s (start → end, {:+.0}%){}",
        c.start_gflops,
        c.end_gflops,
        100.0 * (c.end_gflops - c.start_gflops) / c.start_gflops,
        if c.disturbed() {
            format!(
                " — WARNING: more than {:.0}%: the machine was disturbed during this run",
                100.0 * DISTURBED
            )
        } else {
            String::new()
        }
    ));
    out.push(format!(
        "medians: median of per-round medians over {} interleaved rounds (IQR: quartiles of the rounds)",
        r.rows.first().map_or(0, |x| x.rounds)
    ));
    out
}

/// The JSON fields added to the document's top level.
pub fn json_fields(r: &BenchReport) -> Vec<(&'static str, Value)> {
    let p = &r.peak;
    let c = &r.calibration;
    let (m, k, n) = GEMM_WIDE;
    vec![
        ("gemm_wide_gflops", number(r.gemm_wide_gflops)),
        ("gemm_wide_shape", json!([m, k, n])),
        ("threads", json!(p.threads)),
        ("isa", json!(p.isa.features())),
        (
            "peak",
            json!({
                "gflops": number(p.gflops()),
                "threads": p.threads,
                "fma_units": p.fma_units,
                "fma_source": p.fma_source,
                "lanes": p.lanes,
                "ghz": number(p.ghz),
                "clock_source": p.clock_source,
                "clock_measured": p.measured.is_some(),
                "measured_ghz_per_thread": p.measured.as_ref().map(|c| c.per_thread_ghz.iter().map(|&g| number(g)).collect::<Vec<_>>()),
                "cpuinfo_ghz": p.cpuinfo_ghz.map(number),
                "virtual_machine": p.virtual_machine,
            }),
        ),
        (
            "calibration",
            json!({
                "start_gflops": number(c.start_gflops),
                "end_gflops": number(c.end_gflops),
                "change": number(c.change()),
                "disturbed": c.disturbed(),
            }),
        ),
        ("disturbed", json!(c.disturbed())),
        (
            "baseline",
            r.baseline.as_ref().map_or(Value::Null, |b| {
                json!({
                    "path": b.path,
                    "machine": b.machine,
                    "threads": b.threads,
                    "versions": b.versions,
                    "gemm": b.gemm.iter().map(|g| json!({
                        "library": g.library, "m": g.m, "k": g.k, "n": g.n,
                        "gflops": number(g.gflops),
                    })).collect::<Vec<_>>(),
                })
            }),
        ),
    ]
}

/// The baseline's rows in the document's `results` shape (marked `"baseline": true`).
pub fn baseline_rows(r: &BenchReport) -> Vec<Value> {
    let Some(b) = &r.baseline else {
        return Vec::new();
    };
    b.rows
        .iter()
        .map(|x| {
            let manual = r
                .rows
                .iter()
                .find(|m| m.engine == "manual" && m.config == x.config && m.op.name() == x.op);
            json!({
                "engine": x.engine,
                "config": x.config,
                "op": x.op,
                "median_ns": number(x.median_ns),
                "q1_ns": number(x.q1_ns),
                "q3_ns": number(x.q3_ns),
                "gflops": number(x.gflops),
                "ratio_to_manual": manual.map_or(Value::Null, |m| number(x.median_ns / m.timing.median_ns)),
                "baseline": true,
            })
        })
        .collect()
}
