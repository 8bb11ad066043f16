//! The helpers every test suite of the workspace shares, written once: the root crate's
//! integration tests, the engines' (`bplab-burn`, `bplab-candle`) integration tests and this
//! crate's own tests. Built under `cfg(test)` and with the `testing` feature, which the other
//! crates enable in their `[dev-dependencies]` only; nothing outside a test links it.
//!
//! It owns:
//! - **inputs from a seed**: networks with random biases and random batches ([`Draw`]; the
//!   shorthands [`network`] and [`batch`] use [`Draw::Mixed`]), and [`spec`], [`tensor`];
//! - **gradient checks**: finite differences of an engine's own f64 forward pass with input
//!   gradients ([`fd`]), an engine's gradients compared with them ([`fd_comparisons`]), the
//!   usual tolerances by dtype ([`exact_tol`], [`fd_tol`]);
//! - **assertions** that fail with every failing comparison's report ([`assert_passed`],
//!   [`assert_all_pass`]) and the worst excess over a tolerance ([`worst_excess`]);
//! - **process isolation**: [`in_own_process`] runs one test in a fresh process of its test
//!   binary, for the tests that need process-wide state to themselves (each crate has one
//!   integration-test binary, whose tests otherwise share a process and run on parallel
//!   threads).
//!
//! Helpers that name an engine (burn's list of backends, the root's choice of the manual
//! engine for finite differences) stay in that crate's test tree.

use crate::gradcheck::{finite_differences, FdConfig, FdGradients};
use crate::rng::Rng;
use crate::spec::bias_name;
use crate::{
    Activation, Batch, Comparison, DType, Engine, GradRequest, Init, Loss, NetSpec, Network,
    ParamSet, Tensor, Tolerance,
};
use std::process::Command;

/// How the random biases and batches of a test are drawn from its seed. Weights come from the
/// [`Init`] scheme (`Init::params(spec, seed)`) in every recipe; the recipes differ in the
/// biases and the batch, so the same seed gives different numbers in each. Every suite keeps
/// the recipe its pinned figures were measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Draw {
    /// Biases `N(0, 0.1²)` (stream `1_000_003` of the seed). Inputs `N(0, 1)`; cross-entropy
    /// targets alternately one-hot (even rows) and soft (uniform + 0.01, normalised), mse
    /// targets `N(0, 1)` (stream `2_000_003`). The root crate's tests.
    #[default]
    Mixed,
    /// Biases `N(0, 0.1²)` (stream `1000`). Inputs `N(0, 1)`; cross-entropy targets the
    /// softmax of `N(0, 1)` draws, mse targets `N(0, 0.5²)` (stream `2000`). burn's tests.
    Normal,
    /// Biases `U(−0.5, 0.5)` (`Rng::new(seed ^ 0xb1a5)`). Inputs `U(−2, 2)`; cross-entropy
    /// targets `U(0, 1)` draws normalised, mse targets `U(−1, 1)` (`Rng::new(seed)`). candle's
    /// tests.
    Uniform,
}

impl Draw {
    /// `init`'s weights for `spec` from `seed`, and biases drawn by this recipe (left at zero
    /// under [`Init::Zeros`], so that a zero network stays zero).
    pub fn params(self, spec: &NetSpec, init: Init, seed: u64) -> ParamSet {
        let mut params = init.params(spec, seed);
        if init == Init::Zeros {
            return params;
        }
        let (mut rng, bias): (Rng, fn(&mut Rng) -> f64) = match self {
            Draw::Mixed => (Rng::stream(seed, 1_000_003), |r| 0.1 * r.normal()),
            Draw::Normal => (Rng::stream(seed, 1000), |r| 0.1 * r.normal()),
            Draw::Uniform => (Rng::new(seed ^ 0xb1a5), |r| r.uniform_in(-0.5, 0.5)),
        };
        for l in 0..spec.n_layers() {
            let b = params
                .get_mut(&bias_name(l))
                .expect("init names every bias");
            b.data.iter_mut().for_each(|v| *v = bias(&mut rng));
        }
        params
    }

    /// The network of `spec` with [`Draw::params`].
    pub fn network(self, spec: &NetSpec, init: Init, seed: u64) -> Network {
        Network::new(spec.clone(), self.params(spec, init, seed)).expect("valid params")
    }

