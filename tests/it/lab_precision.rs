//! `bplab lab precision` at its quick size: loss scaling reduces underflow on the deep
//! network, f16 gradients of the assignment network are within the stated tolerance of f64,
//! and the dynamic scaler follows GradScaler's rule. The lab's `f64` truth
//! (`bplab_lab::precision::truth`, compensated arithmetic sharing no kernel with the engines)
//! is itself held to PyTorch's float64 on every fixture without a norm layer
//! (`tools/reference/generate.py`).

use crate::common::{cli::assert_usage_error, fixtures};
use bplab_core::tolerance::assert_close;
use bplab_core::{Comparison, DType, Engine, GradRequest, Norm, Tolerance};
use bplab_lab::precision::{
    best_static, cell, half_grads, measure, network, truth, truth_with_loss, HalfEngine, HalfType,
    Net, PrecisionConfig, ScalerAction, Scaling, F16_ASSIGNMENT_TOL,
};

#[test]
fn the_f64_truth_matches_pytorch_on_every_fixture_without_norm_layers() {
    let mut failed = Vec::new();
    let mut checked = 0;
    for f in fixtures::all() {
        if f.network.spec().norm() != Norm::None {
            assert!(truth(&f.network, &f.batch).is_err(), "{}", f.name);
            continue;
        }
        let (loss, g) = truth_with_loss(&f.network, &f.batch).unwrap();
        let tol = Tolerance::EXACT_F64;
        let mut cmps = vec![Comparison::scalar("loss", loss, f.loss, tol)];
        for (name, want) in &f.grads {
            cmps.push(Comparison::new(name, g.get(name).unwrap(), want, tol, None));
        }
        failed.extend(
            cmps.iter()
                .filter(|c| !c.passed())
                .map(|c| format!("{}: {c}", f.name)),
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} fixtures without norm layers");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn the_truth_tells_a_planted_fault_from_the_manual_engine() {
    // The truth is no copy of the manual engine: the exact engine agrees with it, the engine
    // with a forgotten σ'(z) does not.
    let cfg = PrecisionConfig::quick();
    let (net, batch) = network(Net::Assignment, &cfg).unwrap();
    let g64 = truth(&net, &batch).unwrap();
    let req = GradRequest::default();
    let exact = bplab_manual::ManualEngine::new()
        .grads(&net, &batch, DType::F64, req)
        .unwrap();
    let planted =
        bplab_manual::ManualEngine::with_fault(bplab_manual::Fault::MissingActivationDerivative)
            .grads(&net, &batch, DType::F64, req)
            .unwrap();
    let agree = |g: &bplab_core::ParamSet| {
        g.iter()
            .zip(g64.iter())
            .all(|((n, a), (_, b))| Comparison::new(n, a, b, Tolerance::EXACT_F64, None).passed())
    };
    assert!(agree(&exact.params));
    assert!(!agree(&planted.params));
}

#[test]
fn loss_scaling_reduces_underflow_and_the_scaler_backs_off_and_grows() {
    let cfg = PrecisionConfig::quick();
    let r = measure(&cfg).unwrap();
    for e in [HalfEngine::Manual, HalfEngine::Candle] {
        let none = cell(&r, Net::Deep, e, HalfType::F16, Scaling::None).unwrap();
        let best = best_static(&r, Net::Deep, e, HalfType::F16).unwrap();
        let (u0, u1) = (none.underflow().fraction(), best.underflow().fraction());
        assert!(
            u0 > 0.05,
            "{}: f16 without scaling underflows ({u0})",
            e.name()
        );
        assert!(
            u1 < u0 / 4.0,
            "{}: S = {} cuts underflow {u0} → {u1}",
            e.name(),
            best.scaling.name()
        );
        // bf16 has f32's exponent range: nothing underflows at this size.
        let bf = cell(&r, Net::Deep, e, HalfType::Bf16, Scaling::None).unwrap();
        assert!(bf.underflow().fraction() < u0 / 4.0, "{}: bf16", e.name());
    }
    for t in &r.trajectories {
        assert_eq!(t.steps[0].scale, 65536.0);
        for w in t.steps.windows(2) {
            if w[0].action == ScalerAction::Skip {
                assert_eq!(w[1].scale, w[0].scale * 0.5, "backoff after a skipped step");
            } else {
                assert!(w[1].scale == w[0].scale || w[1].scale == w[0].scale * 2.0);
            }
        }
        // Growth every `interval` clean steps: the scale does not stay at its start.
        assert!(
            t.steps.iter().any(|s| s.scale != 65536.0),
            "{:?} {:?}",
            t.engine,
            t.half
        );
    }
}

#[test]
fn f16_assignment_gradients_are_within_the_stated_tolerance_of_f64() {
    let cfg = PrecisionConfig::quick();
    let (net, batch) = network(Net::Assignment, &cfg).unwrap();
    let g64 = truth(&net, &batch).unwrap();
    for e in [HalfEngine::Manual, HalfEngine::Candle] {
        let (_, g) = half_grads(e, HalfType::F16, &net, &batch, 1.0).unwrap();
        for ((name, got), (_, want)) in g.iter().zip(g64.iter()) {
            assert_close(
                &format!("{} {name}", e.name()),
                got,
                want,
                F16_ASSIGNMENT_TOL,
            );
        }
    }
}

#[test]
fn bad_flags_are_one_line_usage_errors() {
    for (args, want) in [
        (&["lab", "precision", "--scales", "0"][..], "--scales"),
        (
            &["lab", "precision", "--engine", "burn-flex"][..],
            "--engine",
        ),
        (&["lab", "precision", "--depth", "0"][..], "--depth"),
        (&["lab", "precision", "--format", "xml"][..], "--format"),
    ] {
        assert_usage_error(args, &[want]);
    }
}
