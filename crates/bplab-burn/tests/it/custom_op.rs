//! The custom autodiff operation in burn, checked on its own (`docs/custom-ops.md`):
//! - on both backends and dtypes, the `burn-custom` engine's gradients equal the manual
//!   engine's — bit for bit in f64 where every layer is the op (mse), since the adapter only
//!   moves data;
//! - the op's `Backward` step registers a gradient for exactly the inputs that need one;
//! - it gives the same gradients under burn's `Balanced` gradient-checkpointing strategy (the
//!   op is compute-bound and keeps its own state, so nothing is recomputed);
//! - `z` is a read-out: equal to `h`'s pre-activation and carrying no graph.

use crate::common::*;
use bplab_burn::custom::dense;
use bplab_burn::{BurnBackend, BurnEngine};
use bplab_core::tolerance::assert_close;
use bplab_core::{Activation, DType, Engine, GradRequest, Loss, Tensor, Tolerance};
use bplab_manual::{CustomOps, Dense, ManualEngine};
use burn::tensor::{Device, Tensor as BurnTensor, TensorData};

const REQ: GradRequest = GradRequest { input_grad: true };

#[test]
fn custom_engine_equals_manual_on_both_backends() {
    let topologies = [
        spec(
            &[4, 6, 5, 3],
            Activation::Tanh,
            Activation::Sigmoid,
            Loss::Mse,
            false,
        ),
        spec(
            &[3, 5, 5, 2],
            Activation::Gelu,
            Activation::Identity,
            Loss::Mse,
            true,
        ),
        spec(
            &[4, 5, 3, 2],
            Activation::Relu,
            Activation::Softmax,
            Loss::CrossEntropy,
            false,
        ),
    ];
    for s in &topologies {
        let (net, b) = (network(s, 5), batch(s, 4, 6));
        for backend in BurnBackend::ALL {
            let e = BurnEngine::custom_on(backend, CustomOps::CORRECT);
            assert_eq!(e.name(), "burn-custom");
            for (dtype, tol) in [
                (DType::F64, Tolerance::EXACT_F64),
                (DType::F32, Tolerance::EXACT_F32),
            ] {
                let got = e.grads(&net, &b, dtype, REQ).unwrap();
                let want = ManualEngine::new().grads(&net, &b, dtype, REQ).unwrap();
                for (name, w) in want.params.iter() {
                    let g = got.params.get(name).unwrap();
                    assert_close(&format!("{backend:?} {dtype} {name}"), g, w, tol);
                    if dtype == DType::F64 && s.loss() == Loss::Mse {
                        assert_eq!(g, w, "{backend:?} {name}: the adapter only moves data");
                    }
                }
                assert_close(
                    "input",
                    got.input.as_ref().unwrap(),
                    want.input.as_ref().unwrap(),
                    tol,
                );
                assert_eq!(got.deltas, None, "burn keeps no intermediate gradients");
            }
        }
    }
}

/// `x` `(3, 4)`, `W` `[4, 5]` (burn layout), `b` `[5]`, upstream gradient `(3, 5)`.
fn operands(device: &Device) -> [BurnTensor<2>; 3] {
    let v = |n: usize, k: f64| -> Vec<f64> { (0..n).map(|i| (i as f64 * k).sin()).collect() };
    let m = |d: Vec<f64>, r: usize, c: usize| {
        BurnTensor::<2>::from_data(
            TensorData::new(d, [r, c]),
            (device, burn::tensor::DType::F64),
        )
    };
    [
        m(v(12, 0.7), 3, 4),
        m(v(20, 1.1), 4, 5),
        m(v(15, 0.37), 3, 5),
    ]
}

fn bias(device: &Device) -> BurnTensor<1> {
    BurnTensor::<1>::from_data(
        TensorData::new(vec![0.1, -0.2, 0.3, 0.0, 0.05], [5]),
        (device, burn::tensor::DType::F64),
    )
}

fn values<const D: usize>(t: BurnTensor<D>) -> Vec<f64> {
    t.into_data().try_to_vec::<f64>().unwrap()
}

/// `(∂L/∂W, ∂L/∂b, ∂L/∂x if tracked)` for `L = Σ g ⊙ h` on `device`.
fn op_grads(device: &Device, track_x: bool) -> (Vec<f64>, Vec<f64>, Option<Vec<f64>>) {
    let [x, w, g] = operands(device);
    let (w, b) = (w.require_grad(), bias(device).require_grad());
    let x = if track_x { x.require_grad() } else { x };
    let layer = Dense::new(Activation::Tanh, 4, 5);
    let (z, h) = dense(x.clone(), w.clone(), b.clone(), layer);
    assert_eq!(z.dims(), [3, 5]);
    let grads = (h * g).sum().backward();
    (
        values(w.grad(&grads).unwrap()),
        values(b.grad(&grads).unwrap()),
        x.grad(&grads).map(values),
    )
}

#[test]
fn backward_registers_exactly_the_tracked_inputs() {
    let device = Device::flex().autodiff();
    let (gw, gb, gx) = op_grads(&device, true);
    assert!(gx.is_some());
    let (gw2, gb2, gx2) = op_grads(&device, false);
    assert_eq!(gx2, None, "an untracked input gets no gradient");
    assert_eq!((gw, gb), (gw2, gb2));
}

#[test]
fn balanced_checkpointing_gives_the_same_gradients() {
    let plain = op_grads(&Device::flex().autodiff(), true);
    let balanced = Device::flex().autodiff().gradient_checkpointing();
    assert_eq!(
        balanced.gradient_checkpointing_strategy(),
        Some(burn::tensor::GradientCheckpointingStrategy::Balanced)
    );
    assert_eq!(op_grads(&balanced, true), plain);
}

#[test]
fn z_is_the_pre_activation_of_h() {
    for device in [Device::flex(), Device::flex().autodiff()] {
        let [x, w, _] = operands(&device);
        let (z, h) = dense(
            x.clone(),
            w.clone(),
            bias(&device),
            Dense::new(Activation::Tanh, 4, 5),
        );
        let want_z = x.matmul(w) + bias(&device).unsqueeze::<2>();
        let (z, want_z) = (values(z), values(want_z));
        let zt = Tensor::new(vec![15], z.clone()).unwrap();
        assert_close(
            "z",
            &zt,
            &Tensor::new(vec![15], want_z).unwrap(),
            Tolerance::EXACT_F64,
        );
        let h: Vec<f64> = values(h);
        for (h, z) in h.iter().zip(&z) {
            assert_eq!(*h, z.tanh());
        }
    }
}