    /// A batch of `b` examples fitting `spec`, drawn by this recipe from `seed`.
    pub fn batch(self, spec: &NetSpec, b: usize, seed: u64) -> Batch {
        let (n_in, n_out, ce) = (spec.n_in(), spec.n_out(), spec.loss() == Loss::CrossEntropy);
        let mut rng = match self {
            Draw::Mixed => Rng::stream(seed, 2_000_003),
            Draw::Normal => Rng::stream(seed, 2000),
            Draw::Uniform => Rng::new(seed),
        };
        // Every input row first, then every target row, in one stream.
        let x: Vec<Vec<f64>> = (0..b)
            .map(|_| {
                (0..n_in)
                    .map(|_| match self {
                        Draw::Mixed | Draw::Normal => rng.normal(),
                        Draw::Uniform => rng.uniform_in(-2.0, 2.0),
                    })
                    .collect()
            })
            .collect();
        let y: Vec<Vec<f64>> = (0..b)
            .map(|i| match self {
                Draw::Mixed if ce && i % 2 == 0 => {
                    let k = rng.below(n_out);
                    (0..n_out).map(|j| if j == k { 1.0 } else { 0.0 }).collect()
                }
                Draw::Mixed if ce => normalised((0..n_out).map(|_| rng.uniform() + 0.01).collect()),
                Draw::Mixed => (0..n_out).map(|_| rng.normal()).collect(),
                Draw::Normal => {
                    let r: Vec<f64> = (0..n_out).map(|_| rng.normal()).collect();
                    if ce {
                        normalised(r.iter().map(|v| v.exp()).collect())
                    } else {
                        r.iter().map(|v| 0.5 * v).collect()
                    }
                }
                Draw::Uniform if ce => normalised((0..n_out).map(|_| rng.uniform()).collect()),
                Draw::Uniform => (0..n_out).map(|_| rng.uniform_in(-1.0, 1.0)).collect(),
            })
            .collect();
        let batch = Batch::from_rows(x, y).expect("valid batch");
        batch.validate(spec).expect("the batch fits the spec");
        batch
    }
}

/// `w / Σ w`.
fn normalised(w: Vec<f64>) -> Vec<f64> {
    let s: f64 = w.iter().sum();
    w.into_iter().map(|v| v / s).collect()
}

/// A network from its parts: weights by `init` from `seed`, biases drawn small so they
/// matter ([`Draw::Mixed`]).
pub fn network(
    widths: &[usize],
    acts: &[Activation],
    loss: Loss,
    residual: bool,
    init: Init,
    seed: u64,
) -> Network {
    let spec = NetSpec::new(widths.to_vec(), acts.to_vec(), loss, residual).expect("valid spec");
    Draw::Mixed.network(&spec, init, seed)
}

/// A batch of `b` random examples fitting `spec` ([`Draw::Mixed`]): inputs `N(0, 1)`; targets
/// one-hot or soft for cross-entropy, `N(0, 1)` for mse.
pub fn batch(spec: &NetSpec, b: usize, seed: u64) -> Batch {
    Draw::Mixed.batch(spec, b, seed)
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
    NetSpec::new(widths.to_vec(), acts, loss, residual).expect("valid spec")
}

/// A tensor of `shape` from a flat row-major slice.
pub fn tensor(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec()).expect("data fits the shape")
}

/// The tolerance of an exact computation in `dtype`: [`Tolerance::EXACT_F64`] or
/// [`Tolerance::EXACT_F32`].
pub fn exact_tol(dtype: DType) -> Tolerance {
    match dtype {
        DType::F64 => Tolerance::EXACT_F64,
        DType::F32 => Tolerance::EXACT_F32,
    }
}

/// The tolerance of a gradient in `dtype` against f64 finite differences:
/// [`Tolerance::FD_F64`] or [`Tolerance::FD_F32`].
pub fn fd_tol(dtype: DType) -> Tolerance {
    match dtype {
        DType::F64 => Tolerance::FD_F64,
        DType::F32 => Tolerance::FD_F32,
    }
}

/// Central finite differences (parameters and input) of `engine`'s own f64 forward pass.
#[track_caller]
pub fn fd(engine: &dyn Engine, net: &Network, batch: &Batch) -> FdGradients {
    let cfg = FdConfig {
        inputs: true,
        ..FdConfig::default()
    };
    finite_differences(engine, net, batch, &cfg)
        .unwrap_or_else(|e| panic!("{}: finite differences: {e}", engine.name()))
}

