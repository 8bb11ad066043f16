//! The check's verdicts on networks where a framework's documented arithmetic shows: explained
//! only by agreement with the manual engine computing with it, and a planted fault still fails.

use super::*;
use crate::netargs::NetArgs;
use bplab_core::{Activation, Init, Loss};

/// `--layers 2,8,10,9 --activations identity,gelu,identity --loss mse --init normal:0.7
/// --seed 7` with a batch of 5: the network on which candle's `0.398942` compounds through two
/// layers beyond any fixed widened bound.
fn gelu_network(acts: [Activation; 3]) -> Resolved {
    NetArgs {
        layers: Some(vec![2, 8, 10, 9]),
        activations: Some(acts.to_vec()),
        loss: Some(Loss::Mse),
        init: Some(Init::Normal(0.7)),
        seed: Some(7),
        input: Some("0.5,-1.2;1.0,0.3;-0.7,0.8;2.0,-0.4;0.1,0.9".into()),
        target: Some(
            "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9;1,0,1,0,1,0,1,0,1;0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5;\
             -1,-0.5,0,0.5,1,1.5,2,2.5,3;0.3,-0.3,0.3,-0.3,0.3,-0.3,0.3,-0.3,0.3"
                .into(),
        ),
        ..NetArgs::default()
    }
    .resolve()
    .unwrap()
}

#[test]
fn framework_arithmetic_is_explained_by_agreement() {
    use Activation::*;
    for acts in [[Identity, Gelu, Identity], [Sigmoid, Gelu, Tanh]] {
        let r = gelu_network(acts);
        for dtype in [DType::F64, DType::F32] {
            let engines = crate::engines::select_for("all", dtype).unwrap();
            let report = run(&engines, &r, &CheckConfig::new(dtype)).unwrap();
            let table = to_table(&r, &report);
            assert!(report.passed(), "{table}");
            for name in ["candle", "burn-ndarray"] {
                let e = report.engines.iter().find(|e| e.engine == name).unwrap();
                if dtype == DType::F64 {
                    let explained = e.explained.as_ref().unwrap_or_else(|| panic!("{table}"));
                    assert!(explained.iter().any(|c| c.contains("gelu'")), "{table}");
                    assert!(!e.vs_manual.iter().all(Comparison::passed), "{table}");
                    assert!(e.vs_emulated.iter().all(Comparison::passed), "{table}");
                }
            }
            for name in ["manual", "burn-flex", "burn-custom", "candle-custom"] {
                let e = report.engines.iter().find(|e| e.engine == name).unwrap();
                assert!(e.explained.is_none(), "{name}: {table}");
            }
        }
    }
}

#[test]
fn a_planted_fault_is_a_mismatch() {
    let r = gelu_network([Activation::Identity, Activation::Gelu, Activation::Identity]);
    let fault = bplab_manual::Fault::MissingActivationDerivative;
    let engines = crate::engines::select_with_fault("all", fault).unwrap();
    let report = run(&engines, &r, &CheckConfig::new(DType::F64)).unwrap();
    assert!(!report.passed(), "{}", to_table(&r, &report));
    for e in report.engines.iter().filter(|e| e.engine == "manual") {
        assert!(!e.passed() && e.explained.is_none());
    }
}
