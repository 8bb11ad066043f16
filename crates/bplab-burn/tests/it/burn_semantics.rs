//! Facts about burn 0.22 the engine relies on: the `Linear` weight layout, the transposition
//! on load and on gradient export (non-square layers), leaf-only gradients (so no deltas), and
//! the dtype check on read-back.

use crate::common::*;
use bplab_burn::convert::{burn_tensor, linear_from_params, read, transpose};
use bplab_burn::{BurnBackend, BurnEngine};
use bplab_core::tolerance::assert_close;
use bplab_core::{Activation, DType, Engine, Error, GradRequest, Loss, Tolerance};
use burn::nn::LinearConfig;
use burn::tensor::Tensor as BurnTensor;

/// burn-nn 0.22's `Linear` (default `LinearLayout::Row`) stores `weight` as `[d_input,
/// d_output]`, the transpose of PyTorch's `[out, in]`.
#[test]
fn linear_weight_is_in_by_out() {
    for backend in BurnBackend::ALL {
        let layer = LinearConfig::new(3, 2).init(&backend.device());
        assert_eq!(layer.weight.val().dims(), [3, 2]);
        assert_eq!(layer.bias.unwrap().val().dims(), [2]);
    }
}

/// `fc1.weight` `[2, 3]` loads as burn's `[3, 2]` transpose, and the layer computes
/// `x Wᵀ + b` in PyTorch terms.
#[test]
fn load_transposes_a_non_square_weight() {
    let s = spec(
        &[3, 2],
        Activation::Identity,
        Activation::Identity,
        Loss::Mse,
        false,
    );
    let net = network(&s, 5);
    let (w, b) = (net.params().weight(0), net.params().bias(0));
    let x = tensor(&[2, 3], &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]);
    for backend in BurnBackend::ALL {
        let device = backend.device();
        let layer = linear_from_params(net.params(), 0, &device, DType::F64, false);
        let wb = read("t", layer.weight.val(), DType::F64).unwrap();
        assert_eq!(wb.shape, vec![3, 2]);
        assert_eq!(wb.data, transpose(2, 3, &w.data));
        let z = layer.forward(burn_tensor::<2>(
            x.data.clone(),
            x.shape.clone(),
            &device,
            DType::F64,
        ));
        let mut want = vec![0.0; 4];
        for r in 0..2 {
            for o in 0..2 {
                want[r * 2 + o] = b.data[o]
                    + (0..3)
                        .map(|i| x.data[r * 3 + i] * w.data[o * 3 + i])
                        .sum::<f64>();
            }
        }
        assert_close(
            "z",
            &read("t", z, DType::F64).unwrap(),
            &tensor(&[2, 2], &want),
            Tolerance::EXACT_F64,
        );
    }
}

/// Gradients come back in PyTorch naming, order and shapes (`fc1.weight` `[4, 3]`, …), the
/// loss equals the forward loss, and the input gradient is `(B, n_in)`.
#[test]
fn gradients_use_pytorch_names_and_shapes() {
    let s = spec(
        &[3, 4, 2],
        Activation::Tanh,
        Activation::Softmax,
        Loss::CrossEntropy,
        false,
    );
    let (net, b) = (network(&s, 8), batch(&s, 5, 9));
    for engine in engines() {
        for dtype in [DType::F64, DType::F32] {
            let g = engine
                .grads(&net, &b, dtype, GradRequest { input_grad: true })
                .unwrap();
            let names: Vec<String> = s.param_shapes().into_iter().map(|(n, _)| n).collect();
            assert_eq!(g.params.names(), names);
            g.params.validate(&s).unwrap();
            assert_eq!(g.input.unwrap().shape, vec![5, 3]);
            assert_eq!(g.loss, engine.forward(&net, &b, dtype).unwrap().loss);
            let none = engine
                .grads(&net, &b, dtype, GradRequest { input_grad: false })
                .unwrap();
            assert!(none.input.is_none());
        }
    }
}

