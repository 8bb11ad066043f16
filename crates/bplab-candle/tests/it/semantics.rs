//! The autograd "common mistakes" in candle 0.11, one test per row of the table in
//! `docs/frameworks.md` and of `bplab lab semantics` (PyTorch's column comes from
//! `tests/fixtures/semantics/pytorch.json`, recorded by `tools/reference/semantics.py`):
//! - `backward()` twice on the same loss gives the same gradients: the graph lives in the
//!   tensors (`Op` holds its arguments), nothing is consumed, so no `retain_graph` is needed;
//! - every `backward()` returns a fresh `GradStore`: nothing accumulates, nothing needs zeroing,
//!   and a PyTorch accumulation loop translated literally keeps only the last micro-batch;
//!   `GradStore::extend` adds stores, and the micro-batch sum equals the full-batch gradient
//!   within a few ulps;
//! - `Var::set` between forward and backward: backward reads the **new** value, silently;
//! - `detach()` cuts exactly one path; a second derivative through `backward()` runs but is
//!   wrong (the incoming gradient is detached at every node, `backprop.rs:176-182`);
//! - a stored leaf gradient computed from a tracked forward tensor is itself tracked, so it keeps
//!   the forward graph reachable; `Tensor::from_storage(…, is_variable = true)` makes a tracked
//!   leaf without `Var`; the recursive graph walk overflows a small stack on a deep graph.

use candle_core::op::BackpropOp;
use candle_core::{CpuStorage, Device, Storage, Tensor, Var};

fn var(v: &[f64]) -> Var {
    Var::from_vec(v.to_vec(), v.len(), &Device::Cpu).unwrap()
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.flatten_all().unwrap().to_vec1::<f64>().unwrap()
}

const X: [f64; 4] = [1.0, -2.0, 3.0, 0.5];
const W: [f64; 4] = [0.25, 1.5, -0.75, 2.0];

/// `L = Σ tanh(x ⊙ w)²` over 4 elements: a small graph with a saved intermediate.
fn loss(x: &Tensor, w: &Tensor) -> Tensor {
    x.mul(w)
        .unwrap()
        .tanh()
        .unwrap()
        .sqr()
        .unwrap()
        .sum_all()
        .unwrap()
}

#[test]
fn backward_twice_gives_the_same_gradients() {
    let (x, w) = (var(&X), var(&W));
    let l = loss(&x, &w);
    let g1 = vals(l.backward().unwrap().get(&w).unwrap());
    let g2 = vals(l.backward().unwrap().get(&w).unwrap());
    assert_eq!(g1, g2, "not accumulated, not an error: the same gradient");
    assert!(g1.iter().all(|v| *v != 0.0));
}

#[test]
fn each_backward_returns_a_fresh_store_and_extend_accumulates() {
    let (x1, x2, w) = (var(&X), var(&[0.5, 0.5, -1.0, 2.0]), var(&W));
    let (l1, l2) = (loss(&x1, &w), loss(&x2, &w));
    let s1 = l1.backward().unwrap();
    let s2 = l2.backward().unwrap();
    let (g1, g2) = (vals(s1.get(&w).unwrap()), vals(s2.get(&w).unwrap()));
    let want: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| a + b).collect();
    // The literal translation of PyTorch's accumulation loop: the second store replaces the
    // first, so only the last micro-batch's gradient is left.
    let mut grads = None;
    for l in [&l1, &l2] {
        grads = Some(l.backward().unwrap()); // `loss.backward()` per micro-batch
    }
    assert_eq!(vals(grads.unwrap().get(&w).unwrap()), g2);
    assert_ne!(g2, want);
    // The correct loop adds the stores.
    let mut acc = s1;
    acc.extend(s2).unwrap();
    assert_eq!(vals(acc.get(&w).unwrap()), want, "extend adds, exactly");
}

