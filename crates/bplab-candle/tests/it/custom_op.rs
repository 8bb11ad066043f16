//! The custom op door in candle, checked on its own (`docs/custom-ops.md`):
//! - `DenseOp` applied with `apply_op3_arc` is differentiated by `loss.backward()` through our
//!   `bwd`: the gradients of `W`, `b` and `x` equal those of the same layer written with
//!   candle's own ops, in f64 and f32;
//! - the same op through `apply_op3_no_bwd` cuts the graph: `W` and `b` get no gradient;
//! - `bwd` computes `∂L/∂x` only when `x` is on the graph, and records `δ`;
//! - a strided operand and an unsupported dtype are errors, not panics or wrong answers.

use bplab_candle::custom::DenseOp;
use bplab_core::Activation;
use bplab_manual::Dense;
use candle_core::{DType, Device, Tensor, Var};

/// `x` `(3, 4)`, `W` `[5, 4]`, `b` `[5]`, and an upstream gradient `(3, 5)` folded into the loss.
fn operands(dtype: DType) -> (Var, Var, Var, Tensor) {
    let d = &Device::Cpu;
    let v = |n: usize, k: f64| -> Vec<f64> { (0..n).map(|i| (i as f64 * k).sin() * 1.3).collect() };
    let x = Var::from_vec(v(12, 0.7), (3, 4), d).unwrap();
    let w = Var::from_vec(v(20, 1.1), (5, 4), d).unwrap();
    let b = Var::from_vec(v(5, 2.3), 5, d).unwrap();
    let g = Tensor::from_vec(v(15, 0.37), (3, 5), d).unwrap();
    let cast = |t: Var| Var::from_tensor(&t.as_tensor().to_dtype(dtype).unwrap()).unwrap();
    (cast(x), cast(w), cast(b), g.to_dtype(dtype).unwrap())
}

fn candle_layer(act: Activation, z: &Tensor) -> Tensor {
    match act {
        Activation::Tanh => z.tanh().unwrap(),
        Activation::Sigmoid => candle_nn::ops::sigmoid(z).unwrap(),
        Activation::Gelu => z.gelu_erf().unwrap(),
        _ => unreachable!(),
    }
}

fn max_rel(a: &Tensor, b: &Tensor) -> f64 {
    let a = a.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    let b = b.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    let (a, b) = (a.to_vec1::<f64>().unwrap(), b.to_vec1::<f64>().unwrap());
    a.iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs() / (1e-12 + q.abs()))
        .fold(0.0, f64::max)
}

#[test]
fn backward_calls_our_bwd_and_matches_candle() {
    for (dtype, rtol) in [(DType::F64, 1e-12), (DType::F32, 1e-5)] {
        for act in [Activation::Tanh, Activation::Sigmoid, Activation::Gelu] {
            let (x, w, b, g) = operands(dtype);
            // Ours: L = Σ g ⊙ DenseOp(x, W, b).
            let op = DenseOp::new(Dense::new(act, 4, 5));
            let h = op
                .apply(x.as_tensor(), w.as_tensor(), b.as_tensor())
                .unwrap();
            let ours = h.mul(&g).unwrap().sum_all().unwrap().backward().unwrap();
            assert!(op.delta().is_some(), "bwd ran and kept δ");
            assert_eq!(op.saved_z().unwrap().dims(), &[3, 5]);
            // candle's: the same layer from candle ops.
            let z = x
                .as_tensor()
                .matmul(&w.as_tensor().t().unwrap())
                .unwrap()
                .broadcast_add(b.as_tensor())
                .unwrap();
            let h2 = candle_layer(act, &z);
            let theirs = h2.mul(&g).unwrap().sum_all().unwrap().backward().unwrap();
            assert!(max_rel(&h, &h2) <= rtol, "{act} {dtype:?} forward");
            for (name, v) in [("x", &x), ("W", &w), ("b", &b)] {
                let (a, c) = (
                    ours.get(v.as_tensor()).unwrap(),
                    theirs.get(v.as_tensor()).unwrap(),
                );
                // candle's gelu_erf backward carries the pinned 0.398942 constant.
                let tol = if act == Activation::Gelu { 1e-5 } else { rtol };
                assert!(max_rel(a, c) <= tol, "{act} {dtype:?} ∂L/∂{name}");
            }
        }
    }
}

#[test]
fn no_bwd_cuts_the_graph() {
    let (x, w, b, g) = operands(DType::F64);
    let op = DenseOp::new(Dense::new(Activation::Tanh, 4, 5));
    let tracked = op
        .apply(x.as_tensor(), w.as_tensor(), b.as_tensor())
        .unwrap();
    let h = op
        .apply_no_bwd(x.as_tensor(), w.as_tensor(), b.as_tensor())
        .unwrap();
    // Same value, but the loss no longer reaches the parameters.
    assert_eq!(max_rel(&h, &tracked), 0.0);
    let grads = h.mul(&g).unwrap().sum_all().unwrap().backward().unwrap();
    assert!(grads.get(w.as_tensor()).is_none());
    assert!(grads.get(b.as_tensor()).is_none());
}

#[test]
fn input_gradient_only_when_input_is_tracked() {
    let (_, w, b, g) = operands(DType::F64);
    let x = Tensor::ones((3, 4), DType::F64, &Device::Cpu).unwrap(); // not a Var
    let op = DenseOp::new(Dense::new(Activation::Tanh, 4, 5));
    let h = op.apply(&x, w.as_tensor(), b.as_tensor()).unwrap();
    let grads = h.mul(&g).unwrap().sum_all().unwrap().backward().unwrap();
    assert!(grads.get(&x).is_none());
    assert!(grads.get(w.as_tensor()).is_some());
}

#[test]
fn strided_operands_and_other_dtypes_are_errors() {
    let (x, w, b, _) = operands(DType::F64);
    let op = DenseOp::new(Dense::new(Activation::Tanh, 4, 5));
    // Wᵀᵀ through a strided view: (4, 5) transposed is a non-contiguous (5, 4).
    let w_strided = w
        .as_tensor()
        .t()
        .unwrap()
        .contiguous()
        .unwrap()
        .t()
        .unwrap();
    let e = op
        .apply(x.as_tensor(), &w_strided, b.as_tensor())
        .unwrap_err();
    assert!(e.to_string().contains("must be contiguous"), "{e}");
    let x16 = x.as_tensor().to_dtype(DType::F16).unwrap();
    let w16 = w.as_tensor().to_dtype(DType::F16).unwrap();
    let b16 = b.as_tensor().to_dtype(DType::F16).unwrap();
    let e = op.apply(&x16, &w16, &b16).unwrap_err();
    assert!(e.to_string().contains("only f32 and f64"), "{e}");
    // Wrong widths reach the layer's own shape check.
    let e = DenseOp::new(Dense::new(Activation::Tanh, 3, 5))
        .apply(x.as_tensor(), w.as_tensor(), b.as_tensor())
        .unwrap_err();
    assert!(e.to_string().contains("dense layer 3→5"), "{e}");
}