/// burn-autodiff keeps gradients of leaves only: an intermediate's `grad` is `None` after
/// backward, so the engine reports no deltas.
#[test]
fn only_leaves_keep_gradients() {
    for backend in BurnBackend::ALL {
        let device = backend.device();
        let x: BurnTensor<2> =
            burn_tensor::<2>(vec![1.0, -2.0, 3.0, 0.5], vec![2, 2], &device, DType::F64)
                .require_grad();
        let z = x.clone() * 3.0;
        let loss = (z.clone() * z.clone()).sum();
        let grads = loss.backward();
        assert!(
            z.grad(&grads).is_none(),
            "{backend:?}: burn kept an intermediate gradient"
        );
        let gx = read("t", x.grad(&grads).unwrap(), DType::F64).unwrap();
        assert_eq!(gx.data, vec![18.0, -36.0, 54.0, 9.0]); // d/dx Σ (3x)² = 18x
    }
    let s = spec(
        &[3, 4, 2],
        Activation::Tanh,
        Activation::Identity,
        Loss::Mse,
        true,
    );
    let (net, b) = (network(&s, 1), batch(&s, 2, 2));
    for engine in engines() {
        let g = engine
            .grads(&net, &b, DType::F64, GradRequest::default())
            .unwrap();
        assert!(g.deltas.is_none(), "{}", engine.name());
    }
}

/// A read-back in the wrong dtype is an engine error, not a panic.
#[test]
fn wrong_dtype_on_read_back_is_an_error() {
    let device = BurnBackend::Flex.device();
    let t = burn_tensor::<1>(vec![1.0, 2.0], vec![2], &device, DType::F32);
    match read("burn-flex", t, DType::F64) {
        Err(Error::Engine { engine, reason }) => {
            assert_eq!(engine, "burn-flex");
            assert!(reason.contains("F32"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// The engine names and constructors the harness uses.
#[test]
fn names() {
    assert_eq!(BurnEngine::ndarray().name(), "burn-ndarray");
    assert_eq!(BurnEngine::flex().name(), "burn-flex");
    assert_eq!(BurnEngine::ndarray().backend(), BurnBackend::NdArray);
    assert_eq!(BurnEngine::flex().backend(), BurnBackend::Flex);
}

/// Balanced gradient checkpointing (`device.autodiff().gradient_checkpointing()`, i.e.
/// `Autodiff<B, BalancedCheckpointing>`) recomputes memory-bound activations in the backward
/// pass instead of keeping them; the gradients come out bit-identical to the engine's
/// (`NoCheckpointing`).
#[test]
fn balanced_checkpointing_gives_the_same_gradients() {
    use bplab_burn::convert::{linears_from_params, matrix, param_grads};
    use bplab_burn::model::Model;
    use burn::tensor::GradientCheckpointingStrategy;
    for hidden in [
        Activation::Gelu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
    ] {
        let s = spec(
            &[3, 4, 4, 2],
            hidden,
            Activation::Softmax,
            Loss::CrossEntropy,
            true,
        );
        let (net, b) = (network(&s, 12), batch(&s, 5, 13));
        for backend in BurnBackend::ALL {
            let device = backend.device().gradient_checkpointing();
            assert_eq!(
                device.gradient_checkpointing_strategy(),
                Some(GradientCheckpointingStrategy::Balanced)
            );
            let model = Model::new(
                &s,
                linears_from_params(net.params(), 3, &device, DType::F64, true),
            );
            let pass = model.forward(
                matrix(&b.x, &device, DType::F64),
                matrix(&b.y, &device, DType::F64),
            );
            let grads = pass.loss.backward();
            let balanced = param_grads("t", model.layers(), &grads, DType::F64).unwrap();
            let engine = BurnEngine::new(backend)
                .grads(&net, &b, DType::F64, GradRequest::default())
                .unwrap();
            assert_eq!(balanced, engine.params, "{backend:?} {hidden}");
        }
    }
}
