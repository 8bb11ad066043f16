//! The test body every GPU-class burn engine runs (`tests/wgpu.rs`: `burn-wgpu`, kernels
//! through WGSL; `tests/vulkan.rs`: `burn-vulkan`, kernels compiled to SPIR-V): the same burn
//! model on burn's CubeCL backend, on whatever adapter the machine has (Mesa's lavapipe in CI).
//!
//! In each dtype the engine computes in, its gradients (parameters, input, loss) equal the
//! manual engine's computing with the engine's arithmetic ([`conventions`]) within the exact
//! tolerance of the dtype, on every activation and both losses; they equal burn-flex's and
//! finite differences of burn-flex's f64 forward wherever that arithmetic is exact.
//!
//! Where it is not: burn-cubecl and burn-fusion implement no `ActivationOps` of their own
//! (`burn-cubecl-0.22.1/src/ops/activation.rs:4`, `burn-fusion-0.22.1/src/ops/activation.rs:4`),
//! so the GELU backward is burn-backend's default, the derivative of the tanh approximation
//! (`burn-backend-0.22.1/src/backend/ops/activation.rs:98-128`) under the exact erf forward,
//! and the sigmoid is burn-backend's default, computed in f32 whatever the dtype — burn-ndarray's
//! deviations, not burn-flex's. The body asserts that those networks differ from burn-flex and
//! equal the manual engine's emulation.

use bplab_burn::BurnEngine;
use bplab_core::spec::KinkGrads;
use bplab_core::testing::{assert_passed, fd, fd_tol, spec, Draw};
use bplab_core::train::{Clip, Sgd};
use bplab_core::{Activation, Comparison, DType, Engine, GradRequest, Loss, Tolerance};
use bplab_manual::conventions::GeluBackward;
use bplab_manual::{Conventions, ManualEngine};

pub const REQ: GradRequest = GradRequest { input_grad: true };

/// The exact tolerance of `dtype`.
pub fn exact(dtype: DType) -> Tolerance {
    match dtype {
        DType::F32 => Tolerance::EXACT_F32,
        DType::F64 => Tolerance::EXACT_F64,
    }
}

/// The network of `s`: Xavier-normal weights, `N(0, 0.1²)` biases drawn from `seed` (the burn
/// tests' draw, `tests/it/common.rs`).
fn network(s: &bplab_core::NetSpec, seed: u64) -> bplab_core::Network {
    Draw::Normal.network(s, bplab_core::Init::XavierNormal, seed)
}

/// `b` rows of `N(0, 1)` inputs with their targets (the burn tests' draw).
fn batch(s: &bplab_core::NetSpec, b: usize, seed: u64) -> bplab_core::Batch {
    Draw::Normal.batch(s, b, seed)
}

/// The CubeCL engines' arithmetic where it is not exact: burn's kinks (`relu'(0) = 0`,
/// `leaky_relu'(0) = 1`), burn-backend's default GELU backward and sigmoid.
pub fn conventions() -> Conventions {
    Conventions {
        kinks: KinkGrads {
            relu: 0.0,
            leaky_relu: 1.0,
        },
        gelu_backward: GeluBackward::BurnNdarrayTanh,
        sigmoid_f32: true,
        ..Conventions::EXACT
    }
}

/// True when the conventions change `net`'s gradients in `dtype`: GELU always, the f32
/// sigmoid in f64.
fn deviates(net: &bplab_core::Network, dtype: DType) -> bool {
    let acts = net.spec().activations();
    acts.contains(&Activation::Gelu) || (dtype == DType::F64 && acts.contains(&Activation::Sigmoid))
}

/// Loss, every parameter gradient and ∂L/∂x of `got` against `want`.
fn comparisons(
    got: &bplab_core::Gradients,
    want: &bplab_core::Gradients,
    tol: Tolerance,
) -> Vec<Comparison> {
    let mut comps = vec![Comparison::scalar("loss", got.loss, want.loss, tol)];
    for (p, w) in want.params.iter() {
        comps.push(Comparison::new(p, got.params.get(p).unwrap(), w, tol, None));
    }
    comps.push(Comparison::new(
        "input",
        got.input.as_ref().unwrap(),
        want.input.as_ref().unwrap(),
        tol,
        None,
    ));
    comps
}

/// Every activation on the hidden layers with both losses; residual on and off, batches 1 and 5.
pub fn cases() -> Vec<(String, bplab_core::Network, bplab_core::Batch)> {
    use Activation::*;
    let mut out = Vec::new();
    for (i, hidden) in [Relu, LeakyRelu, Tanh, Sigmoid, Gelu, Identity]
        .into_iter()
        .enumerate()
    {
        // Residual and batch alternate: every compiled shape costs a kernel compilation and an
        // autotune run on lavapipe, so the cases stay few.
        let (residual, b) = if i % 2 == 0 { (false, 1) } else { (true, 5) };
        for (output, loss) in [(Softmax, Loss::CrossEntropy), (hidden, Loss::Mse)] {
            let s = spec(&[3, 4, 4, 2], hidden, output, loss, residual);
            let name = format!("{} residual={residual} B={b}", s.summary());
            out.push((name, network(&s, 3 + b as u64), batch(&s, b, 5 + b as u64)));
        }
    }
    out
}

