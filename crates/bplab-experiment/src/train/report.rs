//! `experiment train`'s report: the per-engine table, the loss and relative-difference
//! plots, `train.csv`/`train.json`/SVGs, [`run`] → [`Outcome`], and the report section.

use super::config::TrainConfig;
use super::measure::{measure, TrainResults};
use bplab_core::presets::Preset;
use bplab_core::Result;
use bplab_harness::engines::with_reference;
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

/// The loss curves and each engine's relative difference from the manual engine.
pub fn plots(r: &TrainResults) -> Vec<Plot> {
    let mut loss = LineChart::new("Iris, assignment network: training loss after each epoch")
        .x("epoch", Scale::Linear)
        .y("loss (whole training set)", Scale::Linear);
    let mut diff = LineChart::new("|loss − manual| / manual, step by step")
        .x("step", Scale::Linear)
        .y("relative difference", Scale::Log10);
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
    vec![
        Plot {
            name: "loss".into(),
            caption: "training loss per epoch on every engine (the curves coincide)".into(),
            svg: loss.to_svg(),
        },
        Plot {
            name: "rel-diff".into(),
            caption: "each engine's step loss relative to the manual engine's (≤ 0 drawn as a marker: identical)".into(),
            svg: diff.to_svg(),
        },
    ]
}

/// Runs the experiment, writes `train.csv`, `train.json`, the SVGs under `out`.
pub fn run(cfg: &TrainConfig, engine_spec: &str, out: &Path) -> Result<Outcome> {
    let engines = with_reference(engine_spec)?;
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
    Ok(Outcome {
        name: "train",
        text: format!("{title}\n\n{}\n{}", table.render(), r.agreement.render()),
        markdown: format!("{}\n```\n{}```\n", table.markdown(), r.agreement.render()),
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
