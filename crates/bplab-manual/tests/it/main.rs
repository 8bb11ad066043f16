//! bplab-manual's own integration tests: the hand-written backward of whole networks (several
//! layers, residual connections, both losses, cross-entropy targets that do not sum to 1),
//! the layers' derivatives away from their kinks, and the other schedules (checkpointing,
//! forward mode), each against a reference that does not run the code under test: central
//! differences of the forward pass written here, or the plain backward for a schedule that
//! must give exactly its numbers; and the f32 rounding bound against f32's own rounding.

mod layers;
mod model;
mod rounding;
mod schedules;

use bplab_core::rng::Rng;
use bplab_core::{Activation, Init, Loss, NetSpec, Network};
use bplab_manual::Model;

/// A network of `widths` with `acts`, Xavier-normal weights and `N(0, 0.1²)` biases from `seed`.
pub fn net(
    widths: &[usize],
    acts: &[Activation],
    loss: Loss,
    residual: bool,
    seed: u64,
) -> Network {
    bplab_core::testing::network(widths, acts, loss, residual, Init::XavierNormal, seed)
}

/// A batch `(x, y)` of `b` rows for `spec`: inputs `N(0, 1)`; cross-entropy targets positive
/// and **not** normalised (row sums between 0.5 and 2.5), mse targets `N(0, 1)`.
pub fn data(spec: &NetSpec, b: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = Rng::new(seed);
    let x = (0..b * spec.n_in()).map(|_| r.normal()).collect();
    let y = (0..b * spec.n_out())
        .map(|_| match spec.loss() {
            Loss::CrossEntropy => r.uniform_in(0.5, 2.5) / spec.n_out() as f64,
            Loss::Mse => r.normal(),
        })
        .collect();
    (x, y)
}

/// `|got − want| ≤ 1e-8 + 1e-6·|want|` for every element (central differences in f64).
pub fn assert_close_fd(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-8 + 1e-6 * w.abs(),
            "{what}[{i}]: {g:e} vs central difference {w:e}"
        );
    }
}

/// Central difference of `f` at `x` with step `h = 1e-6·max(1, |x|)`.
pub fn central(x: f64, f: &mut dyn FnMut(f64) -> f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// The model of `net` in f64.
pub fn model(net: &Network) -> Model<f64> {
    Model::new(net.spec(), net.params())
}
