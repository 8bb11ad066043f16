//! What `lab modes` shows: the sweep and sensitivity tables, the findings (each with its
//! number), the outcome with its files (written by [`super::files`]), [`run`] (measure, then
//! report), and the HTML report section.

use super::config::ModesConfig;
use super::engines::{engine_table, measure_engines, EngineRatio, DEPTH, WIDTH};
use super::files::{plots, sensitivity_csv, to_csv, to_json};
use super::measure::{measure_all, FmTiming, ModesResult, Sweep, SweepRow};
use crate::common::{body, loglog_slope, median};
use bplab_core::Result;
use bplab_output::files::OutDir;
use bplab_output::table::{sci, Table};
use bplab_output::Outcome;
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

/// The backward pass alone against the forward: `(reverse − forward) / forward`, since the
/// reverse-mode time is one forward plus one backward into reused buffers.
pub fn backward_ratio(row: &SweepRow) -> f64 {
    (row.reverse - row.forward) / row.forward
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
        "bwd/fwd",
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
            r(backward_ratio(row)),
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
    // The headline: the largest network of the sweeps, both modes' cost of its full gradient.
    if let Some(s) = res.sweep.iter().max_by_key(|s| s.params) {
        out.push(format!(
            "the full gradient of {} parameters costs {}× a forward pass by forward mode and {}× by reverse mode; both give the same gradients to {} (relative)",
            s.params,
            r(s.forward_mode / s.forward),
            r(s.reverse / s.forward),
            sci(worst)
        ));
    }
    out.push(format!(
        "forward-mode gradients equal reverse-mode ones: {} of {checked} elements within |a−b| ≤ 1e-15 + 1e-12·|b| (largest relative difference {})",
        checked - res.agreement.iter().map(|c| c.failed).sum::<usize>(),
        sci(worst)
    ));
    let mut rev: Vec<f64> = res.sweep.iter().map(|s| s.reverse / s.forward).collect();
    let mut bwd: Vec<f64> = res.sweep.iter().map(backward_ratio).collect();
    let mut jvp: Vec<f64> = res.sweep.iter().map(|s| s.jvp / s.forward).collect();
    if let (Some(lo), Some(hi)) = (
        rev.iter().copied().reduce(f64::min),
        rev.iter().copied().reduce(f64::max),
    ) {
        out.push(format!(
            "reverse mode (forward + backward) costs {}× a forward pass (median; range {}–{}) whatever the parameter count; one JVP costs {}×",
            r(median(&mut rev)),
            r(lo),
            r(hi),
            r(median(&mut jvp))
        ));
        out.push(format!(
            "the backward pass alone costs {}× the forward (median; range {}–{}), not the lesson's ≈ 2×: in matrix products it does 2 − 1/L times the forward's work (δᵀh for ∂L/∂W and δW for ∂L/∂h_prev per layer; the first layer skips ∂L/∂x), but the forward also evaluates tanh on every hidden unit (a transcendental function per element) and the loss, while the backward's tanh' = 1 − h² reuses the h the forward cached (docs/internals.md: why it stays below 2)",
            r(median(&mut bwd)),
            r(bwd.iter().copied().fold(f64::INFINITY, f64::min)),
            r(bwd.iter().copied().fold(0.0, f64::max))
        ));
    }
    for sweep in [Sweep::Width, Sweep::Depth] {
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

/// The outcome, with `modes.csv`, `modes-sensitivity.csv`, `modes.json` and the plots
/// written under `out`.
pub fn outcome(
    cfg: &ModesConfig,
    res: &ModesResult,
    engines: &[EngineRatio],
    out: &Path,
) -> Result<Outcome> {
    let (sweep, sens) = (sweep_table(res), sensitivity_table(res));
    let per_engine = engine_table(engines);
    let mut facts = findings(res);
    let ratios: Vec<String> = engines
        .iter()
        .map(|e| format!("{} {}", e.engine, r(e.backward_ratio())))
        .collect();
    facts.push(format!(
        "backward ÷ forward per engine (width {WIDTH}, depth {DEPTH}, batch {}, f64, each engine's trainer): {}; the frameworks' backward also records and frees a graph node per op",
        cfg.batch,
        ratios.join(", ")
    ));
    let title = format!(
        "Forward vs reverse mode (manual engine, f64, batch {}): widths at depth {}, depths at width {}; sensitivity n_in = {} → 64 → 64 → M",
        cfg.batch, cfg.width_depth, cfg.depth_width, cfg.sensitivity_inputs
    );
    let (text, markdown) = body(&title, &[&sweep, &sens, &per_engine], &facts);
    let plots = plots(res);
    let mut dir = OutDir::new(out);
    dir.csv("modes", &to_csv(res))?;
    dir.csv("modes-sensitivity", &sensitivity_csv(res))?;
    let mut doc = to_json(cfg, res);
    doc["backward_per_engine"] = engines
        .iter()
        .map(|e| {
            serde_json::json!({
                "engine": e.engine, "forward_s": e.forward, "forward_backward_s": e.grads,
                "backward_over_forward": e.backward_ratio(),
            })
        })
        .collect();
    dir.json("modes", &doc)?;
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

/// Runs the lab and writes its files under `out`.
pub fn run(cfg: &ModesConfig, out: &Path) -> Result<Outcome> {
    let result = measure_all(cfg)?;
    let engines = measure_engines(cfg)?;
    outcome(cfg, &result, &engines, out)
}

/// The report's section (quick setting).
pub const SECTION: bplab_output::report::OutcomeSection = bplab_output::report::OutcomeSection {
    name: "lab modes",
    title: Some("Lab: forward mode vs reverse mode"),
    data: "modes",
    max_plots: 3,
    run: |_, dir| run(&ModesConfig::quick(), dir),
};
