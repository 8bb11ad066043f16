//! The burn columns (burn-autodiff 0.22 over ndarray and flex), run live: each scenario on
//! the shared inputs, a deliberate panic caught (with the panic message kept off stderr) and
//! reported as what it is. The same facts are pinned by `crates/bplab-burn/tests/it/semantics.rs`.

use super::cell::{micro_x, worst_ulps, Cell, MICRO_W, W, X, X2};
use super::config::SemanticsConfig;
use bplab_burn::convert::{burn_tensor, read};
use bplab_burn::BurnBackend;
use bplab_core::{DType, Result};
use burn::tensor::{Device, Tensor};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn leaf(v: &[f64], device: &Device) -> Tensor<1> {
    burn_tensor::<1>(v.to_vec(), vec![v.len()], device, DType::F64).require_grad()
}

fn vals<const D: usize>(t: Option<Tensor<D>>) -> Result<Vec<f64>> {
    match t {
        Some(t) => Ok(read("burn", t, DType::F64)?.data),
        None => Ok(Vec::new()),
    }
}

/// `L = Σ tanh(x ⊙ w)²`.
fn loss(x: &Tensor<1>, w: &Tensor<1>) -> Tensor<1> {
    let t = (x.clone() * w.clone()).tanh();
    (t.clone() * t).sum()
}

/// Runs `f`; a panic becomes its message, and is not printed.
pub(super) fn quietly<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    r.map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// The cells of `backend`, in [`Scenario::ALL`](super::Scenario::ALL) order.
pub(super) fn cells(backend: BurnBackend, cfg: &SemanticsConfig) -> Result<Vec<Cell>> {
    let device = backend.device();
    let consumed = |r: std::result::Result<_, String>| {
        r.err().is_some_and(|m| m.contains("already been consumed"))
    };

    // Backward twice on the same loss.
    let (x, w) = (leaf(&X, &device), leaf(&W, &device));
    let l = loss(&x, &w);
    let first = vals(w.grad(&l.backward()))?;
    let twice = Cell::new(
        "panics: \"graph tape has already been consumed\" (no retain_graph)",
        first.len() == 4 && consumed(quietly(|| l.backward())),
    );

    // Two losses; the literal accumulation loop; summed losses.
    let (x1, x2) = (leaf(&X, &device), leaf(&X2, &device));
    let g1 = vals(w.grad(&loss(&x1, &w).backward()))?;
    let g2 = vals(w.grad(&loss(&x2, &w).backward()))?;
    let mut last = None;
    for x in [&x1, &x2] {
        last = Some(loss(x, &w).backward());
    }
    let literal = vals(last.and_then(|g| w.grad(&g)))?;
    let summed = vals(w.grad(&(loss(&x1, &w) + loss(&x2, &w)).backward()))?;
    let want: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| a + b).collect();
    let two = Cell::new(
        "only the last (a fresh Gradients each); sum the losses, or add the grads",
        literal == g2 && g2 != want && summed == want,
    );

    // Micro-batches against the full batch.
    let rows = cfg.rows_per_micro_batch()?;
    let xs = micro_x(cfg.batch);
    let wm = burn_tensor::<2>(MICRO_W.to_vec(), vec![3, 1], &device, DType::F64).require_grad();
    let scale = 1.0 / cfg.batch as f64;
    let part = |from: usize, n: usize| -> Result<Vec<f64>> {
        let xb = burn_tensor::<2>(
            xs[from * 3..(from + n) * 3].to_vec(),
            vec![n, 3],
            &device,
            DType::F64,
        );
        let t = xb.matmul(wm.clone()).tanh();
        vals(wm.grad(&((t.clone() * t).sum() * scale).backward()))
    };
    let full = part(0, cfg.batch)?;
    let mut acc = vec![0.0; 3];
    for k in 0..cfg.micro_batches {
        for (a, g) in acc.iter_mut().zip(part(k * rows, rows)?) {
            *a += g;
        }
    }
    let ulps = worst_ulps(&acc, &full);
    let micro = Cell::new(
        format!(
            "within {ulps:.2} ulp (B = {}, {} micro-batches, grads added by hand)",
            cfg.batch, cfg.micro_batches
        ),
        ulps <= 4.0 * cfg.micro_batches as f64,
    );

    let zero = Cell::new(
        "nothing to reset: backward() returns a new Gradients; a literal loop steps on the last micro-batch only",
        literal == g2,
    );

    // A parameter "changed" between forward and backward.
    let (x, mut wv) = (leaf(&X, &device), leaf(&W, &device));
    let l = (x.clone() * wv.clone()).sum();
    wv = wv * 0.0 + 9.0;
    let gx = vals(x.grad(&l.backward()))?;
    let in_place = Cell::new(
        "old value: tensors are values, no in-place change of a saved tensor",
        gx == W.to_vec() && vals(Some(wv))? == vec![9.0; 4],
    );

    let x = leaf(&X, &device);
    let g = vals(x.grad(&(x.clone() * x.clone().detach()).sum().backward()))?;
    let detach = Cell::new("x.detach(): x exactly", g == X.to_vec());

    // A second loss on a used graph; then recomputed.
    let (x, w) = (leaf(&X, &device), leaf(&W, &device));
    let h = (x.clone() * w.clone()).tanh();
    let (l1, l2) = (h.clone().sum(), (h.clone() * h).sum());
    let _ = l1.backward();
    let retain = Cell::new(
        "panics (tape consumed); recompute the forward or sum the losses",
        consumed(quietly(|| l2.backward())),
    );

    let x = leaf(&X, &device);
    let g = x.grad(&(x.clone() * x.clone() * x.clone()).sum().backward());
    let untracked = g.as_ref().is_some_and(|g| !g.is_tracked());
    let double = Cell::new(
        "not supported: gradients are untracked inner-backend tensors",
        untracked && vals(g)? == X.iter().map(|v| 3.0 * v * v).collect::<Vec<_>>(),
    );

    let x = leaf(&X, &device);
    let z = x.clone() * 3.0;
    let grads = (z.clone() * z.clone()).sum().backward();
    let non_leaf = Cell::new(
        "None: only leaves keep gradients; no retain_grad",
        z.grad(&grads).is_none() && x.grad(&grads).is_some(),
    );

    Ok(vec![
        twice, two, micro, zero, in_place, detach, retain, double, non_leaf,
    ])
}
