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
use bplab_core::{Batch, Engine, Network, ParamSet, Result};
use bplab_harness::agreement::{emulated_reference, Agreement};
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

/// `cfg.epochs` epochs of minibatch SGD on `e` from `net`, the schedule drawn from the seeded
/// stream (the same for every engine): the loss before each step, the full training set's
/// loss after each epoch (`epoch_done(i)` called then) and the final parameters.
fn schedule(
    e: &dyn Engine,
    net: &Network,
    train: &Batch,
    cfg: &TrainConfig,
    mut epoch_done: impl FnMut(usize),
) -> Result<(Vec<f64>, Vec<f64>, ParamSet)> {
    let sgd = Sgd {
        lr: cfg.lr,
        clip: Clip::None,
    };
    let mut t = e.trainer(net, train, cfg.dtype)?;
    let (mut losses, mut epoch_losses) = (Vec::new(), Vec::new());
    let mut rng = Rng::stream(cfg.seed, 9_000_011);
    for i in 0..cfg.epochs {
        for b in &minibatches(train, cfg.batch_size.max(1), &mut rng)? {
            t.set_batch(b)?;
            losses.push(t.step(&sgd)?.loss);
        }
        t.set_batch(train)?;
        epoch_losses.push(t.forward()?);
        epoch_done(i);
    }
    Ok((losses, epoch_losses, t.params()?))
}

/// Trains on every engine (the manual engine first); every other engine is compared with the
/// manual engine computing with its documented conventions where those touch the network
/// ([`emulated_reference`]), with the exact manual engine otherwise.
pub fn measure(cfg: &TrainConfig, engines: &[Box<dyn Engine>]) -> Result<TrainResults> {
    let task = iris_task(cfg.seed, cfg.test_fraction)?;
    let spec = Preset::Assignment.spec();
    let net = Network::new(spec.clone(), cfg.init.params(&spec, cfg.seed))?;
    let size = cfg.batch_size.max(1);
    let steps = cfg
        .epochs
        .saturating_mul(task.train.len().div_ceil(size).max(1));
    let mut agreement = Agreement::new(cfg.tolerance);
    let mut bar = Progress::new("experiment train", engines.len() * cfg.epochs);
    let mut runs: Vec<EngineRun> = Vec::new();
    for e in engines {
        let (losses, epoch_losses, params) = schedule(e.as_ref(), &net, &task.train, cfg, |i| {
            bar.tick(&format!("{} epoch {}", e.name(), i + 1))
        })?;
        let max_rel_diff = match runs.first() {
            Some(m) => losses
                .iter()
                .zip(&m.losses)
                .map(|(a, b)| (a - b).abs() / b.abs())
                .fold(0.0, f64::max),
            None => 0.0,
        };
        if let Some(m) = runs.first() {
            // A framework's documented arithmetic is reproduced, not tolerated: the manual
            // engine computing with it, on the same schedule, is the reference, and a
            // difference from the exact engine that it reproduces is reported as explained.
            let emulated = match emulated_reference(e.name(), &spec) {
                Some(r) => Some(schedule(&r, &net, &task.train, cfg, |_| {})?),
                None => None,
            };
            let em = emulated.as_ref();
            agreement.compare_all_explained(
                e.name(),
                &spec,
                cfg.dtype,
                "step loss",
                &losses,
                &m.losses,
                em.map(|r| &r.0[..]),
            );
            agreement.compare_all_explained(
                e.name(),
                &spec,
                cfg.dtype,
                "epoch loss",
                &epoch_losses,
                &m.epoch_losses,
                em.map(|r| &r.1[..]),
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
