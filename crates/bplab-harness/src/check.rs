//! `bplab check`: every selected engine's gradients against central finite differences of its
//! own f64 forward pass, against the manual engine in the same dtype, and (`--reference DIR`)
//! against a reference directory's loss and gradients, tensor by tensor, at the exact tolerance
//! of the dtype. A framework that differs from the manual engine is explained only by
//! agreement: the manual engine, re-run with the framework's documented arithmetic
//! ([`crate::deviations::conventions`]), must then give its numbers at that same tolerance.
//! In f32 an element may also differ by twice its propagated rounding bound
//! ([`crate::agreement::gradients_within_f32_rounding`]): under a normalized layer two correct
//! f32 computations differ by more than the exact tolerance. Elements whose finite difference straddles a ReLU kink are skipped with the reason. The table and the JSON
//! document are in [`render`]; what a planted fault can change is in [`plant`].

mod render;
pub mod section;

pub mod plant;
#[cfg(test)]
mod tests;

pub use render::{to_json, to_table};

use crate::deviations::{conventions, emulating, fd_through_manual};
use crate::netargs::Resolved;
use crate::reference::Reference;
use bplab_core::gradcheck::{finite_differences, FdConfig, Kink};
use bplab_core::{Comparison, DType, Engine, GradRequest, Gradients, Result, Tolerance};
use bplab_manual::ManualEngine;
use bplab_output::report::{Context, ReportSection, Section};

/// What `check` compares and how strictly.
#[derive(Debug, Clone, Copy)]
pub struct CheckConfig {
    /// The dtype the engines compute their gradients in.
    pub dtype: DType,
    /// Finite-difference settings (always evaluated in f64).
    pub fd: FdConfig,
    /// Analytic vs finite differences.
    pub fd_tol: Tolerance,
    /// Engine vs manual engine, same dtype.
    pub cross_tol: Tolerance,
}

impl CheckConfig {
    /// The documented defaults for `dtype`.
    pub fn new(dtype: DType) -> Self {
        let (fd_tol, cross_tol) = match dtype {
            DType::F64 => (Tolerance::FD_F64, Tolerance::EXACT_F64),
            DType::F32 => (Tolerance::FD_F32, Tolerance::EXACT_F32),
        };
        CheckConfig {
            dtype,
            fd: FdConfig::default(),
            fd_tol,
            cross_tol,
        }
    }
}

/// One engine's results.
#[derive(Debug, Clone)]
pub struct EngineCheck {
    pub engine: String,
    pub loss: f64,
    /// Per tensor, against finite differences.
    pub vs_fd: Vec<Comparison>,
    /// Loss and per tensor, against the manual engine (empty for the manual engine itself).
    pub vs_manual: Vec<Comparison>,
    /// Loss and per tensor, against the manual engine computing with this engine's
    /// conventions (empty unless `vs_manual` failed and the engine has conventions that
    /// touch the network).
    pub vs_emulated: Vec<Comparison>,
    /// Elements skipped because a finite difference straddles a kink: `(tensor, kink)`.
    pub kinks: Vec<(String, Kink)>,
    /// How the engine's numbers were explained or checked; shown under the table.
    pub notes: Vec<String>,
    /// The engine differs from the exact manual engine, and the manual engine computing with
    /// these conventions of the engine (named) agrees with it at the exact tolerance.
    pub explained: Option<Vec<String>>,
    /// The difference from finite differences is the same conventions': `explained`, and the
    /// exact manual engine agrees with the finite differences.
    pub fd_explained: bool,
    /// Loss and per tensor, against the reference directory (empty without one).
    pub vs_reference: Vec<Comparison>,
    /// The difference from the reference is the same conventions': `explained`, and the
    /// exact manual engine agrees with the reference.
    pub reference_explained: bool,
}

impl EngineCheck {
    /// Every comparison passed, or the only differences from the manual engine (finite
    /// differences, the reference) are explained by agreement.
    pub fn passed(&self) -> bool {
        (self.fd_explained || self.vs_fd.iter().all(Comparison::passed))
            && (self.explained.is_some() || self.vs_manual.iter().all(Comparison::passed))
            && (self.reference_explained || self.vs_reference.iter().all(Comparison::passed))
    }

    /// The difference from the manual engine is explained by the derivative at a kink alone.
    pub fn kink_explained(&self) -> bool {
        self.explained
            .as_ref()
            .is_some_and(|c| !c.is_empty() && c.iter().all(|n| n.contains("'(0)")))
    }
}

/// The reference directory a check compared with (`--reference DIR`).
#[derive(Debug, Clone)]
pub struct ReferenceInfo {
    /// The directory, as given.
    pub dir: String,
    /// The case's name.
    pub name: String,
    /// `case.json`'s `torch_version`, when given.
    pub torch_version: Option<String>,
    /// Engine vs reference: the exact tolerance of the dtype.
    pub tol: Tolerance,
}

