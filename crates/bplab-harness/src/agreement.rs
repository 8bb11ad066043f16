//! The one rule by which an engine is held to a reference, used by `check`, the experiments,
//! the labs and the visualizer: element-wise `|a−b| ≤ atol + rtol·|b|` with the exact-computation
//! tolerance of the dtype ([`exact`]), for every engine ([`tolerance`]). A framework whose
//! documented arithmetic deviates from the exact formulas is held to the manual engine
//! computing with that arithmetic ([`crate::deviations::emulating`]); a difference outside the
//! tolerance is reported with the engine's conventions that touch the network, as unexplained.
//!
//! - [`gradients`]: loss, every parameter gradient and `∂L/∂x`, tensor by tensor;
//! - [`tensor`]: one named tensor, or a [`Verdict`] saying the engine does not expose it;
//! - [`Agreement`]: many scalars (trajectories, norms) accumulated per engine.

use crate::deviations::{conventions, tolerance_for};
use bplab_core::{Comparison, DType, Gradients, NetSpec, Tensor, Tolerance};
use bplab_output::table::sci;
use std::collections::BTreeMap;

/// The tolerance two correct computations in `dtype` are held to:
/// [`Tolerance::EXACT_F64`] or [`Tolerance::EXACT_F32`].
pub fn exact(dtype: DType) -> Tolerance {
    match dtype {
        DType::F64 => Tolerance::EXACT_F64,
        DType::F32 => Tolerance::EXACT_F32,
    }
}

/// The tolerance `engine` computing `spec` in `dtype` is held to: `base` (no engine's is wider).
pub fn tolerance(engine: &str, spec: &NetSpec, dtype: DType, base: Tolerance) -> Tolerance {
    tolerance_for(engine, spec, dtype, base)
}

/// The reference `engine` computing `spec` is held to, when it is not the manual engine
/// itself: the manual engine computing with `engine`'s documented conventions
/// ([`crate::deviations::emulating`]) when those touch the network; `None` otherwise.
pub fn emulated_reference(engine: &str, spec: &NetSpec) -> Option<bplab_manual::ManualEngine> {
    let conv = crate::deviations::conventions(engine);
    (!conv.names_for(spec).is_empty()).then(|| crate::deviations::emulating(engine))
}

/// One engine's verdict on one tensor.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Compared element-wise with the reference.
    Compared(Comparison),
    /// The engine (or the reference) does not expose this tensor: recorded, never filled in.
    NotExposed(String),
}

impl Verdict {
    /// Compared and within tolerance, or not exposed.
    pub fn passed(&self) -> bool {
        match self {
            Verdict::Compared(c) => c.passed(),
            Verdict::NotExposed(_) => true,
        }
    }
}

/// Tensor `name` of `engine` (`got`) against the reference's (`want`), under the engine's
/// [`tolerance`] of [`exact`]`(dtype)`; `None` on either side is [`Verdict::NotExposed`].
pub fn tensor(
    (engine, got): (&str, Option<&Tensor>),
    (reference, want): (&str, Option<&Tensor>),
    name: &str,
    spec: &NetSpec,
    dtype: DType,
) -> Verdict {
    let tol = tolerance(engine, spec, dtype, exact(dtype));
    match (got, want) {
        (Some(got), Some(want)) => Verdict::Compared(Comparison::new(name, got, want, tol, None)),
        (None, _) => Verdict::NotExposed(format!("{engine} exposes no δ")),
        (Some(_), None) => Verdict::NotExposed(format!("reference {reference} exposes no δ")),
    }
}

/// Loss, every parameter gradient and (when both have it) `∂L/∂x` of `got` against `want`.
pub fn gradients(got: &Gradients, want: &Gradients, tol: Tolerance) -> Vec<Comparison> {
    each_tensor(got, want, |name, g, w| {
        Comparison::new(name, g, w, tol, None)
    })
}

/// [`gradients`] of two f32 computations, each element also allowed `computations · E`, `E`
/// the first-order bound on any f32 computation's rounding of it propagated through the
/// network (`bounds`, from [`bplab_manual::ManualEngine::f32_rounding_bounds`]): 2 when both
/// `got` and `want` are f32 computations, 1 when `want` is exact. Where a normalized layer
/// amplifies the backward (`rstd` up to `1/√ε` ≈ 316) or a gradient cancels to nearly 0, two
/// correct f32 engines differ by more than the exact tolerance; the bound says by how much
/// they may, derived from the ops' rounding and the network, not tuned on it.
pub fn gradients_within_f32_rounding(
    got: &Gradients,
    want: &Gradients,
    bounds: &Gradients,
    computations: u32,
) -> Vec<Comparison> {
    let tol = exact(DType::F32);
    let what = match computations {
        1 => "E (its propagated f32 rounding bound)",
        2 => "2·E (E: the propagated f32 rounding bound)",
        _ => "k·E (E: the propagated f32 rounding bound)",
    };
    let k = f64::from(computations);
    each_tensor(got, want, |name, g, w| match tensor_of(bounds, name) {
        Some(b) => {
            let allowance = Tensor {
                shape: b.shape.clone(),
                data: b.data.iter().map(|e| k * e).collect(),
            };
            Comparison::with_allowance(name, g, w, tol, None, (&allowance, what))
        }
        None => Comparison::new(name, g, w, tol, None),
    })
}