/// Every comparison of `engine`'s gradients in `dtype` (parameters and input) with
/// [`fd`] of `fd_engine` (usually `engine` itself; another engine where `engine`'s own f64
/// forward pass is not f64-accurate), kinks skipped.
#[track_caller]
pub fn fd_comparisons(
    engine: &dyn Engine,
    fd_engine: &dyn Engine,
    net: &Network,
    batch: &Batch,
    dtype: DType,
    tol: Tolerance,
) -> Vec<Comparison> {
    let grads = engine
        .grads(net, batch, dtype, GradRequest { input_grad: true })
        .unwrap_or_else(|e| panic!("{}: {e}", engine.name()));
    fd(fd_engine, net, batch).compare(&grads, tol)
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

/// [`assert_passed`], and in every tensor with elements at least one element was compared:
/// a tensor whose every element was skipped (at kinks) proves nothing about it.
#[track_caller]
pub fn assert_all_pass(context: &str, comparisons: &[Comparison]) {
    assert_passed(context, comparisons);
    assert!(
        comparisons.iter().any(|c| c.checked > 0),
        "{context}: nothing was compared"
    );
    let unchecked: Vec<&str> = comparisons
        .iter()
        .filter(|c| c.checked == 0 && c.skipped > 0)
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        unchecked.is_empty(),
        "{context}: every element skipped in {}",
        unchecked.join(", ")
    );
}

/// The largest `|a − b| / (atol + rtol·|b|)` over the comparisons' worst elements (≤ 1
/// passes; 0 without any).
pub fn worst_excess(comparisons: &[Comparison]) -> f64 {
    comparisons
        .iter()
        .filter_map(|c| c.worst.as_ref().map(|w| c.tolerance.excess(w.got, w.want)))
        .fold(0.0, f64::max)
}

/// The environment variable that tells a re-executed test binary which test it runs alone.
pub const OWN_PROCESS_VAR: &str = "BPLAB_TEST_OWN_PROCESS";

