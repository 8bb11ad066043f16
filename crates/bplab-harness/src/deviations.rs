//! What the harness knows about each framework's deviations from the exact formulas: the
//! [`Conventions`] the manual engine reproduces for it ([`conventions`]), so that a difference
//! is explained only by agreement — the manual engine, computing with the framework's
//! arithmetic ([`emulating`]), gives the framework's numbers at the exact tolerance of the
//! dtype. No engine has a tolerance wider than the exact one ([`tolerance_for`]).
//!
//! The conventions, each a kernel with its source reference in `bplab_manual::conventions`:
//! - candle: `relu'(0) = 1`, `leaky_relu'(0) = 0.505`, gelu' with `0.398942` for `1/√(2π)`,
//!   LayerNorm's ε rounded to f32;
//! - burn-ndarray: `relu'(0) = 0`, `leaky_relu'(0) = 1`, gelu' of the tanh approximation under
//!   the exact forward, the sigmoid computed in f32 whatever the dtype;
//! - burn-flex: the kinks only;
//! - the custom-op engines: their framework's (burn-flex's, candle's) on the normalized layers
//!   only, which run the framework's own norm and activation; every other layer runs the
//!   manual engine's kernels.
//!
//! `docs/frameworks.md` lists each with an input that shows it.

use bplab_core::spec::KinkGrads;
use bplab_core::{Activation, DType, NetSpec, Tolerance};
use bplab_manual::conventions::{Conventions, GeluBackward, Layers};
use bplab_manual::ManualEngine;

/// The arithmetic `engine` uses where it deviates from the exact formulas (tests assert each).
///
/// ```
/// use bplab_harness::deviations::conventions;
/// use bplab_manual::conventions::{Conventions, GeluBackward};
///
/// assert_eq!(conventions("candle").gelu_backward, GeluBackward::CandleConstant);
/// assert!(conventions("burn-ndarray").sigmoid_f32);
/// assert_eq!(conventions("manual"), Conventions::EXACT);
/// ```
pub fn conventions(engine: &str) -> Conventions {
    match engine {
        // `Relu` backward masks with `arg.ge(0)` (candle-core-0.11.1/src/backprop.rs:638), and
        // leaky-relu is `max(x, 0) + 0.01·min(x, 0)`, whose ties split the gradient in half
        // (candle-nn-0.11.1/src/ops.rs:230-233, backprop.rs:218-220): ½·1 + ½·0.01. GELU's
        // backward: backprop.rs:626-635. LayerNorm: `candle_nn::ops::layer_norm_slow` takes ε
        // as an f32 (candle-nn-0.11.1/src/ops.rs:912, 925).
        "candle" => Conventions {
            kinks: KinkGrads {
                relu: 1.0,
                leaky_relu: 0.505,
            },
            gelu_backward: GeluBackward::CandleConstant,
            layer_norm_eps_f32: true,
            ..Conventions::EXACT
        },
        // relu masks where `x <= 0` (0 at 0, as PyTorch); leaky-relu is
        // `mask_where(x < 0, …)`, so `0 < 0` is false and the gradient takes the identity
        // branch. burn-ndarray takes burn-backend's default `gelu_backward` and `sigmoid`
        // (burn-backend-0.22.1/src/backend/ops/activation.rs:98-128, 139-148); burn-flex
        // overrides both exactly (burn-flex-0.22.1/src/ops/activation.rs:81-107).
        "burn-ndarray" => Conventions {
            kinks: BURN_KINKS,
            gelu_backward: GeluBackward::BurnNdarrayTanh,
            sigmoid_f32: true,
            ..Conventions::EXACT
        },
        "burn-flex" => Conventions {
            kinks: BURN_KINKS,
            ..Conventions::EXACT
        },
        // burn-wgpu and burn-vulkan: burn-cubecl and burn-fusion take every default
        // `ActivationOps` (burn-cubecl-0.22.1/src/ops/activation.rs:4,
        // burn-fusion-0.22.1/src/ops/activation.rs:4): burn-ndarray's GELU backward and sigmoid
        // (burn-backend's defaults above), whichever shader language the kernels are compiled to.
        "burn-wgpu" | "burn-vulkan" => Conventions {
            kinks: BURN_KINKS,
            gelu_backward: GeluBackward::BurnNdarrayTanh,
            sigmoid_f32: true,
            ..Conventions::EXACT
        },
        // The custom-op engines run every layer `CustomOps::covers` as the manual engine's
        // fused op (bplab-manual/src/model/dense.rs): all but a cross-entropy output layer
        // (softmax, no convention) and the normalized layers, which run the framework's own
        // norm and activation (bplab-burn/src/model.rs, bplab-candle/src/model.rs: `forward`).
        // burn-custom runs over burn-flex.
        "burn-custom" => Conventions {
            layers: Layers::Normalized,
            ..conventions("burn-flex")
        },
        "candle-custom" => Conventions {
            layers: Layers::Normalized,
            ..conventions("candle")
        },
        _ => Conventions::EXACT,
    }
}