/// `compare(name, got's, want's)` for the loss, every parameter of `want` (an empty tensor
/// where `got` lacks it, which fails on its shape) and `∂L/∂x` when both have it.
fn each_tensor(
    got: &Gradients,
    want: &Gradients,
    compare: impl Fn(&str, &Tensor, &Tensor) -> Comparison,
) -> Vec<Comparison> {
    let names = std::iter::once("loss")
        .chain(want.params.iter().map(|(name, _)| name))
        .chain(want.input.as_ref().map(|_| "input"));
    names
        .filter_map(|name| {
            let w = tensor_of(want, name)?;
            match tensor_of(got, name) {
                Some(g) => Some(compare(name, &g, &w)),
                None if name == "input" => None,
                None => Some(compare(name, &Tensor::zeros(&[0]), &w)),
            }
        })
        .collect()
}

/// Tensor `name` of `g`: `"loss"` (a scalar), `"input"` (`∂L/∂x`) or a parameter's gradient.
fn tensor_of(g: &Gradients, name: &str) -> Option<Tensor> {
    match name {
        "loss" => Some(Tensor {
            shape: vec![],
            data: vec![g.loss],
        }),
        "input" => g.input.clone(),
        param => g.params.get(param).cloned(),
    }
}

/// One engine's agreement with the manual engine.
#[derive(Debug, Clone, Default)]
pub struct EngineAgreement {
    /// Values compared.
    pub compared: usize,
    /// Largest `|a−b| / |b|` among finite pairs.
    pub max_rel: f64,
    /// Pairs outside the tolerance (a finite/non-finite mismatch counts).
    pub failed: usize,
    /// The engine's conventions that touch the network, named where it failed (a reference
    /// that does not compute with them cannot explain the failure).
    pub conventions: Vec<String>,
    /// The first failure, described.
    pub first_failure: Option<String>,
    /// Pairs outside the tolerance but within it once `rtol` is scaled by the computation's
    /// amplification (see [`Agreement::compare_amplified`]); the largest such factor.
    pub ill_conditioned: usize,
    pub max_amplification: f64,
    /// Pairs outside the tolerance of the exact manual engine but within it of the manual
    /// engine computing with the engine's conventions ([`Agreement::compare_explained`]): a
    /// difference explained by agreement, with the conventions that explain it.
    pub explained: usize,
    pub explained_by: Vec<String>,
}

/// Every engine's numbers against the manual engine's, under one tolerance.
#[derive(Debug, Clone)]
pub struct Agreement {
    pub tol: Tolerance,
    pub engines: BTreeMap<String, EngineAgreement>,
}

impl Agreement {
    /// Nothing compared yet; `tol` is the bound for every engine.
    pub fn new(tol: Tolerance) -> Self {
        Agreement {
            tol,
            engines: BTreeMap::new(),
        }
    }

    /// Compares `got` (from `engine`, computing `spec` in `dtype`) with the manual engine's
    /// `want`. Two NaNs or two equal infinities agree.
    pub fn compare(
        &mut self,
        engine: &str,
        spec: &NetSpec,
        _dtype: DType,
        what: &str,
        got: f64,
        want: f64,
    ) {
        let e = self.engines.entry(engine.to_string()).or_default();
        e.compared += 1;
        let same_special = (got.is_nan() && want.is_nan()) || (got.is_infinite() && got == want);
        if got.is_finite() && want.is_finite() && want != 0.0 {
            e.max_rel = e.max_rel.max((got - want).abs() / want.abs());
        }
        if same_special || self.tol.allows(got, want) {
            return;
        }
        e.failed += 1;
        if e.first_failure.is_none() {
            e.first_failure = Some(format!("{what}: {engine} {got:e} vs manual {want:e}"));
        }
        for name in conventions(engine).names_for(spec) {
            if !e.conventions.contains(&name) {
                e.conventions.push(name);
            }
        }
    }

    /// Like [`Agreement::compare`] for a quantity that the computation amplifies by `amp`
    /// (e.g. a gradient that grows `amp`-fold from the output layer to the input layer): two
    /// correct engines whose ops differ by an ulp then differ by about `amp` ulps, so a pair
    /// outside the tolerance but within `atol + rtol·amp·|b|` counts as ill-conditioning,
    /// not as a disagreement.
    #[allow(clippy::too_many_arguments)]
    pub fn compare_amplified(
        &mut self,
        engine: &str,
        spec: &NetSpec,
        dtype: DType,
        what: &str,
        got: f64,
        want: f64,
        amp: f64,
    ) {
        let amp = if amp.is_finite() { amp.max(1.0) } else { 1.0 };
        let scaled = Tolerance::new(self.tol.atol, self.tol.rtol * amp);
        if amp > 1.0 && !self.tol.allows(got, want) && scaled.allows(got, want) {
            let e = self.engines.entry(engine.to_string()).or_default();
            e.compared += 1;
            e.ill_conditioned += 1;
            e.max_amplification = e.max_amplification.max(amp);
            if want.is_finite() && want != 0.0 {
                e.max_rel = e.max_rel.max((got - want).abs() / want.abs());
            }
            return;
        }
        self.compare(engine, spec, dtype, what, got, want);
    }

