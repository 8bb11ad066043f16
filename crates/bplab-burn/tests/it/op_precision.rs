//! burn's activations and their derivatives against f64 truth on a grid −20..20, per
//! (backend, op, dtype): each pair's largest absolute errors are pinned by a named constant
//! (its comment gives the measured figure), and whether it is within the global tolerance
//! (f64 `1e-12 + 1e-9·|b|`, f32 `1e-5 + 1e-4·|b|`) may not change silently. The table test
//! asserts the plain and autodiff paths agree bit for bit and prints the full table
//! (`cargo test -p bplab-burn --test it op_precision::op_precision_table -- --nocapture`, the
//! filter keeping other tests' output out of it); `docs/frameworks-burn.md` reproduces it.

use crate::precision::*;
use bplab_burn::BurnBackend;
use bplab_core::DType;

#[test]
fn op_precision_table() {
    for backend in BurnBackend::ALL {
        for op in Op::ALL {
            for dtype in [DType::F32, DType::F64] {
                let d = paths_differ(backend, op, dtype);
                assert_eq!(
                    d,
                    0.0,
                    "{} {} {dtype}: plain and autodiff paths differ",
                    backend.engine_name(),
                    op.name()
                );
                if d > 0.0 {
                    println!(
                        "{} {} {dtype}: plain and autodiff values differ by up to {d:e}",
                        backend.engine_name(),
                        op.name()
                    );
                }
            }
        }
    }
    println!("| backend | op | dtype | value max abs | value max rel | value excess | grad max abs | grad max rel | grad excess | worst (value / grad) |");
    for backend in BurnBackend::ALL {
        for op in Op::ALL {
            for dtype in [DType::F32, DType::F64] {
                let (v, g) = measure(backend, op, dtype);
                println!(
                    "| {} | {} | {dtype} | {:.2e} | {:.2e} | {:.2e} | {:.2e} | {:.2e} | {:.2e} | x={} ({:e} vs {:e}) / x={} ({:e} vs {:e}) |",
                    backend.engine_name(), op.name(), v.max_abs, v.max_rel, v.excess, g.max_abs, g.max_rel, g.excess,
                    v.worst.0, v.worst.1, v.worst.2, g.worst.0, g.worst.1, g.worst.2
                );
            }
        }
    }
}

/// A pinned measurement: bounds on the largest absolute error of the value and of the
/// derivative over the grid, and whether every point is within the global tolerance of the
/// dtype (f64 `1e-12 + 1e-9·|b|`, f32 `1e-5 + 1e-4·|b|`).
#[derive(Debug, Clone, Copy)]
struct Pin {
    value_abs: f64,
    value_within: bool,
    grad_abs: f64,
    grad_within: bool,
}

const fn pin(value_abs: f64, value_within: bool, grad_abs: f64, grad_within: bool) -> Pin {
    Pin {
        value_abs,
        value_within,
        grad_abs,
        grad_within,
    }
}

// "Measured" figures are the largest absolute errors over −20..20 (step 0.01). A measured 0
// means bit-identical to the f64 reference formula; such entries are pinned at 0 where the op
// is exact by construction and at 1e-15 otherwise.

// relu: exact in both dtypes (measured 0 / 0).
const RELU_F32: Pin = pin(0.0, true, 0.0, true);
const RELU_F64: Pin = pin(0.0, true, 0.0, true);
// leaky-relu f32: measured value 1.19e-8 (the slope 0.01 rounded to f32), grad 2.24e-10.
const LEAKY_F32: Pin = pin(2e-8, true, 4e-10, true);
// leaky-relu f64: measured 0 / 0.
const LEAKY_F64: Pin = pin(0.0, true, 0.0, true);
// sigmoid f32, both backends: measured value 8.46e-8, grad 8.46e-8 (1 − σ cancels near x = 8.7).
const SIGMOID_F32: Pin = pin(1.3e-7, true, 1.3e-7, true);
// burn-ndarray sigmoid f64: measured value 8.46e-8 and grad 8.46e-8 — f32 precision, WORSE
// than the f64 tolerance (excess 395 at x = −4.97, 7.3e4 at x = 8.71): burn's default
// `ActivationOps::sigmoid` computes in f32 and the backward pass re-runs it.
const NDARRAY_SIGMOID_F64: Pin = pin(1.3e-7, false, 1.3e-7, false);
// burn-flex sigmoid f64: measured value 0, grad 1.60e-16.
const FLEX_SIGMOID_F64: Pin = pin(1e-15, true, 3e-16, true);
// tanh f32: burn-ndarray measured value 2.98e-8, grad 8.82e-8 (tanh taken in f64, rounded);
// burn-flex value 8.18e-8, grad 1.46e-7 (tanh taken in f32).
const NDARRAY_TANH_F32: Pin = pin(5e-8, true, 1.3e-7, true);
const FLEX_TANH_F32: Pin = pin(1.3e-7, true, 2.2e-7, true);
// tanh f64, both backends: measured value 0, grad 3.33e-16.
const TANH_F64: Pin = pin(1e-15, true, 5e-16, true);
// burn-ndarray gelu f32: measured value 4.22e-7, grad 8.68e-4 — grad WORSE than the f32
// tolerance (excess 48.7 at x = −2.11): `gelu_backward` is the tanh approximation's derivative.
const NDARRAY_GELU_F32: Pin = pin(6.5e-7, true, 1.3e-3, false);
// burn-ndarray gelu f64: measured value 1.78e-15, grad 8.68e-4 — grad WORSE (excess 1.6e8 at
// x = −0.75: 1.0619e-3 vs 7.7428e-4).
const NDARRAY_GELU_F64: Pin = pin(3e-15, true, 1.3e-3, false);
// burn-flex gelu f32: measured value 4.22e-7 (1 + erf cancels for x ≪ 0), grad 1.09e-7.
const FLEX_GELU_F32: Pin = pin(6.5e-7, true, 1.7e-7, true);
// burn-flex gelu f64: measured value 1.78e-15, grad 2.22e-16.
const FLEX_GELU_F64: Pin = pin(3e-15, true, 4e-16, true);
// softmax f32, both backends: measured value 1.89e-8, grad 1.27e-8.
const SOFTMAX_F32: Pin = pin(3e-8, true, 2e-8, true);
// softmax f64: measured value 0, grad 3.93e-16.
const SOFTMAX_F64: Pin = pin(1e-15, true, 6e-16, true);
// log-softmax f32: measured value 1.33e-6 (at log p ≈ −4.5e-5), grad 1.27e-8.
const LOG_SOFTMAX_F32: Pin = pin(2e-6, true, 2e-8, true);
// log-softmax f64: measured 0 / 0.
const LOG_SOFTMAX_F64: Pin = pin(1e-15, true, 1e-15, true);

