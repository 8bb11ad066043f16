//! `experiment clip`'s measurements: one training run per rule on every engine (loss and
//! gradient norm per step, non-finite steps, accuracy), compared with the manual engine's —
//! under the engine's own relu'(0) where it differs from PyTorch's; plain results
//! ([`ClipResults`]).

use super::config::ClipConfig;
use crate::data::iris_task;
use crate::measure::accuracy;
use bplab_core::spec::KinkGrads;
use bplab_core::train::{Clip, Sgd, Trainer};
use bplab_core::{Engine, NetSpec, Network, Result};
use bplab_harness::agreement::Agreement;
use bplab_harness::progress::Progress;
use bplab_manual::ManualEngine;

/// One rule's run on the manual engine, with every engine's divergence step.
#[derive(Debug, Clone)]
pub struct RuleRun {
    pub clip: Clip,
    /// Loss before each step.
    pub losses: Vec<f64>,
    /// Global gradient norm (before clipping) at each step.
    pub grad_norms: Vec<f64>,
    /// Steps whose loss or gradient norm was NaN or infinite.
    pub non_finite_steps: usize,
    /// The first such step.
    pub first_non_finite: Option<usize>,
    /// The largest gradient norm seen (non-finite if one was).
    pub max_grad_norm: f64,
    pub final_loss: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// Per engine (manual first): the first non-finite step and how many there were.
    pub engines_first_non_finite: Vec<(String, Option<usize>, usize)>,
}

/// Everything measured.
#[derive(Debug, Clone)]
pub struct ClipResults {
    pub runs: Vec<RuleRun>,
    pub agreement: Agreement,
}

/// Losses per step, gradient norms per step, final loss.
type Trajectory = (Vec<f64>, Vec<f64>, f64);

/// The manual engine's [`Trajectory`] under the kink convention `kg`.
fn manual_run(
    spec: &NetSpec,
    net: &Network,
    data: &bplab_core::Batch,
    cfg: &ClipConfig,
    sgd: &Sgd,
    kg: KinkGrads,
) -> Result<Trajectory> {
    debug_assert_eq!(spec, net.spec());
    let mut t: Box<dyn Trainer> = ManualEngine::new()
        .with_kink_grads(kg)
        .trainer(net, data, cfg.dtype)?;
    let (mut l, mut n) = (Vec::new(), Vec::new());
    for _ in 0..cfg.steps {
        let s = t.step(sgd)?;
        l.push(s.loss);
        n.push(s.grad_norm);
    }
    Ok((l, n, t.forward()?))
}

fn largest(v: &[f64]) -> f64 {
    if v.iter().any(|x| x.is_nan()) {
        f64::NAN
    } else {
        v.iter().copied().fold(0.0, f64::max)
    }
}

/// Trains once per rule on every engine (the manual engine first).
pub fn measure(cfg: &ClipConfig, engines: &[Box<dyn Engine>]) -> Result<ClipResults> {
    let task = iris_task(cfg.seed, cfg.test_fraction)?;
    let spec = cfg.spec()?;
    let net = Network::new(spec.clone(), cfg.init.params(&spec, cfg.seed))?;
    let mut agreement = Agreement::new(cfg.tolerance);
    let mut bar = Progress::new("experiment clip", cfg.rules.len() * engines.len());
    let mut runs = Vec::new();
    for &clip in &cfg.rules {
        let sgd = Sgd { lr: cfg.lr, clip };
        let mut per_engine = Vec::new();
        for e in engines {
            let mut t = e.trainer(&net, &task.train, cfg.dtype)?;
            let (mut losses, mut norms) = (Vec::new(), Vec::new());
            for _ in 0..cfg.steps {
                let s = t.step(&sgd)?;
                losses.push(s.loss);
                norms.push(s.grad_norm);
            }
            let final_loss = t.forward()?;
            let params = t.params()?;
            per_engine.push((losses, norms, final_loss, params));
            bar.tick(&format!("{clip} {}", e.name()));
        }
        let (want_l, want_n, want_f, _) = &per_engine[0];
        let bad = |l: &[f64], n: &[f64]| -> Vec<usize> {
            (0..l.len())
                .filter(|&i| !l[i].is_finite() || !n[i].is_finite())
                .collect()
        };
        // An engine whose relu'(0) differs from PyTorch's is compared with the manual engine
        // run under the engine's own convention (a pre-activation is exactly 0 wherever a
        // whole layer is dead and its bias is still 0), as `check` does.
        let mut kinked: Vec<Option<Trajectory>> = Vec::new();
        for e in engines {
            let kg = bplab_harness::deviations::kink_grads(e.name());
            kinked.push(if kg == KinkGrads::PYTORCH {
                None
            } else {
                Some(manual_run(&spec, &net, &task.train, cfg, &sgd, kg)?)
            });
        }
        let upto = bad(want_l, want_n).first().map_or(want_l.len(), |&i| i);
        let mut firsts = Vec::new();
        for (e, (l, n, f, _)) in engines.iter().zip(&per_engine) {
            let b = bad(l, n);
            firsts.push((e.name().to_string(), b.first().copied(), b.len()));
            if e.name() != "manual" {
                let what = format!("{clip}");
                let (want_l, want_n, want_f) = match &kinked[firsts.len() - 1] {
                    Some((l, n, f)) => (l, n, f),
                    None => (want_l, want_n, want_f),
                };
                agreement.compare_all(
                    e.name(),
                    &spec,
                    cfg.dtype,
                    &format!("{what} loss"),
                    &l[..upto],
                    &want_l[..upto],
                );
                agreement.compare_all(
                    e.name(),
                    &spec,
                    cfg.dtype,
                    &format!("{what} grad norm"),
                    &n[..upto],
                    &want_n[..upto],
                );
                if upto == want_l.len() {
                    agreement.compare(
                        e.name(),
                        &spec,
                        cfg.dtype,
                        &format!("{what} final loss"),
                        *f,
                        *want_f,
                    );
                }
            }
        }
        let (losses, grad_norms, final_loss, params) = per_engine.swap_remove(0);
        let manual = &engines[0];
        let non_finite: Vec<usize> = (0..losses.len())
            .filter(|&i| !losses[i].is_finite() || !grad_norms[i].is_finite())
            .collect();
        runs.push(RuleRun {
            clip,
            non_finite_steps: non_finite.len(),
            first_non_finite: non_finite.first().copied(),
            max_grad_norm: largest(&grad_norms),
            final_loss,
            train_accuracy: accuracy(manual.as_ref(), &spec, &params, &task.train, cfg.dtype)?,
            test_accuracy: accuracy(manual.as_ref(), &spec, &params, &task.test, cfg.dtype)?,
            losses,
            grad_norms,
            engines_first_non_finite: firsts,
        });
    }
    bar.finish();
    Ok(ClipResults { runs, agreement })
}
