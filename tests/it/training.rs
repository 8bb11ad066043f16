//! One training body, every engine: `k` SGD steps through each engine's own [`Trainer`]
//! (burn's `SgdConfig` + `GradientClipping`, candle's `SGD` + hand-written clipping, the
//! manual model's update) must land on the manual engine's parameters, for every [`Clip`]
//! rule, with thresholds small enough that clipping is active on every step. The manual
//! trainer itself is held to [`rule`]: the update `θ ← θ − lr·k·clamp(g)` written out here
//! from each rule's definition (PyTorch's `clip_grad_value_` / `clip_grad_norm_` with its
//! `1e-6`, per tensor for the per-tensor rule), on the manual engine's gradients; and every
//! engine's trainer, the manual one included, is held to PyTorch's own in
//! `training_pytorch.rs` (fixtures from `tools/reference/training.py`).

use crate::common::{batch, network};
use bplab_core::train::{Clip, Sgd, StepStats};
use bplab_core::{Activation, Batch, Comparison, DType, Engine, Init, Loss, Network, Tolerance};

/// Steps per run.
const STEPS: usize = 12;
/// Learning rate (0.1 is not exact in binary: an engine that rounded it would show).
const LR: f64 = 0.1;
/// An engine's parameters after `STEPS` f64 steps vs the manual engine's.
const AGREE_F64: Tolerance = Tolerance::new(1e-13, 1e-10);
/// The same in f32.
const AGREE_F32: Tolerance = Tolerance::new(1e-5, 1e-4);

/// Every rule, thresholds exact in f32 (burn's thresholds are f32) and below the gradients'
/// size at the start, so each rule changes the update.
fn clips() -> [Clip; 4] {
    [
        Clip::None,
        Clip::Value(0.03125),
        Clip::GlobalNorm(0.25),
        Clip::PerTensorNorm(0.125),
    ]
}

/// A cross-entropy tanh/relu net and an mse residual leaky-relu/tanh net, with their batches.
/// No op with a documented framework deviation (`bplab_harness::deviations::conventions`:
/// GELU, burn-ndarray's sigmoid) appears: what is tested here is the training step, not the
/// ops.
fn cases() -> Vec<(Network, Batch)> {
    use Activation::*;
    let a = network(
        &[4, 8, 6, 3],
        &[Tanh, Relu, Softmax],
        Loss::CrossEntropy,
        false,
        Init::HeNormal,
        7,
    );
    let b = network(
        &[3, 5, 5, 2],
        &[LeakyRelu, Tanh, Identity],
        Loss::Mse,
        true,
        Init::Normal(1.0),
        8,
    );
    let (ba, bb) = (batch(a.spec(), 6, 17), batch(b.spec(), 4, 18));
    vec![(a, ba), (b, bb)]
}

/// `STEPS` steps of `engine`'s trainer: the per-step stats and the final parameters.
fn train(
    engine: &dyn Engine,
    net: &Network,
    data: &Batch,
    dtype: DType,
    clip: Clip,
) -> (Vec<StepStats>, Network) {
    let what = format!("{} {dtype} {clip}", engine.name());
    let mut t = engine
        .trainer(net, data, dtype)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let sgd = Sgd { lr: LR, clip };
    let stats = (0..STEPS)
        .map(|_| t.step(&sgd).unwrap_or_else(|e| panic!("{what}: {e}")))
        .collect();
    let params = t.params().unwrap_or_else(|e| panic!("{what}: {e}"));
    (stats, net.with_params(params).expect("finite parameters"))
}

