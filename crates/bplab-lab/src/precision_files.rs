//! The plots and the JSON document of `bplab lab precision`: underflow and relative error per
//! layer of the deep network, the dynamic scaler's scale per step, and every cell, tensor and
//! scaler step with non-finite values as `bplab_core::json` writes them.

use super::precision::{Cell, HalfType, Net, PrecisionResults, Scaling, TensorError};
use super::scaler::Verdict;
use bplab_core::json::number;
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
        .x("layer", Scale::Linear)
        .y("underflow fraction", Scale::Linear);
    let mut err = LineChart::new("Deep network: ‖g − g64‖ / ‖g64‖ per weight")
        .x("layer", Scale::Linear)
        .y("relative error", Scale::Log10);
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
        .x("step", Scale::Linear)
        .y("scale S", Scale::Log10);
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
            caption: "f16: fraction of each weight gradient's nonzero elements that are exactly 0, by layer and loss scale".into(),
            svg: uf.to_svg(),
        },
        Plot {
            name: "precision-error".into(),
            caption: "relative error of each weight gradient against f64, no loss scaling".into(),
            svg: err.to_svg(),
        },
        Plot {
            name: "precision-scale".into(),
            caption: "the dynamic scaler's scale per step on the deep network".into(),
            svg: sc.to_svg(),
        },
    ]
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
                    "scale": number(s.scale), "skipped": s.verdict == Verdict::Skip,
                    "loss": number(s.loss), "underflow_fraction": number(s.underflow),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "lab": "precision", "deep_network": r.deep_summary, "cells": cells, "scaler": trajectories })
}
