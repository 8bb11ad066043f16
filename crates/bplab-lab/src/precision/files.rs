//! The files of `bplab lab precision`: the plots (underflow and relative error per layer of
//! the deep network, the dynamic scaler's scale per step), the JSON document (every cell,
//! tensor and scaler step, non-finite values as `bplab_core::json` writes them), and the two
//! CSV tables (`precision.csv`, one line per tensor; `precision-scaler.csv`, one per step).

use super::compare::TensorError;
use super::config::{HalfType, Net, Scaling};
use super::measure::{Cell, PrecisionResults};
use super::scaler::ScalerAction;
use bplab_core::json::number;
use bplab_output::files::{num, Csv};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::Plot;
use serde_json::{json, Value};

fn label(c: &Cell) -> String {
    format!(
        "{} {} S={}",
        c.engine.name(),
        c.half.name(),
        c.scaling.name()
    )
}

/// The three plots.
pub fn plots(r: &PrecisionResults) -> Vec<Plot> {
    let deep: Vec<&Cell> = r.cells.iter().filter(|c| c.net == Net::Deep).collect();
    let weights = |c: &Cell, f: &dyn Fn(&TensorError) -> f64| -> Vec<(f64, f64)> {
        c.tensors
            .iter()
            .filter(|t| t.name.ends_with("weight"))
            .map(|t| ((t.layer + 1) as f64, f(t)))
            .collect()
    };
    let mut uf = LineChart::new("Deep network: gradient elements that underflow to 0")
        .x("layer l (1 = next to the input)", Scale::Linear)
        .y("nonzero elements flushed to 0 (fraction)", Scale::Linear);
    let mut err = LineChart::new("Deep network: ‖g − g64‖ / ‖g64‖ per weight")
        .x("layer l (1 = next to the input)", Scale::Linear)
        .y("‖g − g64‖ / ‖g64‖ (log scale)", Scale::Log10);
    for c in &deep {
        if c.half == HalfType::F16 {
            uf = uf.series(Series::new(
                label(c),
                weights(c, &|t| t.underflow.fraction()),
            ));
        }
        if c.scaling == Scaling::None {
            err = err.series(Series::new(label(c), weights(c, &|t| t.rel)));
        }
    }
    let mut sc = LineChart::new("Dynamic loss scale (backoff ×0.5 on inf/NaN, growth ×2)")
        .x("SGD step", Scale::Linear)
        .y("loss scale S (log scale)", Scale::Log10);
    for tr in &r.trajectories {
        let pts = tr
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (i as f64, s.scale))
            .collect();
        sc = sc.series(Series::new(
            format!("{} {}", tr.engine.name(), tr.half.name()),
            pts,
        ));
    }
    vec![
        Plot {
            name: "precision-underflow".into(),
            caption: underflow_caption(&deep),
            svg: uf.to_svg(),
        },
        Plot {
            name: "precision-error".into(),
            caption: error_caption(&deep),
            svg: err.to_svg(),
        },
        Plot {
            name: "precision-scale".into(),
            caption: scale_caption(r),
            svg: sc.to_svg(),
        },
    ]
}

/// The largest value of `f` over the weight gradients of `c` and its layer (1-based), NaN
/// first: a non-finite error is the finding.
fn worst_weight(c: &Cell, f: &dyn Fn(&TensorError) -> f64) -> (f64, usize) {
    c.tensors
        .iter()
        .filter(|t| t.name.ends_with("weight"))
        .map(|t| (f(t), t.layer + 1))
        .fold((0.0, 0), |(m, l), (v, tl)| {
            if m.is_nan() || v <= m {
                (m, l)
            } else {
                (v, tl)
            }
        })
}

/// The underflow plot's finding: f16's worst layer without scaling against the best scale, per
/// engine.
fn underflow_caption(deep: &[&Cell]) -> String {
    let frac = |t: &TensorError| t.underflow.fraction();
    let f16 = || deep.iter().filter(|c| c.half == HalfType::F16);
    let mut engines: Vec<&str> = f16().map(|c| c.engine.name()).collect();
    engines.dedup();
    let each: Vec<String> = engines
        .iter()
        .map(|&e| {
            let mine = || f16().filter(move |c| c.engine.name() == e);
            let mut out = e.to_string();
            if let Some(c) = mine().find(|c| c.scaling == Scaling::None) {
                let (v, l) = worst_weight(c, &frac);
                out += &format!(" without scaling up to {:.1} % (layer {l})", 100.0 * v);
            }
            let best = mine()
                .filter(|c| c.scaling != Scaling::None)
                .map(|c| (worst_weight(c, &frac).0, c.scaling.name()))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((v, name)) = best {
                out += &format!(", with S = {name} at most {:.1} %", 100.0 * v);
            }
            out
        })
        .collect();
    format!(
        "f16, deep network: fraction of each weight gradient's nonzero elements that are exactly 0, by layer and loss scale; {}",
        each.join("; ")
    )
}

