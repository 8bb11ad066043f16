//! Known precision limits of framework ops: where a framework's activation (or its
//! derivative) is measurably less precise than the project's global tolerances, the pair is
//! pinned here to its measured bound, with the figure, so tests and `check` can name it.
//! The global tolerances are never loosened; only comparisons that involve a pinned
//! (engine, activation, dtype) use the pinned bound. `docs/frameworks.md` lists each entry
//! with an input that shows it.

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
}

/// Every pinned (engine, activation, dtype) pair.
pub const PINS: &[Pin] = &[];

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