/// burn's derivatives at the kinks (both backends).
const BURN_KINKS: KinkGrads = KinkGrads {
    relu: 0.0,
    leaky_relu: 1.0,
};

/// The derivative `engine` gives ReLU and leaky-ReLU at exactly `z = 0` on a layer without a
/// norm: its framework's, or PyTorch's for a custom-op engine (whose framework computes only
/// the normalized layers).
///
/// ```
/// use bplab_core::spec::KinkGrads;
/// use bplab_harness::deviations::{conventions, kink_grads};
///
/// assert_eq!(kink_grads("burn-flex").leaky_relu, 1.0);
/// assert_eq!(kink_grads("burn-custom"), KinkGrads::PYTORCH);
/// assert_eq!(conventions("burn-custom").kinks.leaky_relu, 1.0); // on its normalized layers
/// ```
pub fn kink_grads(engine: &str) -> KinkGrads {
    let c = conventions(engine);
    match c.layers {
        Layers::Every => c.kinks,
        Layers::Normalized => KinkGrads::PYTORCH,
    }
}

/// The manual engine computing with `engine`'s [`conventions`]: the reference `engine` is held
/// to at the exact tolerance.
pub fn emulating(engine: &str) -> ManualEngine {
    ManualEngine::new().with_conventions(conventions(engine))
}

/// Whether finite differences for `engine` on `spec` must go through the manual engine's
/// forward because the engine's own f64 forward is not f64-accurate (burn-ndarray's f32
/// sigmoid: central differences of an f32-accurate function at a step of ~6e-6 are noise).
pub fn fd_through_manual(engine: &str, spec: &NetSpec) -> bool {
    conventions(engine).sigmoid_f32
        && (spec.activations().contains(&Activation::Sigmoid)
            || spec.activations().contains(&Activation::Silu))
}

/// The tolerance `engine` computing `spec` in `dtype` is held to: `base`, for every engine.
/// A framework's deviation is explained by reproducing it ([`emulating`]), never by widening a
/// bound; the function stays so the callers say which engine they compare.
pub fn tolerance_for(_engine: &str, _spec: &NetSpec, _dtype: DType, base: Tolerance) -> Tolerance {
    base
}

#[cfg(test)]
mod tests {
    use super::*;
    use bplab_core::Loss;

    #[test]
    fn each_framework_names_its_deviations() {
        let spec = NetSpec::new(
            vec![2, 3, 3, 3, 2],
            vec![
                Activation::Relu,
                Activation::Gelu,
                Activation::Sigmoid,
                Activation::LeakyRelu,
            ],
            Loss::Mse,
            false,
        )
        .unwrap();
        let names = |e: &str| conventions(e).names_for(&spec);
        assert_eq!(names("manual"), Vec::<String>::new());
        // Without a norm, every layer of a custom-op engine is the manual engine's.
        assert_eq!(names("burn-custom"), Vec::<String>::new());
        assert_eq!(names("candle-custom"), Vec::<String>::new());
        assert_eq!(names("burn-flex"), ["leaky_relu'(0) = 1"]);
        assert_eq!(names("candle").len(), 3);
        assert_eq!(names("burn-ndarray").len(), 3);
        assert!(fd_through_manual("burn-ndarray", &spec));
        assert!(!fd_through_manual("burn-flex", &spec));
        let t = Tolerance::EXACT_F64;
        assert_eq!(tolerance_for("burn-ndarray", &spec, DType::F64, t), t);
    }

    #[test]
    fn custom_op_engines_name_their_frameworks_conventions_on_normalized_layers() {
        // relu and gelu on the normalized hidden layers, leaky-relu on the output layer (the
        // manual engine's fused op in a custom-op engine).
        let spec = NetSpec::new(
            vec![2, 3, 3, 2],
            vec![Activation::Relu, Activation::Gelu, Activation::LeakyRelu],
            Loss::Mse,
            false,
        )
        .and_then(|s| s.with_norm(bplab_core::Norm::Layer))
        .unwrap();
        let names = |e: &str| conventions(e).names_for(&spec);
        assert_eq!(
            names("candle-custom"),
            [
                "relu'(0) = 1",
                "gelu' with 0.398942 for 1/√(2π) (candle)",
                "LayerNorm's ε as f32, 9.999999747378752e-6 (candle)"
            ]
        );
        assert_eq!(names("candle").len(), 4, "{:?}", names("candle"));
        assert_eq!(names("burn-custom"), Vec::<String>::new()); // relu'(0) = 0 as PyTorch
        assert_eq!(names("burn-flex"), ["leaky_relu'(0) = 1"]);
        let batch = NetSpec::new(vec![2, 3, 2], vec![Activation::Tanh; 2], Loss::Mse, false)
            .and_then(|s| s.with_norm(bplab_core::Norm::Batch))
            .unwrap();
        assert!(conventions("candle").names_for(&batch).is_empty()); // BatchNorm's ε is f64
    }
}
