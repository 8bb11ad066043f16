//! The gradients `lab checkpoint` compares, as flat `f64` vectors: the manual engine's plain
//! pass, its checkpointed pass with segments of `k` layers, burn-flex with one of burn's
//! strategies (a framework panic turned into an error), and the bit-identity [`Check`] of two
//! such sets.

use bplab_burn::checkpointing::{Checkpointing, DeepNet};
use bplab_burn::BurnBackend;
use bplab_core::{DType, Error, NetSpec, ParamSet, Result, Tensor};
use bplab_manual::schedules::checkpoint::Checkpointed;
use bplab_manual::{Backward, Cache, Model, Real};

/// One gradient check.
#[derive(Debug, Clone)]
pub struct Check {
    pub depth: usize,
    pub what: String,
    /// Elements compared and elements not bit-identical.
    pub elements: usize,
    pub differing: usize,
    pub max_abs: f64,
}

/// The gradients as flat `f64` vectors, `dW_0, db_0, dW_1, …`.
pub type Flat = Vec<Vec<f64>>;

fn widen<T: Real>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}

pub(super) fn narrow<T: Real>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

/// Plain manual gradients (`backward_into` without `∂L/∂x`).
pub fn plain_grads<T: Real>(model: &Model<T>, x: &[T], y: &[T]) -> (T, Flat) {
    let spec = model.spec();
    let mut c = Cache::new(spec, x.len() / spec.n_in());
    c.set_batch(x, y);
    let mut g = Backward::new(spec, c.batch);
    model.forward_into(&mut c);
    model.backward_into(&c, &mut g, false);
    let flat =
        g.dw.iter()
            .zip(&g.db)
            .flat_map(|(w, b)| [widen(w), widen(b)])
            .collect();
    (c.loss, flat)
}

/// Checkpointed manual gradients with segments of `k` layers.
pub fn checkpointed_grads<T: Real>(model: &Model<T>, x: &[T], y: &[T], k: usize) -> (T, Flat) {
    let spec = model.spec();
    let mut ck = Checkpointed::new(spec, x.len() / spec.n_in(), k);
    ck.step(model, x, y);
    let flat = ck
        .dw
        .iter()
        .zip(&ck.db)
        .flat_map(|(w, b)| [widen(w), widen(b)])
        .collect();
    (ck.loss, flat)
}

/// burn-flex gradients with `strategy`, in `dtype`.
pub fn burn_grads(
    spec: &NetSpec,
    params: &ParamSet,
    x: &Tensor,
    y: &Tensor,
    strategy: Checkpointing,
    dtype: DType,
) -> Result<(f64, Flat)> {
    guarded(strategy, || {
        let net = DeepNet::new(spec, params, BurnBackend::Flex, strategy, dtype)?;
        let (loss, g) = net.grads(x, y)?;
        Ok((loss, g.iter().map(|(_, t)| t.data.clone()).collect()))
    })
}

/// Runs burn code, turning a framework panic into an error.
pub(super) fn guarded<R>(strategy: Checkpointing, f: impl FnOnce() -> Result<R>) -> Result<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into());
        Err(Error::engine(
            &format!("burn-flex ({})", strategy.name()),
            msg,
        ))
    })
}

/// Compares two flat gradient sets element by element (bit identity).
pub fn identity_check(depth: usize, what: String, got: &Flat, want: &Flat) -> Check {
    let (mut elements, mut differing, mut max_abs) = (0, 0, 0.0f64);
    for (a, b) in got.iter().zip(want) {
        for (&a, &b) in a.iter().zip(b) {
            elements += 1;
            if a.to_bits() != b.to_bits() {
                differing += 1;
                max_abs = max_abs.max((a - b).abs());
            }
        }
    }
    Check {
        depth,
        what,
        elements,
        differing,
        max_abs,
    }
}
