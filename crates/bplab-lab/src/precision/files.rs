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