fn pinned(backend: BurnBackend, op: Op, dtype: DType) -> Pin {
    use bplab_core::Activation::*;
    use BurnBackend::{Flex, NdArray};
    use DType::{F32, F64};
    match (op, dtype, backend) {
        (Op::Act(Relu), F32, _) => RELU_F32,
        (Op::Act(Relu), F64, _) => RELU_F64,
        (Op::Act(LeakyRelu), F32, _) => LEAKY_F32,
        (Op::Act(LeakyRelu), F64, _) => LEAKY_F64,
        (Op::Act(Sigmoid), F32, _) => SIGMOID_F32,
        (Op::Act(Sigmoid), F64, NdArray) => NDARRAY_SIGMOID_F64,
        (Op::Act(Sigmoid), F64, Flex) => FLEX_SIGMOID_F64,
        (Op::Act(Tanh), F32, NdArray) => NDARRAY_TANH_F32,
        (Op::Act(Tanh), F32, Flex) => FLEX_TANH_F32,
        (Op::Act(Tanh), F64, _) => TANH_F64,
        (Op::Act(Gelu), F32, NdArray) => NDARRAY_GELU_F32,
        (Op::Act(Gelu), F64, NdArray) => NDARRAY_GELU_F64,
        (Op::Act(Gelu), F32, Flex) => FLEX_GELU_F32,
        (Op::Act(Gelu), F64, Flex) => FLEX_GELU_F64,
        (Op::Act(Softmax), F32, _) => SOFTMAX_F32,
        (Op::Act(Softmax), F64, _) => SOFTMAX_F64,
        (Op::LogSoftmax, F32, _) => LOG_SOFTMAX_F32,
        (Op::LogSoftmax, F64, _) => LOG_SOFTMAX_F64,
        (Op::Act(Identity), _, _) => unreachable!("identity is not measured"),
        // silu is x·sigmoid(x): its precision is the sigmoid's (tests/it/norm.rs, check).
        (Op::Act(Silu), _, _) => unreachable!("silu is not measured"),
        // burn-wgpu is not in `BurnBackend::ALL` (f32 only): tests/wgpu.rs.
        #[cfg(feature = "wgpu")]
        (_, _, BurnBackend::Wgpu) => unreachable!("burn-wgpu is not measured here"),
        #[cfg(feature = "vulkan")]
        (_, _, BurnBackend::Vulkan) => unreachable!("burn-vulkan is not measured here"),
    }
}

#[test]
fn op_precision_is_pinned() {
    let mut failures = Vec::new();
    for backend in BurnBackend::ALL {
        for op in Op::ALL {
            for dtype in [DType::F32, DType::F64] {
                let p = pinned(backend, op, dtype);
                let (v, g) = measure(backend, op, dtype);
                let ctx = format!("{} {} {dtype}", backend.engine_name(), op.name());
                // Measured: bit-identical for every pair.
                let d = paths_differ(backend, op, dtype);
                if d != 0.0 {
                    failures.push(format!("{ctx}: forward (plain device) and grads (autodiff device) values differ by {d:e}"));
                }
                for (what, s, abs, within) in [
                    ("value", v, p.value_abs, p.value_within),
                    ("grad", g, p.grad_abs, p.grad_within),
                ] {
                    if s.max_abs > abs {
                        failures.push(format!(
                            "{ctx} {what}: max abs {:e} > pinned {abs:e} (worst at x = {})",
                            s.max_abs, s.worst.0
                        ));
                    }
                    if (s.excess <= 1.0) != within {
                        failures.push(format!("{ctx} {what}: within global tolerance is now {} (excess {:e} at x = {}); update the pin and the docs", s.excess <= 1.0, s.excess, s.worst.0));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
