//! `experiment train`'s measurements: every engine trained on the same minibatch schedule
//! (drawn again for each engine from the same seeded stream, one epoch at a time, so memory
//! does not grow with the number of steps) (loss per step and per epoch, accuracy), each compared with the manual
//! engine's trajectory; plain results ([`TrainResults`]).

use super::config::TrainConfig;
use crate::data::{iris_task, minibatches};
use crate::measure::accuracy;
use bplab_core::presets::Preset;
use bplab_core::rng::Rng;
use bplab_core::train::{Clip, Sgd};
use bplab_core::{Engine, Network, Result};
use bplab_harness::agreement::Agreement;
use bplab_harness::progress::Progress;

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
    let size = cfg.batch_size.max(1);
    let steps = cfg
        .epochs
        .saturating_mul(task.train.len().div_ceil(size).max(1));
    let sgd = Sgd {
        lr: cfg.lr,
        clip: Clip::None,
    };
    let mut agreement = Agreement::new(cfg.tolerance);
    let mut bar = Progress::new("experiment train", engines.len() * cfg.epochs);
    let mut runs: Vec<EngineRun> = Vec::new();
    for e in engines {
        let mut t = e.trainer(&net, &task.train, cfg.dtype)?;
        let (mut losses, mut epoch_losses) = (Vec::new(), Vec::new());
        // The same schedule for every engine: the same seeded stream, one epoch at a time.
        let mut rng = Rng::stream(cfg.seed, 9_000_011);
        for i in 0..cfg.epochs {
            for b in &minibatches(&task.train, size, &mut rng)? {
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
