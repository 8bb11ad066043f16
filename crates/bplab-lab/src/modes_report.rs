//! `lab modes` output: the two tables, the findings (each with its number), CSV/JSON/SVG
//! files, and the HTML report section.

use super::modes::{FmTiming, ModesConfig, ModesResult, SweepRow};
use bplab_core::json::number;
use bplab_core::Result;
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::report::outcome_section;
use bplab_output::table::{sci, Table};
use bplab_output::{Outcome, Plot};
use serde_json::json;
use std::path::Path;

/// A duration in seconds as a short string in the given unit (`1e-6` → µs).
fn t(v: f64, unit: f64) -> String {
    let x = v / unit;
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// A ratio, 3 significant digits.
fn r(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn timing(row: &SweepRow) -> String {
    match row.fm_timing {
        FmTiming::Measured => "measured".into(),
        FmTiming::Scaled => format!("scaled ({} of {} JVPs)", row.jvps, row.params),
    }
}

/// Least-squares slope of `log y` against `log x`.
pub fn loglog_slope(points: &[(f64, f64)]) -> f64 {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let n = pts.len() as f64;
    let (mx, my) = pts
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    sxy / sxx
}

/// The sweep table.
pub fn sweep_table(res: &ModesResult) -> Table {
    let mut tab = Table::new(&[
        "sweep",
        "width",
        "depth",
        "params",
        "fwd µs",
        "rev µs",
        "rev/fwd",
        "JVP µs",
        "JVP/fwd",
        "fwd-mode ms",
        "fm/fwd",
        "fwd-mode timing",
    ]);
    for row in &res.sweep {
        tab.row(vec![
            row.sweep.name().into(),
            row.width.to_string(),
            row.depth.to_string(),
            row.params.to_string(),
            t(row.forward, 1e-6),
            t(row.reverse, 1e-6),
            r(row.reverse / row.forward),
            t(row.jvp, 1e-6),
            r(row.jvp / row.forward),
            t(row.forward_mode, 1e-3),
            r(row.forward_mode / row.forward),
            timing(row),
        ]);
    }
    tab
}

/// The sensitivity table.
pub fn sensitivity_table(res: &ModesResult) -> Table {
    let mut tab = Table::new(&[
        "outputs M",
        "fwd µs",
        "1 JVP µs",
        "M backward µs",
        "rev/JVP",
        "agree (excess)",
    ]);
    for row in &res.sensitivity {
        tab.row(vec![
            row.outputs.to_string(),
            t(row.forward, 1e-6),
            t(row.jvp, 1e-6),
            t(row.reverse, 1e-6),
            r(row.reverse / row.jvp),
            sci(row.excess),
        ]);
    }
    tab
}

/// Whether the built-in checks passed: forward-mode gradients and output tangents agree.
pub fn agrees(res: &ModesResult) -> bool {
    res.agreement.iter().all(|c| c.passed()) && res.sensitivity.iter().all(|s| s.excess <= 1.0)
}

/// The findings, each with the number measured.
pub fn findings(res: &ModesResult) -> Vec<String> {
    let mut out = Vec::new();
    let checked: usize = res.agreement.iter().map(|c| c.checked).sum();
    let worst = res.agreement.iter().map(|c| c.max_rel).fold(0.0, f64::max);
    out.push(format!(
        "forward-mode gradients equal reverse-mode ones: {} of {checked} elements within |a−b| ≤ 1e-15 + 1e-12·|b| (largest relative difference {})",
        checked - res.agreement.iter().map(|c| c.failed).sum::<usize>(),
        sci(worst)
    ));
    let mut rev: Vec<f64> = res.sweep.iter().map(|s| s.reverse / s.forward).collect();
    let mut jvp: Vec<f64> = res.sweep.iter().map(|s| s.jvp / s.forward).collect();
    if let (Some(lo), Some(hi)) = (
        rev.iter().copied().reduce(f64::min),
        rev.iter().copied().reduce(f64::max),
    ) {
        out.push(format!(
            "reverse mode (forward + backward) costs {}× a forward pass (median; range {}–{}) whatever the parameter count; one JVP costs {}×",
            r(super::median(&mut rev)),
            r(lo),
            r(hi),
            r(super::median(&mut jvp))
        ));
    }
    for sweep in [super::modes::Sweep::Width, super::modes::Sweep::Depth] {
        let rows: Vec<&SweepRow> = res.sweep.iter().filter(|s| s.sweep == sweep).collect();
        if let (Some(a), Some(b)) = (rows.first(), rows.last()) {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .map(|s| (s.params as f64, s.forward_mode / s.forward))
                .collect();
            out.push(format!(
                "{} sweep: forward mode costs {}× a forward pass at {} parameters and {}× at {} (log-log slope of that ratio against the parameter count {:.2}; 1 = linear)",
                sweep.name(),
                r(a.forward_mode / a.forward),
                a.params,
                r(b.forward_mode / b.forward),
                b.params,
                loglog_slope(&pts)
            ));
        }
    }
    if let (Some(a), Some(b)) = (res.sensitivity.first(), res.sensitivity.last()) {
        out.push(format!(
            "one input direction, M outputs: one JVP gives every output's tangent in {} µs at M = {} and {} µs at M = {}; reverse mode needs M backward passes: {} µs and {} µs ({}× the JVP at M = {})",
            t(a.jvp, 1e-6),
            a.outputs,
            t(b.jvp, 1e-6),
            b.outputs,
            t(a.reverse, 1e-6),
            t(b.reverse, 1e-6),
            r(b.reverse / b.jvp),
            b.outputs
        ));
    }
    out
}

fn plots(res: &ModesResult) -> Vec<Plot> {
    let series = |sweep, name: &str, f: &dyn Fn(&SweepRow) -> f64| {
        Series::new(
            name,
            res.sweep
                .iter()
                .filter(|s| s.sweep == sweep)
                .map(|s| (s.params as f64, f(s)))
                .collect(),
        )
    };
    use super::modes::Sweep::{Depth, Width};
    let mut out = Vec::new();
    for (sweep, stem) in [(Width, "modes-width"), (Depth, "modes-depth")] {
        let chart = LineChart::new(format!("Full gradient cost, {} sweep", sweep.name()))
            .x("parameters", Scale::Log10)
            .y("seconds", Scale::Log10)
            .series(series(sweep, "forward pass", &|s: &SweepRow| s.forward))
            .series(series(
                sweep,
                "reverse mode (fwd + bwd)",
                &|s: &SweepRow| s.reverse,
            ))
            .series(series(sweep, "one JVP", &|s: &SweepRow| s.jvp))
            .series(series(
                sweep,
                "forward mode (one JVP per parameter)",
                &|s: &SweepRow| s.forward_mode,
            ));
        out.push(Plot {
            name: stem.into(),
            caption: format!(
                "{} sweep: time of the full gradient by forward mode grows with the parameter count; reverse mode stays a small multiple of one forward pass",
                sweep.name()
            ),
            svg: chart.to_svg(),
        });
    }
    let sens = LineChart::new("One input direction, M outputs")
        .x("outputs M", Scale::Log10)
        .y("seconds", Scale::Log10)
        .series(Series::new(
            "forward mode: one JVP",
            res.sensitivity
                .iter()
                .map(|s| (s.outputs as f64, s.jvp))
                .collect(),
        ))
        .series(Series::new(
            "reverse mode: M backward passes",
            res.sensitivity
                .iter()
                .map(|s| (s.outputs as f64, s.reverse))
                .collect(),
        ));
    out.push(Plot {
        name: "modes-sensitivity".into(),
        caption: "Sensitivity of every output to one input direction: one JVP against one backward pass per output".into(),
        svg: sens.to_svg(),
    });
    out
}

fn to_json(cfg: &ModesConfig, res: &ModesResult) -> serde_json::Value {
    json!({
        "lab": "modes",
        "config": {
            "widths": cfg.widths, "width_depth": cfg.width_depth, "depths": cfg.depths,
            "depth_width": cfg.depth_width, "batch": cfg.batch, "outputs": cfg.outputs,
            "forward_mode_budget_s": cfg.forward_mode_budget.as_secs_f64(), "dtype": "f64",
        },
        "agreement": res.agreement.iter().map(|c| json!({
            "tensor": c.name, "passed": c.passed(), "max_abs": number(c.max_abs),
            "max_rel": number(c.max_rel), "atol": c.tolerance.atol, "rtol": c.tolerance.rtol,
        })).collect::<Vec<_>>(),
        "sweep": res.sweep.iter().map(|s| json!({
            "sweep": s.sweep.name(), "width": s.width, "depth": s.depth, "params": s.params,
            "forward_s": number(s.forward), "reverse_s": number(s.reverse),
            "jvp_s": number(s.jvp), "forward_mode_s": number(s.forward_mode),
            "forward_mode_jvps_timed": s.jvps,
            "forward_mode_timing": match s.fm_timing { FmTiming::Measured => "measured", FmTiming::Scaled => "scaled" },
        })).collect::<Vec<_>>(),
        "sensitivity": res.sensitivity.iter().map(|s| json!({
            "outputs": s.outputs, "forward_s": number(s.forward), "jvp_s": number(s.jvp),
            "reverse_s": number(s.reverse), "excess": number(s.excess),
        })).collect::<Vec<_>>(),
    })
}

fn to_csv(res: &ModesResult) -> Csv {
    let mut csv = Csv::new(&[
        "sweep",
        "width",
        "depth",
        "params",
        "forward_s",
        "reverse_s",
        "jvp_s",
        "forward_mode_s",
        "forward_mode_jvps_timed",
        "forward_mode_timing",
    ]);
    for s in &res.sweep {
        csv.row(vec![
            s.sweep.name().into(),
            s.width.to_string(),
            s.depth.to_string(),
            s.params.to_string(),
            num(s.forward),
            num(s.reverse),
            num(s.jvp),
            num(s.forward_mode),
            s.jvps.to_string(),
            match s.fm_timing {
                FmTiming::Measured => "measured".into(),
                FmTiming::Scaled => "scaled".into(),
            },
        ]);
    }
    csv
}

fn sensitivity_csv(res: &ModesResult) -> Csv {
    let mut csv = Csv::new(&["outputs", "forward_s", "jvp_s", "reverse_s", "excess"]);
    for s in &res.sensitivity {
        csv.row(vec![
            s.outputs.to_string(),
            num(s.forward),
            num(s.jvp),
            num(s.reverse),
            num(s.excess),
        ]);
    }
    csv
}

/// The outcome, with `modes.csv`, `modes-sensitivity.csv`, `modes.json` and the plots
/// written under `out`.
pub fn outcome(cfg: &ModesConfig, res: &ModesResult, out: &Path) -> Result<Outcome> {
    let (sweep, sens) = (sweep_table(res), sensitivity_table(res));
    let facts = findings(res);
    let title = format!(
        "Forward vs reverse mode (manual engine, f64, batch {}): widths at depth {}, depths at width {}; sensitivity n_in = {} → 64 → 64 → M",
        cfg.batch, cfg.width_depth, cfg.depth_width, cfg.sensitivity_inputs
    );
    let (text, markdown) = super::body(&title, &[&sweep, &sens], &facts);
    let plots = plots(res);
    let mut dir = OutDir::new(out);
    dir.csv("modes", &to_csv(res))?;
    dir.csv("modes-sensitivity", &sensitivity_csv(res))?;
    dir.json("modes", &to_json(cfg, res))?;
    dir.plots(&plots)?;
    Ok(Outcome {
        name: "modes",
        title,
        text,
        markdown,
        plots,
        files: dir.files(),
        engines_agree: agrees(res),
    })
}

/// The report section (quick setting).
pub struct ModesSection;

impl bplab_output::report::ReportSection for ModesSection {
    fn name(&self) -> &'static str {
        "lab modes"
    }

    fn build(&self, ctx: &bplab_output::report::Context) -> Result<bplab_output::report::Section> {
        let o = super::modes::run(&ModesConfig::quick(), &ctx.dir.join("data").join("modes"))?;
        let mut s = outcome_section(&o, 3);
        s.title = "Lab: forward mode vs reverse mode".into();
        Ok(s)
    }
}
