//! The experiments' headline claims, each asserted at a small size on every engine (the
//! manual engine is the reference; every other engine must agree with it, or differ only
//! where a framework limit is pinned in `bplab_harness::deviations`).

use bplab_core::{Activation, Clip, Init};
use bplab_experiment::clip::{self, ClipConfig};
use bplab_experiment::init::{self, InitConfig};
use bplab_experiment::residual::{self, Arch, ResidualConfig};
use bplab_experiment::train::{self, TrainConfig};
use bplab_harness::engines::with_reference;
use bplab_output::files::parse_num;

fn all_engines() -> Vec<Box<dyn bplab_core::Engine>> {
    with_reference("all").expect("every engine is built in")
}

/// Agreement lines, for failure messages.
fn agreement(a: &bplab_harness::agreement::Agreement) -> String {
    a.render()
}

#[test]
fn init_sigmoid_vanishes_he_relu_holds_zeros_stay_symmetric() {
    // (normal:1 is left out: its saturated sigmoid vanishes more slowly, 4e-2 at depth 10;
    // docs/experiments.md reports it.)
    let cfg = InitConfig {
        schemes: vec![
            Init::Normal(0.01),
            Init::XavierNormal,
            Init::HeNormal,
            Init::Zeros,
        ],
        activations: vec![Activation::Sigmoid, Activation::Relu],
        depths: vec![2, 10],
        width: 32,
        symmetry_steps: 5,
        ..InitConfig::default()
    };
    let r = init::measure(&cfg, &all_engines()).unwrap();
    assert!(r.agreement.explained(), "{}", agreement(&r.agreement));
    // Sigmoid, 10 layers, weights with |W|·√n ≤ 1 (the lesson's premise): the first
    // layer's gradient < 1e-3 × the last's.
    for s in [Init::Normal(0.01), Init::XavierNormal] {
        let c = init::cell(&r, s, Activation::Sigmoid, 10).unwrap();
        assert!(c.ratio < 1e-3, "sigmoid {s} depth 10 ratio {}", c.ratio);
    }
    let c = init::cell(&r, Init::XavierNormal, Activation::Sigmoid, 10).unwrap();
    // σ' ≤ 0.25 everywhere.
    let slope = c.max_sigmoid_slope.unwrap();
    assert!(slope > 0.0 && slope <= 0.25, "max σ' {slope}");
    // He + ReLU: within an order of magnitude at every depth.
    for d in [2, 10] {
        let c = init::cell(&r, Init::HeNormal, Activation::Relu, d).unwrap();
        assert!(
            (0.1..=10.0).contains(&c.ratio),
            "he relu depth {d}: {}",
            c.ratio
        );
    }
    // Zeros: every hidden unit identical after training; other schemes are not.
    for s in &r.symmetry {
        if s.scheme == Init::Zeros {
            assert_eq!(s.spread, 0.0, "zeros {}", s.activation.name());
        } else {
            assert!(
                s.spread > 1e-3,
                "{} {}: {}",
                s.scheme,
                s.activation.name(),
                s.spread
            );
        }
    }
}

#[test]
fn residual_keeps_the_first_layers_gradient_alive() {
    let cfg = ResidualConfig {
        depths: vec![20],
        width: 16,
        steps: 3,
        ..ResidualConfig::default()
    };
    let r = residual::measure(&cfg, &all_engines()).unwrap();
    assert!(r.agreement.explained(), "{}", agreement(&r.agreement));
    for act in [Activation::Tanh, Activation::Relu] {
        let p = residual::run_of(&r, act, 20, Arch::Plain).unwrap();
        let q = residual::run_of(&r, act, 20, Arch::Residual).unwrap();
        assert!(
            q.ratio >= 10.0 * p.ratio,
            "{}: residual ratio {} vs plain {}",
            act.name(),
            q.ratio,
            p.ratio
        );
    }
}

#[test]
fn unclipped_run_diverges_global_norm_clipping_stays_finite() {
    let cfg = ClipConfig {
        width: 16,
        steps: 25,
        ..ClipConfig::default()
    };
    let r = clip::measure(&cfg, &all_engines()).unwrap();
    assert!(r.agreement.explained(), "{}", agreement(&r.agreement));
    let get = |c: Clip| r.runs.iter().find(|x| x.clip == c).unwrap();
    let none = get(Clip::None);
    assert!(
        none.non_finite_steps > 0,
        "unclipped run stayed finite: {:?}",
        none.losses
    );
    let global = get(Clip::GlobalNorm(1.0));
    assert_eq!(global.non_finite_steps, 0);
    assert!(global.final_loss.is_finite());
    // Every engine diverges at the same step.
    for x in &r.runs {
        let first = x.engines_first_non_finite[0].1;
        for (e, s, _) in &x.engines_first_non_finite {
            assert_eq!(*s, first, "{} {e}", x.clip);
        }
    }
}

#[test]
fn iris_loss_trajectories_agree_across_engines_and_files_round_trip() {
    let cfg = TrainConfig {
        epochs: 15,
        ..TrainConfig::default()
    };
    let out = std::env::temp_dir().join(format!("bplab-train-{}", std::process::id()));
    let o = train::run(&cfg, "all", &out).unwrap();
    assert!(o.engines_agree, "{}", o.text);
    let r = train::measure(&cfg, &all_engines()).unwrap();
    assert!(r.steps >= 100);
    for x in &r.runs {
        assert!(x.max_rel_diff <= 1e-9, "{}: {}", x.engine, x.max_rel_diff);
        assert!(
            x.test_accuracy >= 0.8,
            "{}: test accuracy {}",
            x.engine,
            x.test_accuracy
        );
    }
    // The CSV holds every step of every engine and reads back to the same numbers.
    let csv = std::fs::read_to_string(out.join("train.csv")).unwrap();
    let manual: Vec<f64> = csv
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("manual,"))
        .map(|l| parse_num(l.rsplit(',').next().unwrap()).unwrap())
        .collect();
    assert_eq!(manual, r.runs[0].losses);
    assert!(out.join("loss.svg").exists() && out.join("train.json").exists());
    std::fs::remove_dir_all(&out).unwrap();
}
