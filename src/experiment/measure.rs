//! What the experiments measure and how engines are compared: per-layer gradient norms,
//! classification accuracy, and [`Agreement`], which compares every engine's numbers with
//! the manual engine's under `|a−b| ≤ atol + rtol·|b|` and names what differs — explained
//! by a pinned framework limit (`crate::precision::PINS`) or not.

use bplab_core::{Batch, DType, Engine, Gradients, NetSpec, ParamSet, Result, Tolerance};
use std::collections::BTreeMap;

/// `‖∂L/∂W_l‖` (Frobenius) for every layer `l`, in order.
pub fn weight_norms(g: &Gradients, spec: &NetSpec) -> Vec<f64> {
    (0..spec.n_layers())
        .map(|l| g.params.weight(l).norm())
        .collect()
}

/// `‖δ_l‖ = ‖∂L/∂z_l‖` over the batch for every layer, where the engine exposes `δ`.
pub fn delta_norms(g: &Gradients) -> Option<Vec<f64>> {
    g.deltas
        .as_ref()
        .map(|ds| ds.iter().map(|d| d.norm()).collect())
}

/// The fraction of rows whose largest output is the target's largest entry; NaN when the
/// parameters are not all finite (a diverged run has no predictions).
pub fn accuracy(
    engine: &dyn Engine,
    spec: &NetSpec,
    params: &ParamSet,
    batch: &Batch,
    dtype: DType,
) -> Result<f64> {
    if params
        .iter()
        .any(|(_, t)| t.data.iter().any(|v| !v.is_finite()))
    {
        return Ok(f64::NAN);
    }
    let net = bplab_core::Network::new(spec.clone(), params.clone())?;
    let trace = engine.forward(&net, batch, dtype)?;
    let y_hat = trace.h.last().expect("a network has layers");
    let k = spec.n_out();
    let argmax = |row: &[f64]| {
        (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap_or(0)
    };
    let hits = (0..batch.len())
        .filter(|&i| {
            argmax(&y_hat.data[i * k..(i + 1) * k]) == argmax(&batch.y.data[i * k..(i + 1) * k])
        })
        .count();
    Ok(hits as f64 / batch.len() as f64)
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
    /// The pinned limits (`engine activation dtype`) that apply where it failed.
    pub pinned: Vec<String>,
    /// The first failure, described.
    pub first_failure: Option<String>,
    /// Pairs outside the tolerance but within it once `rtol` is scaled by the computation's
    /// amplification (see [`Agreement::compare_amplified`]); the largest such factor.
    pub ill_conditioned: usize,
    pub max_amplification: f64,
}

/// Every engine's numbers against the manual engine's, under one tolerance.
#[derive(Debug, Clone)]
pub struct Agreement {
    pub tol: Tolerance,
    pub engines: BTreeMap<String, EngineAgreement>,
}

impl Agreement {
    /// Nothing compared yet; `tol` is the bound for engines without a pinned limit.
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
        dtype: DType,
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
        for p in crate::precision::pins_for(engine, spec, dtype) {
            let name = format!("{} {} {}", p.engine, p.activation.name(), p.dtype);
            if !e.pinned.contains(&name) {
                e.pinned.push(name);
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

    /// True when every failure has a pinned explanation.
    pub fn explained(&self) -> bool {
        self.engines
            .values()
            .all(|e| e.failed == 0 || !e.pinned.is_empty())
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
                        crate::render::sci(e.max_amplification)
                    )
                } else {
                    String::new()
                };
                let verdict = if e.failed == 0 {
                    format!("all within tolerance{conditioning}")
                } else if e.pinned.is_empty() {
                    format!(
                        "{} outside tolerance, unexplained (first: {})",
                        e.failed,
                        e.first_failure.clone().unwrap_or_default()
                    ) + &conditioning
                } else {
                    format!(
                        "{} outside tolerance, explained by the pinned limit of {} (first: {})",
                        e.failed,
                        e.pinned.join(", "),
                        e.first_failure.clone().unwrap_or_default()
                    ) + &conditioning
                };
                format!(
                    "{name}: {} values vs manual, max rel diff {}, {verdict}",
                    e.compared,
                    crate::render::sci(e.max_rel)
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
