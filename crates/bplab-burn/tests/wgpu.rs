//! `burn-wgpu` (cargo feature `wgpu`; a test binary of its own, built only with the feature):
//! the same burn model on burn's wgpu backend through CubeCL, on whatever adapter the machine
//! has (Mesa's lavapipe in CI). It refuses `f64` as an
//! input error, and in `f32` its gradients equal the manual engine's computing with burn-wgpu's
//! arithmetic ([`wgpu_conventions`]) within `EXACT_F32` on every activation and both losses;
//! they equal burn-flex's and finite differences of an f64 forward (burn-flex's: burn-wgpu has
//! none) wherever that arithmetic is exact, i.e. on every network without GELU.
//!
//! GELU: burn-cubecl and burn-fusion implement no `ActivationOps` of their own
//! (`burn-cubecl-0.22.1/src/ops/activation.rs:4`, `burn-fusion-0.22.1/src/ops/activation.rs:4`),
//! so burn-wgpu's GELU backward is burn-backend's default, the derivative of the tanh
//! approximation (`burn-backend-0.22.1/src/backend/ops/activation.rs:98-128`) under the exact
//! erf forward — burn-ndarray's deviation, not burn-flex's. The test asserts that it differs
//! from burn-flex there and equals the manual engine's emulation of it.

#![cfg(feature = "wgpu")]

use bplab_burn::{BurnBackend, BurnEngine};
use bplab_core::spec::KinkGrads;
use bplab_core::testing::{assert_passed, fd, fd_tol, spec, Draw};
use bplab_core::train::{Clip, Sgd};
use bplab_core::{Activation, DType, Engine, GradRequest, Loss, Tolerance};
use bplab_manual::conventions::GeluBackward;
use bplab_manual::{Conventions, ManualEngine};

const REQ: GradRequest = GradRequest { input_grad: true };

/// The network of `s`: Xavier-normal weights, `N(0, 0.1²)` biases drawn from `seed` (the burn
/// tests' draw, `tests/it/common.rs`).
fn network(s: &bplab_core::NetSpec, seed: u64) -> bplab_core::Network {
    Draw::Normal.network(s, bplab_core::Init::XavierNormal, seed)
}

/// `b` rows of `N(0, 1)` inputs with their targets (the burn tests' draw).
fn batch(s: &bplab_core::NetSpec, b: usize, seed: u64) -> bplab_core::Batch {
    Draw::Normal.batch(s, b, seed)
}

