//! The f32 rounding bound ([`ManualEngine::f32_rounding_bounds`]) against f32 itself: on
//! random normalized networks (LayerNorm, BatchNorm, or none; no ReLU-type kink, whose side an
//! f32 value may change), the manual engine's f32 gradients are within the bound of its f64
//! ones, element by element — the bound is not smaller than the rounding it describes.

use bplab_core::rng::Rng;
use bplab_core::spec::weight_name;
use bplab_core::{
    Activation, Batch, DType, Engine, GradRequest, Init, Loss, NetSpec, Network, Norm,
};
use bplab_manual::ManualEngine;

const SMOOTH: [Activation; 5] = [
    Activation::Identity,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Gelu,
    Activation::Silu,
];

#[test]
fn f32_gradients_are_within_the_propagated_bound_of_the_exact_ones() {
    let mut r = Rng::new(0xB0);
    let req = GradRequest { input_grad: true };
    let (mut compared, mut widened) = (0usize, 0usize);
    for net_index in 0..120 {
        let depth = 1 + r.below(5);
        let widths: Vec<usize> = (0..=depth).map(|_| 1 + r.below(8)).collect();
        let ce = r.below(2) == 0;
        let mut acts: Vec<Activation> = (0..depth).map(|_| SMOOTH[r.below(SMOOTH.len())]).collect();
        if ce {
            acts[depth - 1] = Activation::Softmax;
        }
        let loss = if ce { Loss::CrossEntropy } else { Loss::Mse };
        let norm = [Norm::None, Norm::Layer, Norm::Batch][r.below(3)];
        let spec = NetSpec::new(widths.clone(), acts, loss, r.below(2) == 0)
            .and_then(|s| s.with_norm(norm))
            .unwrap();
        // The first layer's weights shrunk, so that its normalized layer sees σ² near or far
        // below ε (rstd up to 1/√ε ≈ 316), and the layers after it of ordinary size, so that
        // the gradient reaching it is not small.
        let std = [0.3, 1.0][r.below(2)];
        let mut params = Init::Normal(std).params(&spec, net_index);
        let shrink = [1e-4, 1e-3, 1e-2, 1.0][r.below(4)];
        for w in &mut params.get_mut(&weight_name(0)).unwrap().data {
            *w *= shrink;
        }
        let net = Network::new(spec.clone(), params).unwrap();
        let b = 2 + r.below(5);
        let rows = |n: usize, r: &mut Rng, ce: bool| -> Vec<Vec<f64>> {
            (0..b)
                .map(|_| {
                    (0..n)
                        .map(|_| {
                            if ce {
                                r.uniform_in(0.0, 1.0)
                            } else {
                                r.normal()
                            }
                        })
                        .collect()
                })
                .collect()
        };
        let x = rows(spec.n_in(), &mut r, false);
        let mut y = rows(spec.n_out(), &mut r, ce);
        if ce {
            // Probability rows, as the engine's cross-entropy requires.
            for row in &mut y {
                let s: f64 = row.iter().sum();
                row.iter_mut().for_each(|v| *v /= s);
            }
        }
        let batch = Batch::from_rows(x, y).unwrap();
        let e = ManualEngine::new();
        let g32 = e.grads(&net, &batch, DType::F32, req).unwrap();
        let g64 = e.grads(&net, &batch, DType::F64, req).unwrap();
        let bound = e.f32_rounding_bounds(&net, &batch).unwrap();
        for (name, want) in g64.params.iter() {
            let (got, eb) = (
                g32.params.get(name).unwrap(),
                bound.params.get(name).unwrap(),
            );
            for (i, ((&a, &w), &eb)) in got.data.iter().zip(&want.data).zip(&eb.data).enumerate() {
                compared += 1;
                if (a - w).abs() > 1e-5 + 1e-4 * w.abs() {
                    widened += 1;
                }
                assert!(
                    (a - w).abs() <= eb,
                    "network {net_index} ({widths:?}, {norm:?}, std {std}, fc1 ×{shrink}): {name}[{i}]: f32 {a:e}, f64 {w:e}, |a−b| {:e} > bound {eb:e}",
                    (a - w).abs()
                );
            }
        }
    }
    // The networks do reach the regime the bound is for: some f32 elements are further from
    // f64 than the exact f32 tolerance.
    eprintln!(
        "{widened} of {compared} f32 elements beyond the exact f32 tolerance, all within the bound"
    );
    assert!(widened > 0, "no element of {compared} needed the bound");
}
