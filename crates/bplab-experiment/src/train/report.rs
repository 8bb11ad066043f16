//! `experiment train`'s report: the per-engine table, the loss and relative-difference
//! plots, `train.csv`/`train.json`/SVGs, [`run`] → [`Outcome`], and the report section.

use super::config::TrainConfig;
use super::measure::{measure, TrainResults};
use bplab_core::presets::Preset;
use bplab_core::Result;
use bplab_harness::engines::with_reference_for;
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::report::OutcomeSection;
use bplab_output::table::{sci, Table};
use bplab_output::{Outcome, Plot};
use serde_json::json;
use std::path::Path;

/// Headline table: one row per engine.
pub fn table(r: &TrainResults) -> Table {
    let mut t = Table::new(&[
        "engine",
        "steps",
        "first loss",
        "final epoch loss",
        "train acc",
        "test acc",
        "max rel diff vs manual",
    ]);
    for x in &r.runs {
        t.row(vec![
            x.engine.clone(),
            x.losses.len().to_string(),
            format!("{:.6}", x.losses.first().copied().unwrap_or(f64::NAN)),
            format!("{:.6}", x.epoch_losses.last().copied().unwrap_or(f64::NAN)),
            format!("{:.3}", x.train_accuracy),
            format!("{:.3}", x.test_accuracy),
            sci(x.max_rel_diff),
        ]);
    }
    t
}

/// The largest relative difference of any engine's step loss from the manual engine's.
fn worst_rel_diff(r: &TrainResults) -> f64 {
    r.runs
        .iter()
        .skip(1)
        .map(|x| x.max_rel_diff)
        .fold(0.0, f64::max)
}

/// The claim with its numbers: what training reached, and how closely every engine followed.
pub fn findings(r: &TrainResults) -> Vec<String> {
    let Some(m) = r.runs.first() else {
        return Vec::new();
    };
    vec![format!(
        "loss {:.4} (first step) → {:.4} (epoch {}), test accuracy {:.3}, {} SGD steps; {} engines within {} of the manual engine's loss at every step",
        m.losses.first().copied().unwrap_or(f64::NAN),
        m.epoch_losses.last().copied().unwrap_or(f64::NAN),
        m.epoch_losses.len(),
        m.test_accuracy,
        r.steps,
        r.runs.len(),
        sci(worst_rel_diff(r))
    )]
}