/// Runs `body` in a fresh process: the test `test` (its full libtest name, e.g.
/// `device_settings::defaults_are_once_per_device`) re-executes the current test binary
/// filtered to exactly itself, with [`OWN_PROCESS_VAR`] set, and that child runs `body`.
/// For tests that need the process to themselves: global state set once per process, or
/// measurements of the whole process (memory) that concurrent tests would disturb.
///
/// The parent fails with the child's output unless the child ran exactly this one test and
/// it passed; the child's output is echoed either way (shown with `--nocapture`).
#[track_caller]
pub fn in_own_process(test: &str, body: impl FnOnce()) {
    if std::env::var(OWN_PROCESS_VAR).as_deref() == Ok(test) {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(&exe)
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(OWN_PROCESS_VAR, test)
        .output()
        .unwrap_or_else(|e| panic!("{test}: cannot run {}: {e}", exe.display()));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "{test} failed in its own process ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("running 1 test") && stdout.contains("1 passed"),
        "{test}: the child process did not run exactly this test:\n{stdout}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_deterministic_and_fit_the_spec() {
        for loss in [Loss::Mse, Loss::CrossEntropy] {
            let out = match loss {
                Loss::Mse => Activation::Identity,
                Loss::CrossEntropy => Activation::Softmax,
            };
            let s = spec(&[3, 4, 2], Activation::Tanh, out, loss, false);
            for draw in [Draw::Mixed, Draw::Normal, Draw::Uniform] {
                let (net, b) = (
                    draw.network(&s, Init::XavierNormal, 7),
                    draw.batch(&s, 5, 8),
                );
                assert_eq!(
                    net.params(),
                    draw.network(&s, Init::XavierNormal, 7).params()
                );
                assert_eq!(b, draw.batch(&s, 5, 8));
                assert_eq!(b.x.shape, [5, 3]);
                assert!(net.params().bias(0).data.iter().all(|&v| v != 0.0));
                assert_eq!(
                    net.params().weight(1),
                    Init::XavierNormal.params(&s, 7).weight(1)
                );
                if loss == Loss::CrossEntropy {
                    for row in b.y.data.chunks(2) {
                        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{draw:?}");
                    }
                }
            }
            let z = Draw::Normal.params(&s, Init::Zeros, 3);
            assert!(z.iter().all(|(_, t)| t.data.iter().all(|&v| v == 0.0)));
        }
    }

    #[test]
    fn the_recipes_differ_and_the_shorthands_are_mixed() {
        let s = spec(
            &[2, 3, 2],
            Activation::Relu,
            Activation::Softmax,
            Loss::CrossEntropy,
            false,
        );
        let net = network(
            &[2, 3, 2],
            &[Activation::Relu, Activation::Softmax],
            Loss::CrossEntropy,
            false,
            Init::XavierNormal,
            1,
        );
        assert_eq!(
            net.params(),
            Draw::Mixed.network(&s, Init::XavierNormal, 1).params()
        );
        assert_eq!(batch(&s, 4, 2), Draw::Mixed.batch(&s, 4, 2));
        let b: Vec<Batch> = [Draw::Mixed, Draw::Normal, Draw::Uniform]
            .into_iter()
            .map(|d| d.batch(&s, 4, 2))
            .collect();
        assert!(b[0] != b[1] && b[1] != b[2] && b[0] != b[2]);
        // Mixed: even rows one-hot.
        assert_eq!(b[0].y.data[..2].iter().filter(|&&v| v == 1.0).count(), 1);
    }

    #[test]
    fn tolerances_and_reports() {
        assert_eq!(exact_tol(DType::F32), Tolerance::EXACT_F32);
        assert_eq!(fd_tol(DType::F64), Tolerance::FD_F64);
        let t = tensor(&[2], &[1.0, 2.0]);
        let ok = Comparison::new("ok", &t, &t, Tolerance::EXACT_F64, None);
        assert_all_pass("same", std::slice::from_ref(&ok));
        assert_eq!(worst_excess(&[ok]), 0.0);
        let off = Comparison::new(
            "off",
            &tensor(&[2], &[1.0, 2.5]),
            &t,
            Tolerance::new(0.1, 0.0),
            None,
        );
        assert!(!off.passed());
        assert!((worst_excess(&[off]) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn in_own_process_runs_the_body_in_a_child() {
        let name = "testing::tests::in_own_process_runs_the_body_in_a_child";
        let in_parent = std::env::var(OWN_PROCESS_VAR).is_err();
        in_own_process(name, || {
            assert_eq!(std::env::var(OWN_PROCESS_VAR).as_deref(), Ok(name));
            println!("child {}", std::process::id());
        });
        if in_parent {
            // A name that matches no test runs nothing in the child: the parent fails.
            let missing = std::panic::catch_unwind(|| {
                in_own_process("testing::tests::no_such_test", || unreachable!())
            });
            assert!(missing.is_err(), "a child that ran no test passed");
        }
    }

    /// Each recipe's first draws, pinned: the suites' pinned figures were measured on these
    /// inputs (the recipes were checked equal to the three helpers they replace, element for
    /// element, over networks, batch sizes, seeds and inits).
    #[test]
    fn recipes_are_pinned() {
        let s = spec(
            &[2, 3, 2],
            Activation::Tanh,
            Activation::Softmax,
            Loss::CrossEntropy,
            false,
        );
        // (recipe, fc1.bias, x, y) of a 2→3→2 cross-entropy network, seed 42, batch of 2.
        type Pin = (Draw, [f64; 3], [f64; 4], [f64; 4]);
        let pinned: [Pin; 3] = [
            (
                Draw::Mixed,
                [
                    0.0697872699714515,
                    0.11255124067759398,
                    -0.03238300874639691,
                ],
                [
                    1.2503089173502804,
                    -1.3708148642317874,
                    -0.19171518600111623,
                    0.018454259371543096,
                ],
                [1.0, 0.0, 0.07760401959718759, 0.9223959804028123],
            ),
            (
                Draw::Normal,
                [
                    -0.05329375782422683,
                    0.10400924379743791,
                    0.0003417076124628377,
                ],
                [
                    0.4876541297797651,
                    0.10229476896999558,
                    1.8683309293723513,
                    0.7895853337854537,
                ],
                [
                    0.5313467885704402,
                    0.46865321142955996,
                    0.7521257927920114,
                    0.24787420720798853,
                ],
            ),
            (
                Draw::Uniform,
                [0.409577352636321, -0.28147384803654396, 0.25204140908223815],
                [
                    1.2572205804916394,
                    -0.7247158397533555,
                    1.935576672709955,
                    0.8045423925390223,
                ],
                [
                    0.5743361261310473,
                    0.42566387386895266,
                    0.17160403958471704,
                    0.828395960415283,
                ],
            ),
        ];
        for (draw, bias, x, y) in pinned {
            let p = draw.params(&s, Init::XavierNormal, 42);
            let b = draw.batch(&s, 2, 42);
            assert_eq!(p.bias(0).data, bias, "{draw:?} fc1.bias");
            assert_eq!(b.x.data, x, "{draw:?} x");
            assert_eq!(b.y.data, y, "{draw:?} y");
        }
    }
}