/// `STEPS` steps of the update rule written from its definition, in f64, on the manual
/// engine's gradients: per step `g = ∇L(θ)`; `Value(c)`: `θ −= lr·min(max(g, −c), c)`;
/// `GlobalNorm(c)`: `θ −= lr·min(1, c/(‖g‖ + 1e-6))·g` with `‖g‖` over every tensor;
/// `PerTensorNorm(c)`: the same with each tensor's own norm and no `1e-6`; `None`: `θ −= lr·g`.
/// Returns each step's loss and the final network.
fn rule(net: &Network, data: &Batch, clip: Clip) -> (Vec<f64>, Network) {
    use bplab_core::GradRequest;
    let manual = bplab_manual::ManualEngine::new();
    let mut net = net.clone();
    let mut losses = Vec::new();
    for _ in 0..STEPS {
        let g = manual
            .grads(&net, data, DType::F64, GradRequest::default())
            .unwrap();
        losses.push(g.loss);
        let norm = |t: &bplab_core::Tensor| t.data.iter().map(|v| v * v).sum::<f64>().sqrt();
        let global = g
            .params
            .iter()
            .map(|(_, t)| t.data.iter().map(|v| v * v).sum::<f64>())
            .sum::<f64>()
            .sqrt();
        let mut params = net.params().clone();
        for (name, theta) in params.iter_mut() {
            let grad = g.params.get(name).unwrap();
            let k = match clip {
                Clip::GlobalNorm(c) => (c / (global + 1e-6)).min(1.0),
                Clip::PerTensorNorm(c) => (c / norm(grad)).min(1.0),
                _ => 1.0,
            };
            for (p, &gv) in theta.data.iter_mut().zip(&grad.data) {
                let gv = match clip {
                    Clip::Value(c) => gv.clamp(-c, c),
                    _ => gv,
                };
                *p -= LR * (k * gv);
            }
        }
        net = net.with_params(params).unwrap();
    }
    (losses, net)
}

