//! What candle's backward gives at exactly `z = 0`, where ReLU and leaky-ReLU have no
//! derivative (PyTorch uses relu'(0) = 0 and leaky_relu'(0) = 0.01):
//! - `Tensor::relu`: relu'(0) = **1**, from `arg.ge(&arg.zeros_like()?)` (`≥`, not `>`) in
//!   `candle-core-0.11.1/src/backprop.rs:638`;
//! - `candle_nn::ops::leaky_relu(z, 0.01)` = `max(z, 0) + 0.01·min(z, 0)`
//!   (`candle-nn-0.11.1/src/ops.rs:230-233`): at a tie `max` and `min` split the gradient half
//!   and half between their arguments (`backprop.rs:213-225`, "scale the gradient by 0.5"), so
//!   leaky'(0) = ½·1 + ½·0.01 = **0.505**.
//!
//! With `Init::Zeros` every pre-activation is exactly 0; the hidden layers' deltas are zero
//! anyway (they flow back through the all-zero `W`), so the finding shows in the output layer:
//! `δ_out = (ŷ − y)·act'(0) / B` with `ŷ = act(0) = 0`.

use bplab_candle::CandleEngine;
use bplab_core::testing::exact_tol;
use bplab_core::tolerance::assert_close;
use bplab_core::{
    Activation, Batch, DType, Engine, GradRequest, Init, Loss, NetSpec, Network, Tensor,
};
use candle_core::{Device, Var};

const RELU_GRAD_AT_0: f64 = 1.0; // PyTorch: 0
const LEAKY_GRAD_AT_0: f64 = 0.505; // PyTorch: 0.01

/// `d act / dz` at each of `zs` through candle's backward, in f64 and f32.
fn grad_at(act: Activation, zs: &[f64]) -> Vec<(DType, Vec<f64>)> {
    [DType::F64, DType::F32]
        .into_iter()
        .map(|dtype| {
            let v = match dtype {
                DType::F64 => Var::from_vec(zs.to_vec(), zs.len(), &Device::Cpu),
                DType::F32 => Var::from_vec(
                    zs.iter().map(|&z| z as f32).collect::<Vec<f32>>(),
                    zs.len(),
                    &Device::Cpu,
                ),
            }
            .unwrap();
            let a = bplab_candle::model::activate(act, v.as_tensor()).unwrap();
            let g = a.sum_all().unwrap().backward().unwrap();
            let d = g.get(v.as_tensor()).unwrap();
            let d = d
                .to_dtype(candle_core::DType::F64)
                .unwrap()
                .to_vec1::<f64>()
                .unwrap();
            (dtype, d)
        })
        .collect()
}

#[test]
fn elementwise_derivative_at_zero() {
    let zs = [0.0, -0.0, 1e-30, -1e-30];
    for (dtype, d) in grad_at(Activation::Relu, &zs) {
        assert_eq!(
            d,
            [RELU_GRAD_AT_0, RELU_GRAD_AT_0, 1.0, 0.0],
            "relu {dtype}"
        );
    }
    for (dtype, d) in grad_at(Activation::LeakyRelu, &zs) {
        let slope = match dtype {
            DType::F64 => 0.01,
            DType::F32 => 0.01f32 as f64,
        };
        let at0 = match dtype {
            DType::F64 => LEAKY_GRAD_AT_0,
            DType::F32 => (0.5f32 + 0.5f32 * 0.01f32) as f64, // 0.505 in f32
        };
        assert_eq!(d, [at0, at0, 1.0, slope], "leaky-relu {dtype}");
    }
    // For comparison, the smooth activations at 0: gelu'(0) = ½, σ'(0) = ¼, tanh'(0) = 1.
    for (dtype, d) in grad_at(Activation::Gelu, &[0.0]) {
        assert_eq!(d, [0.5], "gelu {dtype}");
    }
}

/// The whole engine on an all-zero network: the output bias gradient carries act'(0).
#[test]
fn engine_on_an_all_zero_network() {
    for (act, at0) in [
        (Activation::Relu, RELU_GRAD_AT_0),
        (Activation::LeakyRelu, LEAKY_GRAD_AT_0),
    ] {
        let spec = NetSpec::new(vec![2, 3, 2], vec![act, act], Loss::Mse, false).unwrap();
        let net = Network::new(spec.clone(), Init::Zeros.params(&spec, 0)).unwrap();
        let batch = Batch::from_inline("1,-2;0.5,3", "1,-1;2,0.5").unwrap();
        let e = CandleEngine::new();
        for dtype in [DType::F64, DType::F32] {
            let t = e.forward(&net, &batch, dtype).unwrap();
            assert!(
                t.z.iter().all(|z| z.data.iter().all(|&v| v == 0.0)),
                "every z is 0"
            );
            let g = e
                .grads(&net, &batch, dtype, GradRequest { input_grad: true })
                .unwrap();
            let at0 = match (dtype, act) {
                (DType::F32, Activation::LeakyRelu) => (0.5f32 + 0.5f32 * 0.01f32) as f64,
                _ => at0,
            };
            let tol = exact_tol(dtype);
            // δ_out = (0 − y)·act'(0)/B, B = 2.
            let want = Tensor::new(
                vec![2, 2],
                batch.y.data.iter().map(|y| -y * at0 / 2.0).collect(),
            )
            .unwrap();
            let deltas = g.deltas.as_ref().unwrap();
            assert_close(&format!("{act} {dtype} δ2"), &deltas[1], &want, tol);
            let db2 = Tensor::new(
                vec![2],
                vec![want.data[0] + want.data[2], want.data[1] + want.data[3]],
            )
            .unwrap();
            assert_close(
                &format!("{act} {dtype} fc2.bias"),
                g.params.bias(1),
                &db2,
                tol,
            );
            // Everything upstream of the all-zero W2 is zero, whatever act'(0) is.
            for name in ["fc1.weight", "fc1.bias", "fc2.weight"] {
                let p = g.params.get(name).unwrap();
                assert!(
                    p.data.iter().all(|&v| v == 0.0),
                    "{act} {dtype} {name}: {:?}",
                    p.data
                );
            }
            assert!(deltas[0].data.iter().all(|&v| v == 0.0));
            assert!(g.input.as_ref().unwrap().data.iter().all(|&v| v == 0.0));
        }
    }
}

/// candle's ReLU maps NaN to 0: `Relu::f64(v) = v.max(0f64)`
/// (`candle-core-0.11.1/src/op.rs:1061`) and `f64::max` returns the operand that is not NaN.
/// PyTorch, burn and the manual engine keep NaN, so a diverged run stays visibly diverged
/// there and turns finite again here (see `docs/experiments.md`, `clip`).
#[test]
fn relu_of_nan_is_zero() {
    let t = candle_core::Tensor::new(&[f64::NAN, -1.0, 2.0], &Device::Cpu).unwrap();
    assert_eq!(t.relu().unwrap().to_vec1::<f64>().unwrap(), [0.0, 0.0, 2.0]);
    let t = candle_core::Tensor::new(&[f32::NAN, -1.0, 2.0], &Device::Cpu).unwrap();
    assert_eq!(t.relu().unwrap().to_vec1::<f32>().unwrap(), [0.0, 0.0, 2.0]);
}
