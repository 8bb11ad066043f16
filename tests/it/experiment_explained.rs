//! The experiments' engine comparisons explain a framework's difference the way `check` does,
//! by agreement: on a GELU network burn-ndarray (the tanh approximation's derivative under the
//! exact forward) and candle (`0.398942` for `1/√(2π)`) differ from the exact manual engine,
//! and the manual engine computing with their conventions gives their numbers at the exact
//! tolerance, so the comparison says "explained"; an engine with a planted fault in its
//! backward, on the same network, is a disagreement.

use bplab_core::{Activation, Engine, Init};
use bplab_experiment::residual::{self, ResidualConfig};
use bplab_harness::engines::{engine, engine_with_fault};
use bplab_manual::Fault;

/// Two GELU networks (plain and residual, 2 hidden layers of 8) trained 3 steps: weights large
/// enough that GELU's derivative is far from its value at 0.
fn gelu_config() -> ResidualConfig {
    ResidualConfig {
        depths: vec![2],
        activations: vec![Activation::Gelu],
        width: 8,
        init: Init::Normal(0.5),
        steps: 3,
        ..ResidualConfig::default()
    }
}

#[test]
fn a_gelu_network_in_an_experiment_is_explained_by_each_frameworks_conventions() {
    let engines: Vec<Box<dyn Engine>> = ["manual", "burn-ndarray", "candle", "burn-flex"]
        .iter()
        .map(|n| engine(n).unwrap())
        .collect();
    let r = residual::measure(&gelu_config(), &engines).unwrap();
    let text = r.agreement.render();
    assert!(r.agreement.explained(), "{text}");
    for name in ["burn-ndarray", "candle"] {
        let e = &r.agreement.engines[name];
        assert_eq!(e.failed, 0, "{text}");
        // It does differ from the exact engine: the explanation is not vacuous.
        assert!(
            e.explained > 0,
            "{name} never differed from the exact engine\n{text}"
        );
        assert_eq!(e.explained_by.len(), 1, "{text}");
        assert!(e.explained_by[0].starts_with("gelu'"), "{text}");
    }
    // burn-flex computes GELU exactly: nothing to explain.
    assert_eq!(r.agreement.engines["burn-flex"].explained, 0, "{text}");
    assert!(
        text.contains("outside tolerance, explained by agreement"),
        "{text}"
    );
    assert!(text.contains("burn-flex: ") && text.contains("all within tolerance"));
}

#[test]
fn a_planted_fault_in_the_same_comparison_is_a_mismatch() {
    let engines = vec![
        engine("manual").unwrap(),
        engine("burn-ndarray").unwrap(),
        engine_with_fault("burn-custom", Fault::MissingActivationDerivative).unwrap(),
    ];
    let r = residual::measure(&gelu_config(), &engines).unwrap();
    let text = r.agreement.render();
    assert!(!r.agreement.explained(), "{text}");
    let bad = &r.agreement.engines["burn-custom"];
    assert!(bad.failed > 0 && bad.explained == 0, "{text}");
    assert!(text.contains("unexplained"), "{text}");
    // The framework's documented difference stays explained beside it.
    assert_eq!(r.agreement.engines["burn-ndarray"].failed, 0, "{text}");
}
