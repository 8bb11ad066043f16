//! The autograd "common mistakes" in burn 0.22 (burn-autodiff over ndarray and flex), one test
//! per row of the table in `docs/frameworks.md` and of `bplab lab semantics` (PyTorch's column
//! comes from `tests/fixtures/semantics/pytorch.json`, recorded by
//! `tools/reference/semantics.py`):
//! - `backward()` consumes the graph's steps (`server.rs:145-150`): a second `backward()` on
//!   the same loss, or on a second loss sharing an intermediate, panics ("burn does not support
//!   retain_graph", `server.rs:71-80`); the cure is to recompute the forward or sum the losses;
//! - every `backward()` returns a fresh `Gradients`: nothing accumulates, nothing needs zeroing,
//!   and a PyTorch accumulation loop translated literally keeps only the last micro-batch;
//! - tensors are values: "changing" a parameter between forward and backward makes a new tensor,
//!   and backward reads the old one the forward saved;
//! - `detach()` cuts exactly one path; gradients are untracked inner-backend tensors, so there
//!   is no double backward;
//! - the graph traversal is iterative (`graph/traversal.rs:23-49`) and nodes name their parents
//!   by id: a 20 000-op chain is differentiated and dropped on a 256 KiB stack;
//! - tensors and `Gradients` cross threads.
//!
//! Intermediate gradients (none kept) are pinned in `burn_semantics.rs`
//! (`only_leaves_keep_gradients`).

use bplab_burn::convert::{burn_tensor, read};
use bplab_burn::BurnBackend;
use bplab_core::DType;
use burn::tensor::{Device, Tensor as BurnTensor};
use std::panic::{catch_unwind, AssertUnwindSafe};

const X: [f64; 4] = [1.0, -2.0, 3.0, 0.5];
const W: [f64; 4] = [0.25, 1.5, -0.75, 2.0];

fn leaf(v: &[f64], device: &Device) -> BurnTensor<1> {
    burn_tensor::<1>(v.to_vec(), vec![v.len()], device, DType::F64).require_grad()
}

fn vals<const D: usize>(t: BurnTensor<D>) -> Vec<f64> {
    read("t", t, DType::F64).unwrap().data
}

/// `L = Σ tanh(x ⊙ w)²`.
fn loss(x: &BurnTensor<1>, w: &BurnTensor<1>) -> BurnTensor<1> {
    let t = (x.clone() * w.clone()).tanh();
    (t.clone() * t).sum()
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn backward_twice_panics() {
    for backend in BurnBackend::ALL {
        let device = backend.device();
        let (x, w) = (leaf(&X, &device), leaf(&W, &device));
        let l = loss(&x, &w);
        let g = vals(w.grad(&l.backward()).unwrap());
        assert!(g.iter().all(|v| *v != 0.0));
        let msg = panic_message(|| {
            l.backward();
        });
        assert!(
            msg.contains("already been consumed") && msg.contains("retain_graph"),
            "{backend:?}: {msg}"
        );
    }
}

#[test]
fn each_backward_returns_fresh_gradients() {
    for backend in BurnBackend::ALL {
        let device = backend.device();
        let w = leaf(&W, &device);
        let (x1, x2) = (leaf(&X, &device), leaf(&[0.5, 0.5, -1.0, 2.0], &device));
        let g1 = vals(w.grad(&loss(&x1, &w).backward()).unwrap());
        let g2 = vals(w.grad(&loss(&x2, &w).backward()).unwrap());
        let want: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| a + b).collect();
        // PyTorch's accumulation loop translated literally: the last container wins.
        let mut grads = None;
        for x in [&x1, &x2] {
            grads = Some(loss(x, &w).backward());
        }
        assert_eq!(vals(w.grad(&grads.unwrap()).unwrap()), g2, "{backend:?}");
        assert_ne!(g2, want);
        // Summing the losses before one backward accumulates both.
        let both = (loss(&x1, &w) + loss(&x2, &w)).backward();
        let sum = vals(w.grad(&both).unwrap());
        assert_eq!(
            sum, want,
            "{backend:?}: register adds the two shares, exactly"
        );
    }
}