/// The whole check.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub config: CheckConfig,
    pub engines: Vec<EngineCheck>,
    /// The reference directory, when the check compared with one.
    pub reference: Option<ReferenceInfo>,
}

impl CheckReport {
    /// Every engine passed.
    pub fn passed(&self) -> bool {
        self.engines.iter().all(EngineCheck::passed)
    }
}

/// Runs the check for every engine.
pub fn run(engines: &[Box<dyn Engine>], r: &Resolved, cfg: &CheckConfig) -> Result<CheckReport> {
    run_against(engines, r, cfg, None)
}

/// Runs the check for every engine, and compares each with `reference` when given (`r` is
/// then the reference's own network and batch, [`Reference::resolved`]). Every comparison is
/// at the dtype's exact tolerance ([`crate::agreement::exact`]) or the finite differences'.
pub fn run_against(
    engines: &[Box<dyn Engine>],
    r: &Resolved,
    cfg: &CheckConfig,
    reference: Option<&Reference>,
) -> Result<CheckReport> {
    let req = GradRequest {
        input_grad: cfg.fd.inputs,
    };
    let spec = r.network.spec();
    let manual = ManualEngine::new().grads(&r.network, &r.batch, cfg.dtype, req)?;
    let ref_tol = crate::agreement::exact(cfg.dtype);
    let want = reference.map(Reference::gradients);
    let manual_matches_reference = want.as_ref().is_some_and(|w| {
        crate::agreement::gradients(&manual, w, ref_tol)
            .iter()
            .all(Comparison::passed)
    });
    let mut out = Vec::new();
    // Progress on stderr, per engine, when the finite differences are long.
    let probes = r.network.params().n_values() + if cfg.fd.inputs { r.batch.x.len() } else { 0 };
    let fd_work = 2 * probes * engines.len() * spec.n_layers();
    let mut bar =
        (fd_work > 1_000_000).then(|| crate::progress::Progress::new("check", engines.len()));
    for e in engines {
        let name = e.name();
        let mut notes = Vec::new();
        let grads = e.grads(&r.network, &r.batch, cfg.dtype, req)?;
        let fd = if !crate::engines::computes_in(name, DType::F64) {
            notes.push(format!(
                "{name}: finite differences through the manual engine's f64 forward ({name} computes in f32 only)"
            ));
            finite_differences(&ManualEngine::new(), &r.network, &r.batch, &cfg.fd)?
        } else if fd_through_manual(name, spec) {
            notes.push(format!(
                "{name}: finite differences through the manual engine's f64 forward ({name}'s own f64 forward is not f64-accurate here)"
            ));
            finite_differences(&ManualEngine::new(), &r.network, &r.batch, &cfg.fd)?
        } else {
            finite_differences(e.as_ref(), &r.network, &r.batch, &cfg.fd)?
        };
        let vs_fd = against_fd(&fd, &grads, &emulating(name), r, cfg)?;
        let vs_manual = if name == "manual" {
            Vec::new()
        } else {
            cross(&grads, &manual, &ManualEngine::new(), r, cfg)?
        };
        let (vs_emulated, explained) = explain(e.as_ref(), &grads, &vs_manual, r, cfg, req)?;
        if let Some(list) = explained
            .as_ref()
            .filter(|l| l.iter().all(|n| n.contains("'(0)")))
        {
            let zeros = exact_kink_zeros(e.as_ref(), r, cfg.dtype)?;
            notes.push(format!(
                "{name} differs from the manual engine only through the derivative at a kink: {zeros} ReLU-type \
                 pre-activation(s) are exactly 0, where {name} uses {} and PyTorch/manual the left slope; the manual \
                 engine with {name}'s convention agrees at the exact tolerance {} (see docs/frameworks.md)",
                list.join(", "),
                cfg.cross_tol
            ));
        } else if let Some(list) = &explained {
            notes.push(format!(
                "{name} differs from the manual engine only by its documented arithmetic ({}): the manual engine \
                 computing with it agrees at the exact tolerance {} (see docs/frameworks.md)",
                list.join("; "),
                cfg.cross_tol
            ));
        }
        let fd_explained = explained.is_some()
            && !vs_fd.iter().all(Comparison::passed)
            && against_fd(&fd, &manual, &ManualEngine::new(), r, cfg)?
                .iter()
                .all(Comparison::passed);
        if fd_explained {
            notes.push(format!(
                "{name}'s gradients are not its forward's derivative (the conventions above); the exact manual engine \
                 agrees with the same finite differences"
            ));
        }
        let vs_reference = match &want {
            Some(w) => crate::agreement::gradients(&grads, w, ref_tol),
            None => Vec::new(),
        };
        let reference_explained = explained.is_some()
            && manual_matches_reference
            && !vs_reference.iter().all(Comparison::passed);
        let kinks = fd
            .tensors()
            .flat_map(|t| t.kinks.iter().map(|k| (t.name.clone(), k.clone())))
            .collect();
        out.push(EngineCheck {
            engine: name.to_string(),
            loss: grads.loss,
            vs_fd,
            vs_manual,
            vs_emulated,
            kinks,
            notes,
            explained,
            fd_explained,
            vs_reference,
            reference_explained,
        });
        if let Some(b) = bar.as_mut() {
            b.tick(&format!("{name} checked against finite differences"));
        }
    }
    if let Some(b) = bar.as_mut() {
        b.finish();
    }
    Ok(CheckReport {
        config: *cfg,
        engines: out,
        reference: reference.map(|rf| ReferenceInfo {
            dir: rf.dir.display().to_string(),
            name: rf.name.clone(),
            torch_version: rf.torch_version.clone(),
            tol: ref_tol,
        }),
    })
}

