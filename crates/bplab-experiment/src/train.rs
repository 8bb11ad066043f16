//! `experiment train`: the assignment network (`4 → relu 5 → tanh 3 → softmax 2`,
//! cross-entropy) trained with minibatch SGD on Iris, *versicolor* vs *virginica*. Every
//! engine starts from the same weights and sees the same minibatches in the same order
//! (shuffled per epoch by the project's seeded RNG), so the loss trajectories must agree
//! step by step — the strongest cross-check there is.

use super::data::{iris_task, minibatches};
use super::measure::accuracy;
use bplab_core::presets::Preset;
use bplab_core::rng::Rng;
use bplab_core::train::{Clip, Sgd};
use bplab_core::{DType, Engine, Init, Network, Result, Tolerance};
use bplab_harness::agreement::Agreement;
use bplab_harness::engines::with_reference;
use bplab_harness::progress::Progress;
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::report::{outcome_section, Context, ReportSection, Section};
use bplab_output::table::{sci, Table};
use bplab_output::{Outcome, Plot};
use serde_json::json;
use std::path::Path;

/// What `experiment train` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub init: Init,
    pub seed: u64,
    pub test_fraction: f64,
    pub dtype: DType,
    /// Loss trajectories vs the manual engine (f64 default: `1e-12 + 1e-9·|b|`).
    pub tolerance: Tolerance,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 60,
            batch_size: 10,
            lr: 0.1,
            init: Init::XavierNormal,
            seed: 42,
            test_fraction: 0.3,
            dtype: DType::F64,
            tolerance: Tolerance::EXACT_F64,
        }
    }
}

impl TrainConfig {
    /// A small setting for the report and the tests (15 epochs = 105 steps).
    pub fn quick() -> Self {
        TrainConfig {
            epochs: 15,
            ..Self::default()
        }
    }
}

/// One engine's run.
#[derive(Debug, Clone)]
pub struct EngineRun {
    pub engine: String,
    /// Minibatch loss before each step.
    pub losses: Vec<f64>,
    /// Full training-set loss after each epoch.
    pub epoch_losses: Vec<f64>,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// Largest `|loss − manual loss| / |manual loss|` over the steps.
    pub max_rel_diff: f64,
}

/// Everything measured.
#[derive(Debug, Clone)]
pub struct TrainResults {
    pub runs: Vec<EngineRun>,
    pub agreement: Agreement,
    pub steps: usize,
}

/// Trains on every engine (the manual engine first).
pub fn measure(cfg: &TrainConfig, engines: &[Box<dyn Engine>]) -> Result<TrainResults> {
    let task = iris_task(cfg.seed, cfg.test_fraction)?;
    let spec = Preset::Assignment.spec();
    let net = Network::new(spec.clone(), cfg.init.params(&spec, cfg.seed))?;
    // The minibatch schedule, fixed once for every engine.
    let mut rng = Rng::stream(cfg.seed, 9_000_011);
    let epochs = (0..cfg.epochs)
        .map(|_| minibatches(&task.train, cfg.batch_size.max(1), &mut rng))
        .collect::<Result<Vec<_>>>()?;
    let steps: usize = epochs.iter().map(Vec::len).sum();
    let sgd = Sgd {
        lr: cfg.lr,
        clip: Clip::None,
    };
    let mut agreement = Agreement::new(cfg.tolerance);
    let mut bar = Progress::new("experiment train", engines.len() * cfg.epochs);
    let mut runs: Vec<EngineRun> = Vec::new();
    for e in engines {
        let mut t = e.trainer(&net, &task.train, cfg.dtype)?;
        let (mut losses, mut epoch_losses) = (Vec::with_capacity(steps), Vec::new());
        for (i, epoch) in epochs.iter().enumerate() {
            for b in epoch {
                t.set_batch(b)?;
                losses.push(t.step(&sgd)?.loss);
            }
            t.set_batch(&task.train)?;
            epoch_losses.push(t.forward()?);
            bar.tick(&format!("{} epoch {}", e.name(), i + 1));
        }
        let params = t.params()?;
        let max_rel_diff = match runs.first() {
            Some(m) => losses
                .iter()
                .zip(&m.losses)
                .map(|(a, b)| (a - b).abs() / b.abs())
                .fold(0.0, f64::max),
            None => 0.0,
        };
        if let Some(m) = runs.first() {
            agreement.compare_all(e.name(), &spec, cfg.dtype, "step loss", &losses, &m.losses);
            agreement.compare_all(
                e.name(),
                &spec,
                cfg.dtype,
                "epoch loss",
                &epoch_losses,
                &m.epoch_losses,
            );
        }
        runs.push(EngineRun {
            engine: e.name().to_string(),
            train_accuracy: accuracy(e.as_ref(), &spec, &params, &task.train, cfg.dtype)?,
            test_accuracy: accuracy(e.as_ref(), &spec, &params, &task.test, cfg.dtype)?,
            losses,
            epoch_losses,
            max_rel_diff,
        });
    }
    bar.finish();
    Ok(TrainResults {
        runs,
        agreement,
        steps,
    })
}

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
pub struct TrainSection;

impl ReportSection for TrainSection {
    fn name(&self) -> &'static str {
        "experiment train"
    }
    fn build(&self, ctx: &Context) -> Result<Section> {
        let o = run(&TrainConfig::quick(), &ctx.engine, &ctx.data_dir("train"))?;
        Ok(outcome_section(&o, 2))
    }
}