/// `L = (1/B) Σ_b tanh(x_b · w)²`, `B = 4` rows of 3, against two micro-batches of 2 rows
/// whose losses carry the same `1/B`.
#[test]
fn micro_batch_sum_equals_full_batch_within_ulps() {
    let x: Vec<f64> = (0..12).map(|i| ((i as f64) * 0.37).sin() * 2.0).collect();
    for backend in BurnBackend::ALL {
        let device = backend.device();
        let w =
            burn_tensor::<2>(vec![0.3, -0.8, 1.1], vec![3, 1], &device, DType::F64).require_grad();
        let part = |r: std::ops::Range<usize>| {
            let xs = burn_tensor::<2>(
                x[r.start * 3..r.end * 3].to_vec(),
                vec![r.len(), 3],
                &device,
                DType::F64,
            );
            let t = xs.matmul(w.clone()).tanh();
            let l = (t.clone() * t).sum() * 0.25;
            vals(w.grad(&l.backward()).unwrap())
        };
        let full = part(0..4);
        let (a, b) = (part(0..2), part(2..4));
        for i in 0..3 {
            let sum = a[i] + b[i];
            let ulp = f64::EPSILON * full[i].abs();
            assert!(
                (sum - full[i]).abs() <= 4.0 * ulp,
                "{backend:?} w[{i}]: {sum} vs {}",
                full[i]
            );
        }
    }
}

#[test]
fn changing_a_parameter_after_forward_leaves_the_saved_value() {
    for backend in BurnBackend::ALL {
        let device = backend.device();
        let (x, mut w) = (leaf(&X, &device), leaf(&W, &device));
        let l = (x.clone() * w.clone()).sum(); // ∂L/∂x = w
        w = w * 0.0 + 9.0; // the only way to "change" it: a new tensor
        let gx = vals(x.grad(&l.backward()).unwrap());
        assert_eq!(gx, W.to_vec(), "{backend:?}: backward reads the old w");
        assert_eq!(vals(w), vec![9.0; 4]);
    }
}

#[test]
fn detach_cuts_exactly_one_path() {
    for backend in BurnBackend::ALL {
        let x = leaf(&X, &backend.device());
        let l = (x.clone() * x.clone().detach()).sum();
        assert_eq!(
            vals(x.grad(&l.backward()).unwrap()),
            X.to_vec(),
            "x, not 2x"
        );
    }
}

/// Two losses sharing the intermediate `h`: the second backward panics (PyTorch's case for
/// `retain_graph=True`); recomputing the forward works.
#[test]
fn reusing_a_graph_after_backward_panics() {
    for backend in BurnBackend::ALL {
        let device = backend.device();
        let (x, w) = (leaf(&X, &device), leaf(&W, &device));
        let h = (x.clone() * w.clone()).tanh();
        let l1 = h.clone().sum();
        let l2 = (h.clone() * h).sum();
        let g1 = vals(w.grad(&l1.backward()).unwrap());
        let msg = panic_message(|| {
            l2.backward();
        });
        assert!(msg.contains("already been consumed"), "{backend:?}: {msg}");
        let h = (x.clone() * w.clone()).tanh();
        let again = vals(w.grad(&h.sum().backward()).unwrap());
        assert_eq!(again, g1, "{backend:?}: a recomputed forward");
    }
}

#[test]
fn gradients_are_untracked_so_no_double_backward() {
    for backend in BurnBackend::ALL {
        let x = leaf(&X, &backend.device());
        let f = (x.clone() * x.clone() * x.clone()).sum();
        let g = x.grad(&f.backward()).unwrap();
        assert!(!g.is_tracked(), "{backend:?}");
        let want: Vec<f64> = X.iter().map(|v| 3.0 * v * v).collect();
        assert_eq!(vals(g), want);
    }
}

/// Tensors and `Gradients` are `Send`; a graph built on one thread is differentiated on
/// another.
#[test]
fn graphs_cross_threads() {
    fn send<T: Send>() {}
    send::<BurnTensor<1>>();
    send::<burn::tensor::Gradients>();
    for backend in BurnBackend::ALL {
        let device = backend.device();
        let (x, w) = (leaf(&X, &device), leaf(&W, &device));
        let l = loss(&x, &w);
        let there = std::thread::spawn(move || vals(w.grad(&l.backward()).unwrap()))
            .join()
            .unwrap();
        let w2 = leaf(&W, &device);
        let here = vals(w2.grad(&loss(&x, &w2).backward()).unwrap());
        assert_eq!(here, there, "{backend:?}");
    }
}

/// A 20 000-op chain differentiated and dropped on a 256 KiB stack.
#[test]
fn deep_graph_needs_no_deep_stack() {
    for backend in BurnBackend::ALL {
        let ok = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let x = leaf(&[1.0], &backend.device());
                let mut t = x.clone();
                for _ in 0..20_000 {
                    t = t * 1.0;
                }
                let g = vals(x.grad(&t.sum().backward()).unwrap());
                drop(x);
                g
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(ok, vec![1.0], "{backend:?}");
    }
}