/// When `engine`'s gradients differ from the exact manual engine's (`vs_manual` failed) and
/// the engine has conventions that touch the network: the comparison with the manual engine
/// computing with them, and the conventions' names when every tensor agrees at the exact
/// tolerance. A kink convention is named only when some ReLU-type activation input is exactly 0.
fn explain(
    engine: &dyn Engine,
    grads: &Gradients,
    vs_manual: &[Comparison],
    r: &Resolved,
    cfg: &CheckConfig,
    req: GradRequest,
) -> Result<(Vec<Comparison>, Option<Vec<String>>)> {
    let conv = conventions(engine.name());
    let mut names = conv.names_for(r.network.spec());
    if vs_manual.iter().all(Comparison::passed) || names.is_empty() {
        return Ok((Vec::new(), None));
    }
    if exact_kink_zeros(engine, r, cfg.dtype)? == 0 {
        names.retain(|n| !n.contains("'(0)"));
    }
    let emulated = ManualEngine::new().with_conventions(conv);
    let alike = emulated.grads(&r.network, &r.batch, cfg.dtype, req)?;
    let vs_emulated = cross(grads, &alike, &emulated, r, cfg)?;
    let agrees = vs_emulated.iter().all(Comparison::passed);
    Ok((vs_emulated, (agrees && !names.is_empty()).then_some(names)))
}

/// An engine's gradients against the manual engine's (`want`, computed by `manual`) in the
/// same dtype: at [`CheckConfig::cross_tol`]; in f32 at the exact tolerance, each element also
/// allowed twice the rounding error any f32 computation of it makes, propagated through the
/// network under `manual`'s kink convention
/// ([`crate::agreement::gradients_within_f32_rounding`]).
fn cross(
    grads: &Gradients,
    want: &Gradients,
    manual: &ManualEngine,
    r: &Resolved,
    cfg: &CheckConfig,
) -> Result<Vec<Comparison>> {
    if cfg.dtype == DType::F32 && cfg.cross_tol == crate::agreement::exact(DType::F32) {
        let bounds = manual.f32_rounding_bounds(&r.network, &r.batch)?;
        Ok(crate::agreement::gradients_within_f32_rounding(
            grads, want, &bounds, 2,
        ))
    } else {
        Ok(crate::agreement::gradients(grads, want, cfg.cross_tol))
    }
}

/// Gradients computed by `engine` (its kink convention is `manual`'s) against the finite
/// differences: at [`CheckConfig::fd_tol`]; in f32 each element also allowed the rounding error
/// any f32 computation of it makes, propagated through the network (one f32 computation
/// against f64 differences).
fn against_fd(
    fd: &bplab_core::gradcheck::FdGradients,
    grads: &Gradients,
    manual: &ManualEngine,
    r: &Resolved,
    cfg: &CheckConfig,
) -> Result<Vec<Comparison>> {
    if cfg.dtype == DType::F32 && cfg.fd_tol == Tolerance::FD_F32 {
        let bounds = manual.f32_rounding_bounds(&r.network, &r.batch)?;
        Ok(fd.compare_with_allowance(grads, cfg.fd_tol, &bounds, F32_ROUNDING_FD))
    } else {
        Ok(fd.compare(grads, cfg.fd_tol))
    }
}

/// What the f32 allowance against finite differences is, in a comparison's report.
const F32_ROUNDING_FD: &str = "E (the f32 rounding bound propagated through the network)";

/// How many ReLU-type activation inputs (`z`, or `n = Norm(z)` on a normalized layer) are
/// exactly 0 in `engine`'s forward pass.
fn exact_kink_zeros(engine: &dyn Engine, r: &Resolved, dtype: DType) -> Result<usize> {
    let trace = engine.forward(&r.network, &r.batch, dtype)?;
    Ok(r.network
        .spec()
        .activations()
        .iter()
        .enumerate()
        .filter(|(_, a)| a.has_kink())
        .map(|(l, _)| {
            let input = trace.activation_input(l);
            input.data.iter().filter(|&&v| v == 0.0).count()
        })
        .sum())
}

/// The report's first section: `check --engine all` on the assignment network.
pub struct CheckSection;

impl ReportSection for CheckSection {
    fn name(&self) -> &'static str {
        "check"
    }

    fn build(&self, ctx: &Context) -> Result<Section> {
        section::build(ctx)
    }
}