/// The error plot's finding: each half type's worst relative error without scaling.
fn error_caption(deep: &[&Cell]) -> String {
    let worst: Vec<String> = deep
        .iter()
        .filter(|c| c.scaling == Scaling::None)
        .map(|c| {
            let (v, l) = worst_weight(c, &|t| t.rel);
            format!("{} {} {v:.2e} (layer {l})", c.engine.name(), c.half.name())
        })
        .collect();
    format!(
        "relative error of each weight gradient against f64, no loss scaling; worst: {}",
        worst.join(", ")
    )
}

/// The scale plot's finding: the skipped steps and the final scale of each trajectory.
fn scale_caption(r: &PrecisionResults) -> String {
    let each: Vec<String> = r
        .trajectories
        .iter()
        .map(|tr| {
            let skipped = tr.skipped();
            let last = tr.steps.last().map_or(f64::NAN, |s| s.scale);
            format!(
                "{} {}: {skipped} of {} steps skipped, S ends at {last:e}",
                tr.engine.name(),
                tr.half.name(),
                tr.steps.len()
            )
        })
        .collect();
    format!(
        "the dynamic scaler's scale per step on the deep network; {}",
        each.join("; ")
    )
}

/// `precision.json`.
pub fn to_json(r: &PrecisionResults) -> Value {
    let cells: Vec<Value> = r
        .cells
        .iter()
        .map(|c| {
            json!({
                "network": c.net.name(), "engine": c.engine.name(), "dtype": c.half.name(),
                "scale": number(c.scaling.factor()), "loss": number(c.loss),
                "worst_rel_error": number(c.worst_rel()),
                "underflow_fraction": number(c.underflow().fraction()),
                "nonfinite": c.nonfinite(),
                "tensors": c.tensors.iter().map(|t| json!({
                    "name": t.name, "rel_error": number(t.rel), "zeroed": t.underflow.zeroed,
                    "nonzero": t.underflow.nonzero, "nonfinite": t.nonfinite,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let trajectories: Vec<Value> = r
        .trajectories
        .iter()
        .map(|t| {
            json!({
                "engine": t.engine.name(), "dtype": t.half.name(),
                "steps": t.steps.iter().map(|s| json!({
                    "scale": number(s.scale), "skipped": s.action == ScalerAction::Skip,
                    "loss": number(s.loss), "underflow_fraction": number(s.underflow),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "lab": "precision", "deep_network": r.deep_summary, "cells": cells, "scaler": trajectories })
}

/// `precision.csv`: one line per network × engine × format × scaling × tensor.
pub fn tensors_csv(r: &PrecisionResults) -> Csv {
    let mut csv = Csv::new(&[
        "network",
        "engine",
        "dtype",
        "scale",
        "tensor",
        "rel_error",
        "zeroed",
        "nonzero",
        "nonfinite",
    ]);
    for c in &r.cells {
        for t in &c.tensors {
            csv.row(vec![
                c.net.name().into(),
                c.engine.name().into(),
                c.half.name().into(),
                num(c.scaling.factor()),
                t.name.clone(),
                num(t.rel),
                t.underflow.zeroed.to_string(),
                t.underflow.nonzero.to_string(),
                t.nonfinite.to_string(),
            ]);
        }
    }
    csv
}

/// `precision-scaler.csv`: one line per step of each dynamic-scaler run.
pub fn scaler_csv(r: &PrecisionResults) -> Csv {
    let mut sc = Csv::new(&[
        "engine",
        "dtype",
        "step",
        "scale",
        "skipped",
        "loss",
        "underflow",
    ]);
    for t in &r.trajectories {
        for (i, s) in t.steps.iter().enumerate() {
            sc.row(vec![
                t.engine.name().into(),
                t.half.name().into(),
                i.to_string(),
                num(s.scale),
                (s.action == ScalerAction::Skip).to_string(),
                num(s.loss),
                num(s.underflow),
            ]);
        }
    }
    sc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precision::{measure, PrecisionConfig};

    /// Each caption states its plot's finding with the run's numbers: the scale plot's skipped
    /// steps and final scale per trajectory, the error plot's worst tensor per cell, the
    /// underflow plot's worst layer without scaling per engine.
    #[test]
    fn captions_carry_the_runs_numbers() {
        let r = measure(&PrecisionConfig::quick()).unwrap();
        let p = plots(&r);
        let caption = |name: &str| &p.iter().find(|p| p.name == name).unwrap().caption;
        for tr in &r.trajectories {
            let skipped = tr.skipped();
            let want = format!(
                "{} {}: {skipped} of {} steps skipped, S ends at {:e}",
                tr.engine.name(),
                tr.half.name(),
                tr.steps.len(),
                tr.steps.last().unwrap().scale
            );
            assert!(caption("precision-scale").contains(&want), "{want}");
        }
        for c in r
            .cells
            .iter()
            .filter(|c| c.net == Net::Deep && c.scaling == Scaling::None)
        {
            let worst = c
                .tensors
                .iter()
                .filter(|t| t.name.ends_with("weight"))
                .map(|t| t.rel)
                .fold(0.0f64, f64::max);
            let want = format!("{} {} {worst:.2e}", c.engine.name(), c.half.name());
            assert!(caption("precision-error").contains(&want), "{want}");
        }
        let uf = caption("precision-underflow");
        for e in ["manual", "candle"] {
            assert!(uf.contains(&format!("{e} without scaling up to ")), "{uf}");
        }
    }
}
