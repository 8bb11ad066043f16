//! candle-nn's LayerNorm as this crate uses it: the module's own `forward` (the fused op on a
//! contiguous input) refuses f64 and records no backward in f32 (so the engine calls `ops::layer_norm_slow`), both take ε as `f32`,
//! and the slow path agrees with the manual engine's LayerNorm (docs/frameworks.md).

use bplab_manual::layers::norm::{layernorm_backward, layernorm_forward};
use candle_core::{Device, Tensor, Var};
use candle_nn::Module;

fn x() -> Var {
    Var::from_vec(
        vec![0.5f64, -1.0, 2.0, 0.25, 3.0, -0.5],
        (2, 3),
        &Device::Cpu,
    )
    .unwrap()
}

#[test]
fn the_layer_norm_module_has_no_backward_and_the_slow_path_has_one() {
    let (gamma, beta) = (
        Tensor::new(&[1.0f64, 0.5, 2.0], &Device::Cpu).unwrap(),
        Tensor::new(&[0.0f64, 0.1, -0.2], &Device::Cpu).unwrap(),
    );
    let x = x();
    // In f64 the module's fused op refuses the dtype; in f32 it runs and records no backward.
    let m = candle_nn::LayerNorm::new(gamma.clone(), beta.clone(), 1e-5);
    let e = m.forward(x.as_tensor()).unwrap_err().to_string();
    assert!(e.contains("unsupported dtype"), "{e}");
    let to32 = |t: &Tensor| t.to_dtype(candle_core::DType::F32).unwrap();
    let x32 = Var::from_tensor(&to32(x.as_tensor())).unwrap();
    let m32 = candle_nn::LayerNorm::new(to32(&gamma), to32(&beta), 1e-5);
    let fused = m32.forward(x32.as_tensor()).unwrap();
    let grads = fused.sum_all().unwrap().backward().unwrap();
    assert!(
        grads.get(x32.as_tensor()).is_none(),
        "the fused op records no backward"
    );
    let c = Tensor::new(&[[1.0f64, -2.0, 0.5], [0.3, 0.7, -1.1]], &Device::Cpu).unwrap();

    let slow = candle_nn::ops::layer_norm_slow(x.as_tensor(), &gamma, &beta, 1e-5).unwrap();
    let grads = slow.mul(&c).unwrap().sum_all().unwrap().backward().unwrap();
    let got = grads
        .get(x.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    // The manual engine's backward with candle's ε (1e-5 as an f32) agrees to rounding.
    let eps32 = f64::from(1e-5f32);
    assert_ne!(eps32, 1e-5);
    let xs = [0.5f64, -1.0, 2.0, 0.25, 3.0, -0.5];
    let (g, b) = ([1.0, 0.5, 2.0], [0.0, 0.1, -0.2]);
    let cs = [1.0, -2.0, 0.5, 0.3, 0.7, -1.1];
    let (mut out, mut mean, mut rstd) = ([0.0; 6], [0.0; 2], [0.0; 2]);
    layernorm_forward(&mut out, &mut mean, &mut rstd, &xs, &g, &b, 3);
    // rstd with candle's ε, to show the difference is that ε alone.
    for (r, row) in rstd.iter_mut().zip(xs.chunks(3)) {
        let mu = row.iter().sum::<f64>() / 3.0;
        let var = row.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / 3.0;
        *r = 1.0 / (var + eps32).sqrt();
    }
    let (mut dz, mut dg, mut db) = ([0.0; 6], [0.0; 3], [0.0; 3]);
    layernorm_backward(&mut dz, &mut dg, &mut db, &cs, &xs, &mean, &rstd, &g, 3);
    for (a, w) in got.iter().zip(dz) {
        assert!((a - w).abs() <= 1e-12 + 1e-9 * w.abs(), "{a} vs {w}");
    }
}