/// burn-wgpu's arithmetic where it is not exact: burn's kinks (`relu'(0) = 0`,
/// `leaky_relu'(0) = 1`), burn-backend's default GELU backward and sigmoid.
fn wgpu_conventions() -> Conventions {
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

/// Loss, every parameter gradient and ∂L/∂x of `got` against `want`.
fn comparisons(
    got: &bplab_core::Gradients,
    want: &bplab_core::Gradients,
    tol: Tolerance,
) -> Vec<bplab_core::Comparison> {
    let mut comps = vec![bplab_core::Comparison::scalar(
        "loss", got.loss, want.loss, tol,
    )];
    for (p, w) in want.params.iter() {
        comps.push(bplab_core::Comparison::new(
            p,
            got.params.get(p).unwrap(),
            w,
            tol,
            None,
        ));
    }
    comps.push(bplab_core::Comparison::new(
        "input",
        got.input.as_ref().unwrap(),
        want.input.as_ref().unwrap(),
        tol,
        None,
    ));
    comps
}

/// Every activation on the hidden layers with both losses; residual on and off, batches 1 and 5.
fn cases() -> Vec<(String, bplab_core::Network, bplab_core::Batch)> {
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

#[test]
fn f64_is_refused_as_an_input_error_naming_wgsl() {
    let (_, net, data) = cases().swap_remove(0);
    let e = BurnEngine::wgpu();
    let errors = [
        e.forward(&net, &data, DType::F64).err(),
        e.grads(&net, &data, DType::F64, REQ).err(),
        e.trainer(&net, &data, DType::F64).err(),
    ];
    for err in errors {
        let err = err.expect("burn-wgpu must refuse f64");
        assert!(err.is_input_error(), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("WGSL") && msg.contains("f32") && !msg.contains('\n'),
            "{msg}"
        );
    }
}

#[test]
fn the_adapter_is_named_and_the_engine_is_burn_wgpu() {
    let a = bplab_burn::wgpu::adapter().expect("an adapter (lavapipe in CI)");
    assert!(!a.name.is_empty() && !a.api.is_empty(), "{a:?}");
    assert!(a.describe().contains(&a.name), "{}", a.describe());
    assert_eq!(BurnEngine::wgpu().name(), "burn-wgpu");
    assert_eq!(BurnEngine::wgpu().backend(), BurnBackend::Wgpu);
}

/// f32 gradients (parameters, input, loss) against the manual engine with burn-wgpu's
/// conventions (`EXACT_F32`) everywhere; against burn-flex (`EXACT_F32`) and finite differences
/// of burn-flex's f64 forward (`FD_F32`) on every network without GELU; on the GELU networks,
/// visibly different from burn-flex.
#[test]
fn f32_gradients_agree_with_manual_emulation_burn_flex_and_finite_differences() {
    let wgpu = BurnEngine::wgpu();
    let flex = BurnEngine::flex();
    let emulation = ManualEngine::new().with_conventions(wgpu_conventions());
    let mut gelu_differs = 0;
    for (name, net, data) in cases() {
        let got = wgpu.grads(&net, &data, DType::F32, REQ).unwrap();
        let want = emulation.grads(&net, &data, DType::F32, REQ).unwrap();
        let tol = Tolerance::EXACT_F32;
        assert_passed(
            &format!("burn-wgpu vs emulation {name}"),
            &comparisons(&got, &want, tol),
        );
        let vs_flex = comparisons(
            &got,
            &flex.grads(&net, &data, DType::F32, REQ).unwrap(),
            tol,
        );
        if net.spec().activations().contains(&Activation::Gelu) {
            gelu_differs += usize::from(!vs_flex.iter().all(|c| c.passed()));
            continue;
        }
        assert_passed(&format!("burn-wgpu vs burn-flex {name}"), &vs_flex);
        let vs_fd = fd(&flex, &net, &data).compare(&got, fd_tol(DType::F32));
        assert_passed(&format!("burn-wgpu vs fd {name}"), &vs_fd);
    }
    assert!(
        gelu_differs > 0,
        "no GELU case showed the tanh-approximation backward"
    );
}

/// The forward pass (every z and h) equals burn-flex's in f32.
#[test]
fn f32_forward_agrees_with_burn_flex() {
    for (name, net, data) in cases() {
        let got = BurnEngine::wgpu().forward(&net, &data, DType::F32).unwrap();
        let want = BurnEngine::flex().forward(&net, &data, DType::F32).unwrap();
        let mut comps = Vec::new();
        for (l, (g, w)) in got.h.iter().zip(&want.h).enumerate() {
            comps.push(bplab_core::Comparison::new(
                &format!("h{}", l + 1),
                g,
                w,
                Tolerance::EXACT_F32,
                None,
            ));
        }
        assert_passed(&format!("forward {name}"), &comps);
    }
}

/// Ten SGD steps with clipping on burn-wgpu follow burn-flex's trajectory in f32.
#[test]
fn training_follows_burn_flex() {
    let (_, net, data) = cases().swap_remove(2);
    let sgd = Sgd {
        lr: 0.1,
        clip: Clip::GlobalNorm(1.0),
    };
    let mut a = BurnEngine::wgpu().trainer(&net, &data, DType::F32).unwrap();
    let mut b = BurnEngine::flex().trainer(&net, &data, DType::F32).unwrap();
    for step in 0..10 {
        let (sa, sb) = (a.step(&sgd).unwrap(), b.step(&sgd).unwrap());
        let c = bplab_core::Comparison::scalar("loss", sa.loss, sb.loss, Tolerance::EXACT_F32);
        assert!(c.passed(), "step {step}: {c}");
    }
    let (pa, pb) = (a.params().unwrap(), b.params().unwrap());
    let comps: Vec<_> = pb
        .iter()
        .map(|(n, w)| {
            bplab_core::Comparison::new(n, pa.get(n).unwrap(), w, Tolerance::EXACT_F32, None)
        })
        .collect();
    assert_passed("params after 10 steps", &comps);
}