    /// Compares `got` with `emulated`, the manual engine's value computing with `engine`'s
    /// documented conventions ([`emulated_reference`]), when there is one, else with `exact`,
    /// the exact manual engine's. A pair outside the tolerance of `exact` but within it of
    /// `emulated` counts as explained by those conventions; outside it of `emulated` it is a
    /// disagreement like any other.
    #[allow(clippy::too_many_arguments)]
    pub fn compare_explained(
        &mut self,
        engine: &str,
        spec: &NetSpec,
        dtype: DType,
        what: &str,
        got: f64,
        exact: f64,
        emulated: Option<f64>,
    ) {
        let Some(want) = emulated else {
            return self.compare(engine, spec, dtype, what, got, exact);
        };
        let agrees = |want: f64| {
            (got.is_nan() && want.is_nan())
                || (got.is_infinite() && got == want)
                || self.tol.allows(got, want)
        };
        let explained = !agrees(exact) && agrees(want);
        self.compare(engine, spec, dtype, what, got, want);
        if explained {
            let e = self.engines.entry(engine.to_string()).or_default();
            e.explained += 1;
            for name in conventions(engine).names_for(spec) {
                if !e.explained_by.contains(&name) {
                    e.explained_by.push(name);
                }
            }
        }
    }

    /// [`Agreement::compare_explained`] element by element (`what[i]` names element `i`).
    #[allow(clippy::too_many_arguments)]
    pub fn compare_all_explained(
        &mut self,
        engine: &str,
        spec: &NetSpec,
        dtype: DType,
        what: &str,
        got: &[f64],
        exact: &[f64],
        emulated: Option<&[f64]>,
    ) {
        for (i, (&g, &x)) in got.iter().zip(exact).enumerate() {
            let m = emulated.and_then(|m| m.get(i).copied());
            self.compare_explained(engine, spec, dtype, &format!("{what}[{i}]"), g, x, m);
        }
    }

    /// Compares two sequences element by element (`what[i]` names element `i`).
    pub fn compare_all(
        &mut self,
        engine: &str,
        spec: &NetSpec,
        dtype: DType,
        what: &str,
        got: &[f64],
        want: &[f64],
    ) {
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            self.compare(engine, spec, dtype, &format!("{what}[{i}]"), g, w);
        }
    }

    /// True when no value is outside the tolerance (ill-conditioned ones aside): an engine
    /// with conventions is explained only when the reference computed with them.
    pub fn explained(&self) -> bool {
        self.engines.values().all(|e| e.failed == 0)
    }

    /// One line per engine: `burn-flex: 240 values, max rel 3.1e-16, all within …`.
    pub fn lines(&self) -> Vec<String> {
        self.engines
            .iter()
            .map(|(name, e)| {
                let conditioning = if e.ill_conditioned > 0 {
                    format!(
                        "; {} more within it once scaled by the computation's amplification (up to {})",
                        e.ill_conditioned,
                        sci(e.max_amplification)
                    )
                } else {
                    String::new()
                };
                let verdict = if e.failed == 0 && e.explained > 0 {
                    format!(
                        "{} outside tolerance, explained by agreement: the manual engine computing with {} gives all within tolerance{conditioning}",
                        e.explained,
                        e.explained_by.join(", ")
                    )
                } else if e.failed == 0 {
                    format!("all within tolerance{conditioning}")
                } else if e.conventions.is_empty() {
                    format!(
                        "{} outside tolerance, unexplained (first: {})",
                        e.failed,
                        e.first_failure.clone().unwrap_or_default()
                    ) + &conditioning
                } else {
                    format!(
                        "{} outside tolerance, unexplained; the engine computes with {} (first: {})",
                        e.failed,
                        e.conventions.join(", "),
                        e.first_failure.clone().unwrap_or_default()
                    ) + &conditioning
                };
                format!(
                    "{name}: {} values vs manual, max rel diff {}, {verdict}",
                    e.compared,
                    sci(e.max_rel)
                )
            })
            .collect()
    }

    /// The summary block: the rule, then [`Agreement::lines`].
    pub fn render(&self) -> String {
        let mut s = format!(
            "engines vs manual: |a−b| ≤ {:e} + {:e}·|b|\n",
            self.tol.atol, self.tol.rtol
        );
        for l in self.lines() {
            s.push_str("  ");
            s.push_str(&l);
            s.push('\n');
        }
        s
    }
}
