//! Helpers shared by the integration tests: building networks and batches, and asserting
//! that an engine's gradients agree with finite differences.

pub mod cli;
pub mod fixtures;

use bplab_core::gradcheck::{finite_differences, FdConfig};
use bplab_core::rng::Rng;
use bplab_core::{
    Activation, Batch, Comparison, DType, Engine, GradRequest, Init, Loss, NetSpec, Network,
    Tolerance,
};

/// A network from its parts, weights by `init` with `seed`, biases drawn small so they matter.
pub fn network(
    widths: &[usize],
    acts: &[Activation],
    loss: Loss,
    residual: bool,
    init: Init,
    seed: u64,
) -> Network {
    let spec = NetSpec::new(widths.to_vec(), acts.to_vec(), loss, residual).expect("valid spec");
    let mut params = init.params(&spec, seed);
    let mut rng = Rng::stream(seed, 1_000_003);
    for (name, t) in params.iter_mut() {
        if name.ends_with(".bias") && init != Init::Zeros {
            t.data.iter_mut().for_each(|v| *v = 0.1 * rng.normal());
        }
    }
    Network::new(spec, params).expect("valid params")
}

/// A batch of `b` random examples fitting `spec`: inputs N(0, 1); targets one-hot (or soft)
/// for cross-entropy, N(0, 1) for mse.
pub fn batch(spec: &NetSpec, b: usize, seed: u64) -> Batch {
    let mut rng = Rng::stream(seed, 2_000_003);
    let x = (0..b)
        .map(|_| (0..spec.n_in()).map(|_| rng.normal()).collect())
        .collect();
    let y = (0..b)
        .map(|i| match spec.loss() {
            Loss::CrossEntropy if i % 2 == 0 => {
                let k = rng.below(spec.n_out());
                (0..spec.n_out())
                    .map(|j| if j == k { 1.0 } else { 0.0 })
                    .collect()
            }
            Loss::CrossEntropy => {
                let w: Vec<f64> = (0..spec.n_out()).map(|_| rng.uniform() + 0.01).collect();
                let s: f64 = w.iter().sum();
                w.into_iter().map(|v| v / s).collect()
            }
            Loss::Mse => (0..spec.n_out()).map(|_| rng.normal()).collect(),
        })
        .collect();
    Batch::from_rows(x, y).expect("valid batch")
}

/// Every comparison of `engine`'s gradients (parameters and input) with central finite
/// differences of its own f64 forward, kinks skipped.
pub fn fd_comparisons(
    engine: &dyn Engine,
    net: &Network,
    batch: &Batch,
    dtype: DType,
    tol: Tolerance,
) -> Vec<Comparison> {
    let grads = engine
        .grads(net, batch, dtype, GradRequest { input_grad: true })
        .unwrap_or_else(|e| panic!("{}: {e}", engine.name()));
    let fd_engine: &dyn Engine =
        if bplab_harness::deviations::fd_through_manual(engine.name(), net.spec()) {
            &bplab_manual::ManualEngine::new()
        } else {
            engine
        };
    let fd = finite_differences(
        fd_engine,
        net,
        batch,
        &FdConfig {
            inputs: true,
            ..FdConfig::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", engine.name()));
    fd.compare(&grads, tol)
}

/// Panics with every failing comparison (worst element, both values, tensor name).
#[track_caller]
pub fn assert_all_pass(what: &str, comps: &[Comparison]) {
    let failed: Vec<String> = comps
        .iter()
        .filter(|c| !c.passed())
        .map(|c| c.to_string())
        .collect();
    assert!(failed.is_empty(), "{what}:\n{}", failed.join("\n"));
    assert!(
        comps.iter().any(|c| c.checked > 0),
        "{what}: nothing was compared"
    );
}
