//! Helpers shared by the integration tests: the two engines, small networks with random
//! biases, and a reporter that fails with every comparison's one-line report.

#![allow(dead_code)]

use bplab_burn::{BurnBackend, BurnEngine};
use bplab_core::gradcheck::{finite_differences, FdConfig, FdGradients};
use bplab_core::rng::Rng;
use bplab_core::{Activation, Batch, Comparison, Init, Loss, NetSpec, Network, ParamSet, Tensor};

/// Both engines, ndarray first.
pub fn engines() -> Vec<BurnEngine> {
    BurnBackend::ALL.into_iter().map(BurnEngine::new).collect()
}

/// Xavier-normal weights and N(0, 0.1²) biases drawn from `seed`.
pub fn params(spec: &NetSpec, seed: u64) -> ParamSet {
    let mut p = Init::XavierNormal.params(spec, seed);
    let mut rng = Rng::stream(seed, 1000);
    for (name, t) in p.iter_mut() {
        if name.ends_with(".bias") {
            for v in t.data.iter_mut() {
                *v = 0.1 * rng.normal();
            }
        }
    }
    p
}

/// A batch of `b` rows: inputs N(0, 1); targets a probability row for cross-entropy (a
/// softmax of N(0, 1) draws) and N(0, 0.5²) values for mse.
pub fn batch(spec: &NetSpec, b: usize, seed: u64) -> Batch {
    let mut rng = Rng::stream(seed, 2000);
    let (n_in, n_out) = (spec.n_in(), spec.n_out());
    let x: Vec<Vec<f64>> = (0..b)
        .map(|_| (0..n_in).map(|_| rng.normal()).collect())
        .collect();
    let y: Vec<Vec<f64>> = (0..b)
        .map(|_| {
            let r: Vec<f64> = (0..n_out).map(|_| rng.normal()).collect();
            match spec.loss() {
                Loss::Mse => r.iter().map(|v| 0.5 * v).collect(),
                Loss::CrossEntropy => {
                    let e: Vec<f64> = r.iter().map(|v| v.exp()).collect();
                    let s: f64 = e.iter().sum();
                    e.iter().map(|v| v / s).collect()
                }
            }
        })
        .collect();
    let batch = Batch::from_rows(x, y).unwrap();
    batch.validate(spec).unwrap();
    batch
}

/// A network of `widths` with `hidden` on every hidden layer and `output` on the last.
pub fn spec(
    widths: &[usize],
    hidden: Activation,
    output: Activation,
    loss: Loss,
    residual: bool,
) -> NetSpec {
    let n = widths.len() - 1;
    let mut acts = vec![hidden; n - 1];
    acts.push(output);
    NetSpec::new(widths.to_vec(), acts, loss, residual).unwrap()
}

/// `net` with its validated params.
pub fn network(spec: &NetSpec, seed: u64) -> Network {
    Network::new(spec.clone(), params(spec, seed)).unwrap()
}

/// Finite differences (params and input) of `engine`'s own f64 forward pass.
pub fn fd(engine: &BurnEngine, net: &Network, batch: &Batch) -> FdGradients {
    let cfg = FdConfig {
        inputs: true,
        ..Default::default()
    };
    finite_differences(engine, net, batch, &cfg).unwrap()
}

/// Panics with every failed comparison's report, prefixed by `context`.
#[track_caller]
pub fn assert_passed(context: &str, comparisons: &[Comparison]) {
    let failed: Vec<String> = comparisons
        .iter()
        .filter(|c| !c.passed())
        .map(|c| c.to_string())
        .collect();
    assert!(failed.is_empty(), "{context}:\n  {}", failed.join("\n  "));
}

/// The largest `|a − b| / (atol + rtol·|b|)` over comparisons (≤ 1 passes).
pub fn worst_excess(comparisons: &[Comparison]) -> f64 {
    comparisons
        .iter()
        .filter_map(|c| c.worst.as_ref().map(|w| c.tolerance.excess(w.got, w.want)))
        .fold(0.0, f64::max)
}

/// A `[rows, cols]` tensor from a flat slice.
pub fn tensor(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec()).unwrap()
}