/// The manual trainer against [`rule`]: final parameters and every step's loss.
fn manual_follows_the_rule(dtype: DType) {
    let tol = match dtype {
        DType::F64 => AGREE_F64,
        DType::F32 => AGREE_F32,
    };
    let manual = bplab_harness::engines::engine("manual").unwrap();
    let mut failed = Vec::new();
    for (net, data) in cases() {
        for clip in clips() {
            let what = format!("manual {dtype} {clip} {}", net.spec().summary());
            let (stats, got) = train(manual.as_ref(), &net, &data, dtype, clip);
            let (losses, want) = rule(&net, &data, clip);
            for ((name, g), (_, w)) in got.params().iter().zip(want.params().iter()) {
                let c = Comparison::new(name, g, w, tol, None);
                if !c.passed() {
                    failed.push(format!("{what}: {c}"));
                }
            }
            for (i, (s, l)) in stats.iter().zip(&losses).enumerate() {
                if !tol.allows(s.loss, *l) {
                    failed.push(format!("{what}: step {i} loss {:e} vs rule {l:e}", s.loss));
                }
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn manual_trainer_follows_the_rule_f64() {
    manual_follows_the_rule(DType::F64);
}

#[test]
fn manual_trainer_follows_the_rule_f32() {
    manual_follows_the_rule(DType::F32);
}

#[test]
fn the_rules_differ_on_these_cases() {
    // The reference can tell the rules apart: a per-tensor rule computed with the global norm
    // (or any rule swapped for another) ends elsewhere.
    for (net, data) in cases() {
        let ends: Vec<Network> = clips().iter().map(|&c| rule(&net, &data, c).1).collect();
        for i in 0..ends.len() {
            for j in 0..i {
                let same = ends[i]
                    .params()
                    .iter()
                    .zip(ends[j].params().iter())
                    .all(|((_, a), (_, b))| Comparison::new("", a, b, AGREE_F64, None).passed());
                assert!(!same, "{} and {} agree", clips()[i], clips()[j]);
            }
        }
    }
}

mod suite {
    use super::*;

    /// Parameters, losses and gradient norms after `STEPS` steps agree with the manual engine.
    pub fn agrees_with_manual(e: &dyn Engine, dtype: DType) {
        let tol = match dtype {
            DType::F64 => AGREE_F64,
            DType::F32 => AGREE_F32,
        };
        let manual = bplab_harness::engines::engine("manual").unwrap();
        let mut failed = Vec::new();
        for (net, data) in cases() {
            let unclipped = train(manual.as_ref(), &net, &data, dtype, Clip::None).1;
            for clip in clips() {
                let what = format!("{} {dtype} {clip} {}", e.name(), net.spec().summary());
                let (got_stats, got) = train(e, &net, &data, dtype, clip);
                let (want_stats, want) = train(manual.as_ref(), &net, &data, dtype, clip);
                // Clipping is active: the clipped run ends elsewhere than the unclipped one.
                if clip != Clip::None {
                    let moved = want
                        .params()
                        .iter()
                        .zip(unclipped.params().iter())
                        .any(|((_, a), (_, b))| !Comparison::new("", a, b, tol, None).passed());
                    assert!(moved, "{what}: clipping changed nothing");
                }
                for ((name, g), (_, w)) in got.params().iter().zip(want.params().iter()) {
                    let c = Comparison::new(name, g, w, tol, None);
                    if !c.passed() {
                        failed.push(format!("{what}: {c}"));
                    }
                }
                for (i, (g, w)) in got_stats.iter().zip(&want_stats).enumerate() {
                    for (n, a, b) in [
                        ("loss", g.loss, w.loss),
                        ("grad_norm", g.grad_norm, w.grad_norm),
                    ] {
                        if !tol.allows(a, b) {
                            failed.push(format!("{what}: step {i} {n} {a:e} vs manual {b:e}"));
                        }
                    }
                }
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }

    /// The batch can be replaced and `forward`/`grads` report the loss `step` then uses.
    pub fn forward_grads_step_agree(e: &dyn Engine) {
        let (net, data) = cases().remove(0);
        let other = batch(net.spec(), 3, 99);
        let mut t = e.trainer(&net, &data, DType::F64).unwrap();
        t.set_batch(&other).unwrap();
        let want = e.forward(&net, &other, DType::F64).unwrap().loss;
        let (f, g) = (t.forward().unwrap(), t.grads().unwrap());
        let s = t.step(&Sgd::default()).unwrap();
        for (n, v) in [("forward", f), ("grads", g), ("step", s.loss)] {
            assert!(
                Tolerance::EXACT_F64.allows(v, want),
                "{}: {n} loss {v:e}, engine forward {want:e}",
                e.name()
            );
        }
        assert!(
            t.forward().unwrap() < want,
            "{}: one step did not lower the loss",
            e.name()
        );
    }
}

/// Instantiates every test of `suite` for each `module => engine` line.
macro_rules! trainer_tests {
    ($($module:ident => $engine:expr;)*) => {$(
        mod $module {
            use super::*;
            fn engine() -> Box<dyn Engine> {
                $engine
            }
            #[test]
            fn agrees_with_manual_f64() { suite::agrees_with_manual(engine().as_ref(), DType::F64) }
            #[test]
            fn agrees_with_manual_f32() { suite::agrees_with_manual(engine().as_ref(), DType::F32) }
            #[test]
            fn forward_grads_step_agree() { suite::forward_grads_step_agree(engine().as_ref()) }
        }
    )*};
}

/// The manual engine's own trainer is held to [`rule`] above; its `forward`/`grads`/`step`
/// agreement is the same body.
#[test]
fn manual_forward_grads_step_agree() {
    suite::forward_grads_step_agree(bplab_harness::engines::engine("manual").unwrap().as_ref());
}

trainer_tests! {
    burn_ndarray => bplab_harness::engines::engine("burn-ndarray").unwrap();
    burn_flex => bplab_harness::engines::engine("burn-flex").unwrap();
    candle => bplab_harness::engines::engine("candle").unwrap();
    burn_custom => bplab_harness::engines::engine("burn-custom").unwrap();
    candle_custom => bplab_harness::engines::engine("candle-custom").unwrap();
}
