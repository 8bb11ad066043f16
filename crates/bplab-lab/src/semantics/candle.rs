//! The candle column (candle-core 0.11), run live on the shared inputs. The same facts are
//! pinned by `crates/bplab-candle/tests/it/semantics.rs`.

use super::cell::{micro_x, worst_ulps, Cell, MICRO_W, W, X, X2};
use super::config::SemanticsConfig;
use bplab_core::{Error, Result};
use candle_core::{Device, Tensor, Var};

/// Runs a candle computation, its error as an engine error.
fn c<T>(f: impl FnOnce() -> candle_core::Result<T>) -> Result<T> {
    f().map_err(|e| Error::engine("candle", e))
}

fn var(v: &[f64]) -> Result<Var> {
    c(|| Var::from_vec(v.to_vec(), v.len(), &Device::Cpu))
}

fn vals(t: Option<&Tensor>) -> Result<Vec<f64>> {
    match t {
        Some(t) => c(|| t.flatten_all().and_then(|t| t.to_vec1::<f64>())),
        None => Ok(Vec::new()),
    }
}

/// `L = Σ tanh(x ⊙ w)²`.
fn loss(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    c(|| x.mul(w)?.tanh()?.sqr()?.sum_all())
}

/// The cells, in [`Scenario::ALL`](super::Scenario::ALL) order.
pub(super) fn cells(cfg: &SemanticsConfig) -> Result<Vec<Cell>> {
    let (x, w) = (var(&X)?, var(&W)?);
    let l = loss(&x, &w)?;
    let g1 = vals(c(|| l.backward())?.get(&w))?;
    let g1b = vals(c(|| l.backward())?.get(&w))?;
    let twice = Cell::new(
        "same gradients (a fresh GradStore; the graph is not consumed)",
        g1 == g1b && g1.len() == 4,
    );

    let x2 = var(&X2)?;
    let l2 = loss(&x2, &w)?;
    let s1 = c(|| l.backward())?;
    let s2 = c(|| l2.backward())?;
    let g2 = vals(s2.get(&w))?;
    let want: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| a + b).collect();
    let mut last = None;
    for l in [&l, &l2] {
        last = Some(c(|| l.backward())?);
    }
    let literal = vals(last.as_ref().and_then(|s| s.get(&w)))?;
    let mut acc = s1;
    c(|| acc.extend(s2))?;
    let two = Cell::new(
        "only the last (a fresh GradStore each); GradStore::extend adds",
        literal == g2 && g2 != want && vals(acc.get(&w))? == want,
    );

    let rows = cfg.rows_per_micro_batch()?;
    let xs = micro_x(cfg.batch);
    let wm = c(|| Var::from_vec(MICRO_W.to_vec(), (3, 1), &Device::Cpu))?;
    let scale = 1.0 / cfg.batch as f64;
    let part = |from: usize, n: usize| -> Result<Vec<f64>> {
        let xb =
            c(|| Tensor::from_vec(xs[from * 3..(from + n) * 3].to_vec(), (n, 3), &Device::Cpu))?;
        let l = c(|| xb.matmul(&wm)?.tanh()?.sqr()?.sum_all()?.affine(scale, 0.0))?;
        vals(c(|| l.backward())?.get(&wm))
    };
    let full = part(0, cfg.batch)?;
    let mut sum = vec![0.0; 3];
    for k in 0..cfg.micro_batches {
        for (a, g) in sum.iter_mut().zip(part(k * rows, rows)?) {
            *a += g;
        }
    }
    let ulps = worst_ulps(&sum, &full);
    let micro = Cell::new(
        format!(
            "within {ulps:.2} ulp (B = {}, {} micro-batches, grads added by hand)",
            cfg.batch, cfg.micro_batches
        ),
        ulps <= 4.0 * cfg.micro_batches as f64,
    );

    let zero = Cell::new(
        "nothing to reset: backward() returns a new GradStore; a literal loop steps on the last micro-batch only",
        literal == g2,
    );

    let (x, w) = (var(&X)?, var(&W)?);
    let l = c(|| x.mul(&w)?.sum_all())?;
    let new = [9.0, 8.0, 7.0, 6.0];
    c(|| w.set(&Tensor::new(&new, &Device::Cpu)?))?;
    let gx = vals(c(|| l.backward())?.get(&x))?;
    let in_place = Cell::new(
        "new value, silently (Var::set writes the storage the graph saved)",
        gx == new.to_vec(),
    );

    let x = var(&X)?;
    let l = c(|| x.mul(&x.detach())?.sum_all())?;
    let detach = Cell::new(
        "x.detach(): x exactly",
        vals(c(|| l.backward())?.get(&x))? == X.to_vec(),
    );

    let (x, w) = (var(&X)?, var(&W)?);
    let h = c(|| x.mul(&w)?.tanh())?;
    let (l1, l2) = (c(|| h.sum_all())?, c(|| h.sqr()?.sum_all())?);
    let a = vals(c(|| l1.backward())?.get(&w))?;
    let b = vals(c(|| l2.backward())?.get(&w))?;
    let retain = Cell::new(
        "works: the graph lives in the tensors, backward consumes nothing",
        a.len() == 4 && b == g1,
    );

    let x = var(&X)?;
    let f = c(|| x.mul(&x)?.mul(&x)?.sum_all())?;
    let store = c(|| f.backward())?;
    let g = store
        .get(&x)
        .cloned()
        .ok_or_else(|| Error::engine("candle", "no gradient for x"))?;
    let gg = vals(c(|| g.sum_all()?.backward())?.get(&x))?;
    let four: Vec<f64> = X.iter().map(|v| 4.0 * v).collect();
    let double = Cell::new(
        "runs but wrong: 4x instead of 6x (incoming gradients are detached)",
        g.track_op() && gg == four,
    );

    // Non-leaf: the store has no gradient for z; a zero-valued Var added to z reads it.
    let x = var(&X)?;
    let z = c(|| x.affine(3.0, 0.0))?;
    let probe = var(&[0.0; 4])?;
    let zp = c(|| z.add(&probe))?;
    let grads = c(|| zp.sqr()?.sum_all()?.backward())?;
    let six: Vec<f64> = X.iter().map(|v| 6.0 * v).collect();
    let non_leaf = Cell::new(
        "None (removed by backward); a zero-valued Var added to z reads 2z",
        grads.get(&z).is_none() && vals(grads.get(&probe))? == six,
    );

    Ok(vec![
        twice, two, micro, zero, in_place, detach, retain, double, non_leaf,
    ])
}
