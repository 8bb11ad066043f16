//! What the harness knows about each framework's deviations from PyTorch's numbers: the
//! derivative it gives ReLU-type activations at exactly 0 ([`kink_grads`]), and the measured
//! precision limits of its ops ([`PINS`]).
//!
//! Precision: where a framework's activation (or its
//! derivative) is measurably less precise than the project's global tolerances, the pair is
//! pinned here to its measured bound, with the figure, so tests and `check` can name it.
//! The global tolerances are never loosened; only comparisons that involve a pinned
//! (engine, activation, dtype) use the pinned bound. `docs/frameworks.md` lists each entry
//! with an input that shows it.

use bplab_core::spec::KinkGrads;
use bplab_core::{Activation, DType, NetSpec, Tolerance};

/// One measured limit.
#[derive(Debug, Clone, Copy)]
pub struct Pin {
    pub engine: &'static str,
    pub activation: Activation,
    pub dtype: DType,
    /// The bound the engine's values meet for networks using this activation.
    pub tolerance: Tolerance,
    /// What was measured, in words (shown by `check`).
    pub measured: &'static str,
    /// The engine's f64 *forward* pass is not f64-accurate for this op, so finite differences
    /// of it are noise (rounding error / step); the checker differentiates the manual
    /// engine's f64 forward instead and says so.
    pub fd_through_manual: bool,
}

/// What was measured for burn-ndarray's GELU (pinned in f64 and f32 alike).
const BURN_NDARRAY_GELU: &str = "burn-ndarray's GELU backward is the derivative of the tanh approximation while its \
    forward is the exact erf form: derivative off by up to 8.68e-4 (x = −0.75: 1.0619e-3 vs 7.7428e-4); network \
    gradients off by up to 1.04e-2 absolute, 3.5e-2 relative on the test topologies";

/// Every pinned (engine, activation, dtype) pair.
pub const PINS: &[Pin] = &[Pin {
    engine: "candle",
    activation: Activation::Gelu,
    dtype: DType::F64,
    tolerance: Tolerance::new(1e-7, 1e-5),
    measured: "candle's gelu_erf backward uses 0.398942 for 1/√(2π) (candle-core-0.11.1/src/backprop.rs:630): \
               derivative off by up to 1.7e-7 absolute (e.g. x = −0.75: 7.744370043442639e-4 vs 7.742782607648435e-4)",
    fd_through_manual: false,
},
Pin {
    engine: "burn-ndarray",
    activation: Activation::Sigmoid,
    dtype: DType::F64,
    tolerance: Tolerance::new(1e-6, 1e-5),
    measured: "burn-ndarray has no f64 sigmoid: burn's default sigmoid casts to f32 and back \
               (value and derivative off by up to 8.46e-8 absolute; the seed example's ŷ is 0.6572327017784119, \
               its f32 value, instead of 0.6572326668298718)",
    fd_through_manual: true,
},
Pin {
    engine: "burn-ndarray",
    activation: Activation::Gelu,
    dtype: DType::F64,
    tolerance: Tolerance::new(2e-2, 5e-2),
    measured: BURN_NDARRAY_GELU,
    fd_through_manual: false,
},
Pin {
    engine: "burn-ndarray",
    activation: Activation::Gelu,
    dtype: DType::F32,
    tolerance: Tolerance::new(2e-2, 5e-2),
    measured: BURN_NDARRAY_GELU,
    fd_through_manual: false,
},
];

/// Whether finite differences for `engine` on `spec` must go through the manual engine's
/// forward because the engine's own f64 forward is not f64-accurate (see [`Pin`]).
pub fn fd_through_manual(engine: &str, spec: &NetSpec) -> bool {
    pins_for(engine, spec, DType::F64)
        .iter()
        .any(|p| p.fd_through_manual)
}

/// The derivative `engine` gives ReLU and leaky-ReLU at exactly `z = 0` (tests assert each).
pub fn kink_grads(engine: &str) -> KinkGrads {
    match engine {
        // `Relu` backward masks with `arg.ge(0)` (candle-core-0.11.1/src/backprop.rs:638), and
        // leaky-relu is `max(x, 0) + 0.01·min(x, 0)`, whose ties split the gradient in half
        // (candle-nn-0.11.1/src/ops.rs:230-233, backprop.rs:218-220): ½·1 + ½·0.01.
        "candle" => KinkGrads {
            relu: 1.0,
            leaky_relu: 0.505,
        },
        // relu masks where `x <= 0` (0 at 0, as PyTorch); leaky-relu is
        // `mask_where(x < 0, …)`, so `0 < 0` is false and the gradient takes the identity branch.
        "burn-ndarray" | "burn-flex" => KinkGrads {
            relu: 0.0,
            leaky_relu: 1.0,
        },
        // The custom-op engines differentiate every layer that can have a kink with the manual
        // engine's backward (only a cross-entropy output layer, softmax, stays the framework's).
        "burn-custom" | "candle-custom" => KinkGrads::PYTORCH,
        _ => KinkGrads::PYTORCH,
    }
}

/// The pins that apply to `engine` computing `spec` in `dtype`.
pub fn pins_for(engine: &str, spec: &NetSpec, dtype: DType) -> Vec<&'static Pin> {
    PINS.iter()
        .filter(|p| {
            p.engine == engine && p.dtype == dtype && spec.activations().contains(&p.activation)
        })
        .collect()
}

/// `base`, or the loosest pinned bound that applies (a pin never tightens a comparison).
pub fn tolerance_for(engine: &str, spec: &NetSpec, dtype: DType, base: Tolerance) -> Tolerance {
    pins_for(engine, spec, dtype).iter().fold(base, |t, p| {
        Tolerance::new(t.atol.max(p.tolerance.atol), t.rtol.max(p.tolerance.rtol))
    })
}