/// The loss curves and each engine's relative difference from the manual engine.
pub fn plots(r: &TrainResults) -> Vec<Plot> {
    let mut loss = LineChart::new("Iris, assignment network: training loss after each epoch")
        .x("epoch (pass over the training set)", Scale::Linear)
        .y(
            "cross-entropy loss, whole training set (nats)",
            Scale::Linear,
        );
    let mut diff = LineChart::new("|loss − manual| / manual, step by step")
        .x("SGD step (mini-batch)", Scale::Linear)
        .y("relative difference from manual (log scale)", Scale::Log10);
    let manual = &r.runs[0];
    for (i, x) in r.runs.iter().enumerate() {
        let mut s = Series::new(
            x.engine.clone(),
            x.epoch_losses
                .iter()
                .enumerate()
                .map(|(e, &v)| ((e + 1) as f64, v))
                .collect(),
        );
        s.dashed = i > 0;
        loss = loss.series(s);
        if i > 0 {
            let d: Vec<f64> = x
                .losses
                .iter()
                .zip(&manual.losses)
                .map(|(a, b)| (a - b).abs() / b.abs())
                .collect();
            diff = diff.series(Series::from_values(x.engine.clone(), &d));
        }
    }
    // The largest spread between engines' epoch losses: how far apart the curves are.
    let spread = (0..manual.epoch_losses.len())
        .map(|e| {
            let v: Vec<f64> = r
                .runs
                .iter()
                .filter_map(|x| x.epoch_losses.get(e))
                .copied()
                .collect();
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                - v.iter().copied().fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max);
    let identical = r
        .runs
        .iter()
        .skip(1)
        .filter(|x| x.max_rel_diff == 0.0)
        .count();
    vec![
        Plot {
            name: "loss".into(),
            caption: format!(
                "Training loss after each epoch on every engine (manual solid, the others dashed): it falls from {:.4} (first step) to {:.4} in {} epochs, and the {} curves never differ by more than {} so they coincide.",
                manual.losses.first().copied().unwrap_or(f64::NAN),
                manual.epoch_losses.last().copied().unwrap_or(f64::NAN),
                manual.epoch_losses.len(),
                r.runs.len(),
                sci(spread)
            ),
            svg: loss.to_svg(),
        },
        Plot {
            name: "rel-diff".into(),
            caption: format!(
                "Each engine's loss at every SGD step relative to the manual engine's (a step with no difference at all is a marker below the axis): the largest is {} over {} steps{}.",
                sci(worst_rel_diff(r)),
                r.steps,
                if identical > 0 {
                    format!("; {identical} engine(s) match the manual engine exactly")
                } else {
                    String::new()
                }
            ),
            svg: diff.to_svg(),
        },
    ]
}

/// Runs the experiment, writes `train.csv`, `train.json`, the SVGs under `out`.
pub fn run(cfg: &TrainConfig, engine_spec: &str, out: &Path) -> Result<Outcome> {
    let engines = with_reference_for(engine_spec, cfg.dtype)?;
    let r = measure(cfg, &engines)?;
    let plots = plots(&r);
    let mut csv = Csv::new(&["engine", "step", "loss"]);
    for x in &r.runs {
        for (i, l) in x.losses.iter().enumerate() {
            csv.row(vec![x.engine.clone(), i.to_string(), num(*l)]);
        }
    }
    let n = |v: &[f64]| {
        v.iter()
            .map(|&x| bplab_core::json::number(x))
            .collect::<Vec<_>>()
    };
    let j = bplab_core::json::number;
    let runs: Vec<_> = r
        .runs
        .iter()
        .map(|x| {
            json!({"engine": x.engine, "losses": n(&x.losses), "epoch_losses": n(&x.epoch_losses),
            "train_accuracy": j(x.train_accuracy), "test_accuracy": j(x.test_accuracy),
            "max_rel_diff": j(x.max_rel_diff)})
        })
        .collect();
    let mut dir = OutDir::new(out);
    dir.csv("train", &csv)?;
    dir.json(
        "train",
        &json!({"config": {"network": Preset::Assignment.spec().summary(), "init": cfg.init.to_string(),
            "seed": cfg.seed, "epochs": cfg.epochs, "batch_size": cfg.batch_size, "lr": cfg.lr,
            "dtype": cfg.dtype.name()}, "runs": runs}),
    )?;
    dir.plots(&plots)?;
    let table = table(&r);
    let title = format!(
        "train: {} on Iris (versicolor vs virginica, {:.0}% held out), init {} seed {}, SGD lr {}, batch {}, {} epochs = {} steps, {}",
        Preset::Assignment.spec().summary(),
        cfg.test_fraction * 100.0,
        cfg.init,
        cfg.seed,
        cfg.lr,
        cfg.batch_size,
        cfg.epochs,
        r.steps,
        cfg.dtype
    );
    let bullets: String = findings(&r).iter().map(|f| format!("- {f}\n")).collect();
    Ok(Outcome {
        name: "train",
        text: format!(
            "{title}\n\n{}\n{bullets}\n{}",
            table.render(),
            r.agreement.render()
        ),
        markdown: format!(
            "{}\n{bullets}\n```\n{}```\n",
            table.markdown(),
            r.agreement.render()
        ),
        title,
        engines_agree: r.agreement.explained(),
        plots,
        files: dir.files(),
    })
}

/// The report's section: [`TrainConfig::quick`] on the report's engines.
pub const SECTION: OutcomeSection = OutcomeSection {
    name: "experiment train",
    title: None,
    data: "train",
    max_plots: 2,
    run: |ctx, dir| run(&TrainConfig::quick(), ctx.engine.as_str(), dir),
};
