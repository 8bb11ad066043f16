//! `lab modes`' files: the three SVG plots (the two sweeps, the sensitivity networks),
//! `modes.json` (the configuration, the agreement check, every row) and the two CSV tables.

use super::config::ModesConfig;
use super::measure::Sweep::{Depth, Width};
use super::measure::{FmTiming, ModesResult, SweepRow};
use bplab_core::json::number;
use bplab_output::files::{num, Csv};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::Plot;
use serde_json::json;

pub(super) fn plots(res: &ModesResult) -> Vec<Plot> {
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
    let mut out = Vec::new();
    for (sweep, stem) in [(Width, "modes-width"), (Depth, "modes-depth")] {
        let chart = LineChart::new(format!("Full gradient cost, {} sweep", sweep.name()))
            .x("parameters (count, log scale)", Scale::Log10)
            .y("time per call (s, log scale)", Scale::Log10)
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
        let largest = res
            .sweep
            .iter()
            .filter(|s| s.sweep == sweep)
            .max_by_key(|s| s.params);
        let finding = largest.map_or(String::new(), |s| {
            format!(
                ": at {} parameters forward mode takes {:.3e} s = {:.0}× a forward pass, reverse mode {:.3e} s = {:.1}×",
                s.params,
                s.forward_mode,
                s.forward_mode / s.forward,
                s.reverse,
                s.reverse / s.forward
            )
        });
        out.push(Plot {
            name: stem.into(),
            caption: format!(
                "{} sweep: time of one forward pass, of the full gradient by reverse mode, of one JVP and of the full gradient by forward mode (one JVP per parameter) against the parameter count; forward mode grows with it, reverse mode stays a small multiple of the forward pass{finding}.",
                sweep.name()
            ),
            svg: chart.to_svg(),
        });
    }
    let sens = LineChart::new("One input direction, M outputs")
        .x("outputs M (count, log scale)", Scale::Log10)
        .y(
            "time for every output's sensitivity (s, log scale)",
            Scale::Log10,
        )
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
    let finding = res.sensitivity.last().map_or(String::new(), |s| {
        format!(
            ": at M = {} the JVP takes {:.3e} s and the backward passes {:.3e} s ({:.0}× longer)",
            s.outputs,
            s.jvp,
            s.reverse,
            s.reverse / s.jvp
        )
    });
    out.push(Plot {
        name: "modes-sensitivity".into(),
        caption: format!("Sensitivity of every output to one input direction: one JVP (forward mode) against one backward pass per output (reverse mode){finding}."),
        svg: sens.to_svg(),
    });
    out
}

pub(super) fn to_json(cfg: &ModesConfig, res: &ModesResult) -> serde_json::Value {
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

pub(super) fn to_csv(res: &ModesResult) -> Csv {
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

pub(super) fn sensitivity_csv(res: &ModesResult) -> Csv {
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
