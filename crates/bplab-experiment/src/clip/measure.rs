//! `experiment clip`'s measurements: one training run per rule on every engine (loss and
//! gradient norm per step, non-finite steps, accuracy), compared with the manual engine's —
//! computing with the engine's documented conventions (its relu'(0), its GELU derivative, ...)
//! where they touch the network, so that a difference they reproduce is reported as explained
//! and any other as a disagreement, as in `check`; plain results ([`ClipResults`]).

use super::config::ClipConfig;
use crate::data::iris_task;
use crate::measure::accuracy;
use bplab_core::train::{Clip, Sgd, Trainer};
use bplab_core::{Engine, Network, Result};
use bplab_harness::agreement::{emulated_reference, Agreement};
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

/// The [`Trajectory`] of the manual engine computing with another engine's conventions.
fn manual_run(
    manual: &ManualEngine,
    net: &Network,
    data: &bplab_core::Batch,
    cfg: &ClipConfig,
    sgd: &Sgd,
) -> Result<Trajectory> {
    let mut t: Box<dyn Trainer> = manual.trainer(net, data, cfg.dtype)?;
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
        // A framework's documented arithmetic (its relu'(0), its GELU derivative, ...) is
        // reproduced, not tolerated: the manual engine computing with it is the reference, and
        // a difference from the exact engine that it reproduces is reported as explained.
        let mut emulated: Vec<Option<Trajectory>> = Vec::new();
        for e in engines {
            emulated.push(match emulated_reference(e.name(), &spec) {
                Some(m) if e.name() != "manual" => {
                    Some(manual_run(&m, &net, &task.train, cfg, &sgd)?)
                }
                _ => None,
            });
        }
        let upto = bad(want_l, want_n).first().map_or(want_l.len(), |&i| i);
        let mut firsts = Vec::new();
        for ((e, (l, n, f, _)), em) in engines.iter().zip(&per_engine).zip(&emulated) {
            let b = bad(l, n);
            firsts.push((e.name().to_string(), b.first().copied(), b.len()));
            if e.name() == "manual" {
                continue;
            }
            let what = format!("{clip}");
            let mut compare = |what: String, got: &[f64], exact: &[f64], em: Option<&[f64]>| {
                let em = em.map(|m| &m[..upto.min(m.len())]);
                agreement.compare_all_explained(e.name(), &spec, cfg.dtype, &what, got, exact, em)
            };
            compare(
                format!("{what} loss"),
                &l[..upto],
                &want_l[..upto],
                em.as_ref().map(|m| &m.0[..]),
            );
            compare(
                format!("{what} grad norm"),
                &n[..upto],
                &want_n[..upto],
                em.as_ref().map(|m| &m.1[..]),
            );
            if upto == want_l.len() {
                compare(
                    format!("{what} final loss"),
                    &[*f],
                    &[*want_f],
                    em.as_ref().map(|m| std::slice::from_ref(&m.2)),
                );
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