/// `L = (1/B) Σ_b (tanh(x_b · w))²` over `B = 4` rows of 3: the full batch against two
/// micro-batches of 2 rows whose losses are scaled by `2/B`.
#[test]
fn micro_batch_sum_equals_full_batch_within_ulps() {
    let x: Vec<f64> = (0..12).map(|i| ((i as f64) * 0.37).sin() * 2.0).collect();
    let w = Var::from_vec(vec![0.3f64, -0.8, 1.1], (3, 1), &Device::Cpu).unwrap();
    let part = |rows: std::ops::Range<usize>| {
        let xs = Tensor::from_vec(
            x[rows.start * 3..rows.end * 3].to_vec(),
            (rows.len(), 3),
            &Device::Cpu,
        )
        .unwrap();
        let l = xs.matmul(&w).unwrap().tanh().unwrap().sqr().unwrap();
        let l = (l.sum_all().unwrap() / 4.0).unwrap();
        vals(l.backward().unwrap().get(&w).unwrap())
    };
    let full = part(0..4);
    let (a, b) = (part(0..2), part(2..4));
    for i in 0..3 {
        let sum = a[i] + b[i];
        let ulp = f64::EPSILON * full[i].abs();
        assert!(
            (sum - full[i]).abs() <= 4.0 * ulp,
            "w[{i}]: {sum} vs {}",
            full[i]
        );
    }
}

#[test]
fn var_set_between_forward_and_backward_reads_the_new_value() {
    let (x, w) = (var(&X), var(&W));
    let l = x.mul(&w).unwrap().sum_all().unwrap(); // ∂L/∂x = w
    let new = [9.0, 8.0, 7.0, 6.0];
    w.set(&Tensor::new(&new, &Device::Cpu).unwrap()).unwrap();
    let gx = vals(l.backward().unwrap().get(&x).unwrap());
    assert_eq!(gx, new.to_vec(), "backward reads the new w, no error");
    assert_eq!(
        l.to_scalar::<f64>().unwrap(),
        X.iter().zip(&W).map(|(a, b)| a * b).sum::<f64>(),
        "while the loss was computed with the old w"
    );
}

#[test]
fn detach_cuts_exactly_one_path() {
    let x = var(&X);
    let l = x.mul(&x.detach()).unwrap().sum_all().unwrap(); // Σ x·stop(x)
    let g = vals(l.backward().unwrap().get(&x).unwrap());
    assert_eq!(g, X.to_vec(), "x, not 2x");
    let only = x.detach().sqr().unwrap().sum_all().unwrap();
    assert!(
        !only.track_op(),
        "nothing tracked downstream of detach alone"
    );
}

/// A graph whose loss shares an intermediate with a second loss: both backward passes run
/// (PyTorch needs `retain_graph=True` for the first).
#[test]
fn reusing_a_graph_after_backward_works() {
    let (x, w) = (var(&X), var(&W));
    let h = x.mul(&w).unwrap().tanh().unwrap();
    let l1 = h.sum_all().unwrap();
    let l2 = h.sqr().unwrap().sum_all().unwrap();
    let g1 = vals(l1.backward().unwrap().get(&w).unwrap());
    let g2 = vals(l2.backward().unwrap().get(&w).unwrap());
    for i in 0..4 {
        let t = (X[i] * W[i]).tanh();
        let d = 1.0 - t * t;
        assert!((g1[i] - X[i] * d).abs() <= 1e-15 * (1.0 + g1[i].abs()));
        assert!((g2[i] - 2.0 * t * X[i] * d).abs() <= 1e-15 * (1.0 + g2[i].abs()));
    }
}

/// `f(x) = Σ x³`: `∇f = 3x²` is right and tracked, but differentiating `Σ ∇f` gives `4x`
/// instead of `6x`: the incoming gradient of `x·x` was detached, so one of its two paths is
/// missing from the second derivative.
#[test]
fn double_backward_runs_but_misses_terms() {
    let x = var(&X);
    let f = x.mul(&x).unwrap().mul(&x).unwrap().sum_all().unwrap();
    let g = f.backward().unwrap().get(&x).unwrap().clone();
    assert_eq!(vals(&g), X.iter().map(|v| 3.0 * v * v).collect::<Vec<_>>());
    assert!(g.track_op(), "the gradient is itself a tracked tensor");
    let gg = vals(g.sum_all().unwrap().backward().unwrap().get(&x).unwrap());
    assert_eq!(gg, X.iter().map(|v| 4.0 * v).collect::<Vec<_>>());
    assert_ne!(gg, X.iter().map(|v| 6.0 * v).collect::<Vec<_>>());
}