/// Gradients in `dtype` against the manual engine with [`conventions`] everywhere; against
/// burn-flex and finite differences of burn-flex's f64 forward where the conventions are exact;
/// elsewhere visibly different from burn-flex.
pub fn gradients_agree_with_manual_emulation_burn_flex_and_finite_differences(
    engine: &BurnEngine,
    dtype: DType,
) {
    let label = engine.name();
    let flex = BurnEngine::flex();
    let emulation = ManualEngine::new().with_conventions(conventions());
    let tol = exact(dtype);
    let mut differs = 0;
    for (name, net, data) in cases() {
        let got = engine.grads(&net, &data, dtype, REQ).unwrap();
        let want = emulation.grads(&net, &data, dtype, REQ).unwrap();
        assert_passed(
            &format!("{label} {dtype} vs emulation {name}"),
            &comparisons(&got, &want, tol),
        );
        let vs_flex = comparisons(&got, &flex.grads(&net, &data, dtype, REQ).unwrap(), tol);
        if deviates(&net, dtype) {
            differs += usize::from(!vs_flex.iter().all(|c| c.passed()));
            continue;
        }
        assert_passed(&format!("{label} {dtype} vs burn-flex {name}"), &vs_flex);
        let vs_fd = fd(&flex, &net, &data).compare(&got, fd_tol(dtype));
        assert_passed(&format!("{label} {dtype} vs fd {name}"), &vs_fd);
    }
    assert!(
        differs > 0,
        "{label} {dtype}: no GELU (or f64 sigmoid) case showed burn-backend's default arithmetic"
    );
}

/// The forward pass (every h) in `dtype` equals burn-flex's where the conventions are exact.
pub fn forward_agrees_with_burn_flex(engine: &BurnEngine, dtype: DType) {
    for (name, net, data) in cases() {
        if dtype == DType::F64 && deviates(&net, dtype) {
            continue; // the f32 sigmoid: compared with the emulation above
        }
        let got = engine.forward(&net, &data, dtype).unwrap();
        let want = BurnEngine::flex().forward(&net, &data, dtype).unwrap();
        let comps: Vec<_> = got
            .h
            .iter()
            .zip(&want.h)
            .enumerate()
            .map(|(l, (g, w))| Comparison::new(&format!("h{}", l + 1), g, w, exact(dtype), None))
            .collect();
        assert_passed(&format!("{} {dtype} forward {name}", engine.name()), &comps);
    }
}

/// Ten SGD steps with clipping follow burn-flex's trajectory in `dtype`.
pub fn training_follows_burn_flex(engine: &BurnEngine, dtype: DType) {
    let (_, net, data) = cases().swap_remove(2);
    let sgd = Sgd {
        lr: 0.1,
        clip: Clip::GlobalNorm(1.0),
    };
    let mut a = engine.trainer(&net, &data, dtype).unwrap();
    let mut b = BurnEngine::flex().trainer(&net, &data, dtype).unwrap();
    for step in 0..10 {
        let (sa, sb) = (a.step(&sgd).unwrap(), b.step(&sgd).unwrap());
        let c = Comparison::scalar("loss", sa.loss, sb.loss, exact(dtype));
        assert!(c.passed(), "{} {dtype} step {step}: {c}", engine.name());
    }
    let (pa, pb) = (a.params().unwrap(), b.params().unwrap());
    let comps: Vec<_> = pb
        .iter()
        .map(|(n, w)| Comparison::new(n, pa.get(n).unwrap(), w, exact(dtype), None))
        .collect();
    assert_passed(
        &format!("{} {dtype} params after 10 steps", engine.name()),
        &comps,
    );
}

/// `forward`, `grads` and `trainer` of `engine` in `dtype` each fail with one line, an input
/// error, containing every one of `says`.
pub fn every_entry_point_refuses(engine: &BurnEngine, dtype: DType, says: &[&str]) {
    let (_, net, data) = cases().swap_remove(0);
    let errors = [
        engine.forward(&net, &data, dtype).err(),
        engine.grads(&net, &data, dtype, REQ).err(),
        engine.trainer(&net, &data, dtype).err(),
    ];
    for err in errors {
        let err = err.unwrap_or_else(|| panic!("{} must refuse {dtype} here", engine.name()));
        let msg = err.to_string();
        assert!(
            err.is_input_error() && !msg.contains('\n') && says.iter().all(|s| msg.contains(s)),
            "{msg}"
        );
    }
}
