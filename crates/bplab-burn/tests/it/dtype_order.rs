//! One process computes f32 and f64 on both backends in any order: an f32 gradient, then the
//! f64 forward passes of finite differences and an f64 gradient, then f32 again, interleaving
//! the backends. Each result is checked for the precision it claims: f32 results are f32
//! values (every element survives a round trip through `f32`) within `FD_F32` of the f64
//! differences; f64 results are within `FD_F64` and are not f32-rounded. (The test runs in a
//! fresh process of its own, so that its first f32 gradient is the process's first
//! computation.)

use crate::common::*;
use bplab_burn::BurnEngine;
use bplab_core::{Activation, DType, Engine, GradRequest, Gradients, Loss, Tensor, Tolerance};

fn all_values(g: &Gradients) -> Vec<f64> {
    let mut v: Vec<f64> = g.params.iter().flat_map(|(_, t)| t.data.clone()).collect();
    v.extend(g.input.as_ref().map(|t| t.data.clone()).unwrap_or_default());
    v.push(g.loss);
    v
}

fn is_f32(v: f64) -> bool {
    v as f32 as f64 == v
}

fn assert_is_f32(ctx: &str, g: &Gradients) {
    let v = all_values(g);
    assert!(
        v.iter().all(|&v| is_f32(v)),
        "{ctx}: an f32 result holds a value f32 cannot represent"
    );
}

fn assert_is_f64(ctx: &str, g: &Gradients) {
    let v = all_values(g);
    let wide = v.iter().filter(|&&v| !is_f32(v)).count();
    assert!(
        wide * 2 > v.len(),
        "{ctx}: only {wide}/{} values need f64; computed in f32?",
        v.len()
    );
}

#[test]
fn f32_then_f64_then_f32_in_one_process() {
    in_own_process(
        "dtype_order::f32_then_f64_then_f32_in_one_process",
        fresh_process,
    );
}

/// The test's body, run in a process where no tensor has been created yet.
fn fresh_process() {
    // tanh hidden layers, softmax + cross-entropy: ops both backends compute at full precision.
    let s = spec(
        &[3, 4, 4, 2],
        Activation::Tanh,
        Activation::Softmax,
        Loss::CrossEntropy,
        true,
    );
    let (net, batch) = (network(&s, 21), batch(&s, 5, 22));
    let req = GradRequest { input_grad: true };
    let (ndarray, flex) = (BurnEngine::ndarray(), BurnEngine::flex());

    let first32: Vec<Gradients> = [&ndarray, &flex]
        .iter()
        .map(|e| {
            let g = e.grads(&net, &batch, DType::F32, req).unwrap();
            assert_is_f32(&format!("{} f32 (first)", e.name()), &g);
            g
        })
        .collect();

    for (e, g32) in [&flex, &ndarray]
        .into_iter()
        .zip([&first32[1], &first32[0]])
    {
        let fd = fd(e, &net, &batch); // hundreds of f64 forward passes
        let g64 = e.grads(&net, &batch, DType::F64, req).unwrap();
        assert_is_f64(&format!("{} f64", e.name()), &g64);
        assert_passed(
            &format!("{} f64", e.name()),
            &fd.compare(&g64, Tolerance::FD_F64),
        );
        assert_passed(
            &format!("{} f32", e.name()),
            &fd.compare(g32, Tolerance::FD_F32),
        );
        let t64 = e.forward(&net, &batch, DType::F64).unwrap();
        assert!(t64
            .h
            .iter()
            .flat_map(|t: &Tensor| &t.data)
            .any(|&v| !is_f32(v)));
    }

    for (e, g32) in [&ndarray, &flex].into_iter().zip(&first32) {
        let again = e.grads(&net, &batch, DType::F32, req).unwrap();
        assert_is_f32(&format!("{} f32 (again)", e.name()), &again);
        assert_eq!(
            &again,
            g32,
            "{}: f32 after f64 differs from f32 before",
            e.name()
        );
    }
}