/// `docs/frameworks-candle.md`: only the *incoming* gradient is detached; `W`'s share
/// `xᵀ·grad` of a matmul with a tracked `x` is built from the tracked `x`, so the stored leaf
/// gradient carries a graph back into the forward pass (it reaches `x` and `v`).
#[test]
fn stored_leaf_gradient_is_tracked_and_reaches_the_forward_graph() {
    let dev = Device::Cpu;
    let v = Var::from_vec(vec![1.0f64, 2.0, -1.0, 0.5], (2, 2), &dev).unwrap();
    let w = Var::from_vec(vec![0.3f64, -0.2, 0.9, 1.1], (2, 2), &dev).unwrap();
    let x = v.as_tensor().tanh().unwrap(); // a tracked forward intermediate
    let l = x.matmul(&w).unwrap().sum_all().unwrap();
    let store = l.backward().unwrap();
    let gw = store.get(&w).unwrap();
    assert!(gw.track_op() && !gw.is_variable());
    let back = gw.sum_all().unwrap().backward().unwrap();
    assert!(
        back.get(&v).is_some(),
        "the gradient's graph reaches v through the forward x = tanh(v)"
    );
}

/// `Var` is not the only public way to make a tracked leaf: `Tensor::from_storage(…, true)`.
#[test]
fn from_storage_makes_a_tracked_leaf() {
    let t = Tensor::from_storage(
        Storage::Cpu(CpuStorage::F64(X.to_vec())),
        4,
        BackpropOp::none(),
        true,
    );
    assert!(t.is_variable() && t.track_op());
    let g = vals(
        t.sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap()
            .get(&t)
            .unwrap(),
    );
    assert_eq!(g, X.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
}

/// Threads: `Tensor` and `GradStore` are `Send + Sync`; a graph built on one thread is
/// differentiated on another.
#[test]
fn graphs_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Tensor>();
    send_sync::<candle_core::backprop::GradStore>();
    let (x, w) = (var(&X), var(&W));
    let l = loss(&x, &w);
    let here = vals(l.backward().unwrap().get(&w).unwrap());
    let there = std::thread::spawn(move || vals(l.backward().unwrap().get(&w).unwrap()))
        .join()
        .unwrap();
    assert_eq!(here, there);
}

const DEEP: usize = 100_000;

/// A chain of `DEEP` ops, differentiated (and dropped) on a thread with a 1 MiB stack.
fn deep_chain_on_small_stack() {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let x = var(&[1.0]);
            let mut t = x.as_tensor().clone();
            for _ in 0..DEEP {
                t = t.affine(1.0, 0.0).unwrap();
            }
            let g = t.backward().unwrap();
            assert_eq!(vals(g.get(&x).unwrap()), vec![1.0]);
        })
        .unwrap()
        .join()
        .unwrap();
}

/// `sorted_nodes` walks the graph recursively (`backprop.rs:35-162`), one stack frame per
/// node: a 100 000-op chain overflows a 1 MiB stack and aborts the process (run in a child
/// process, which must die of it).
#[test]
fn deep_graph_walk_recurses() {
    const VAR: &str = "BPLAB_CANDLE_DEEP_CHAIN";
    if std::env::var(VAR).is_ok() {
        deep_chain_on_small_stack();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "semantics::deep_graph_walk_recurses",
            "--exact",
            "--test-threads=1",
        ])
        .env(VAR, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the deep chain did not overflow");
    assert!(stderr.contains("overflowed its stack"), "{stderr}");
}
