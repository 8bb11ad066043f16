//! `bplab check`: every selected engine's gradients against central finite differences of its
//! own f64 forward pass, against the manual engine in the same dtype, and (`--reference DIR`)
//! against a reference directory's loss and gradients, tensor by tensor. Elements whose finite
//! difference straddles a ReLU kink are skipped with the reason. The table and the JSON
//! document are in [`render`]; what a planted fault can change is in [`plant`].

mod render;

pub mod plant;

pub use render::{to_json, to_table};

use crate::deviations::{fd_through_manual, kink_grads, pins_for, tolerance_for};
use crate::netargs::Resolved;
use crate::reference::Reference;
use bplab_core::gradcheck::{finite_differences, FdConfig, Kink};
use bplab_core::{Comparison, DType, Engine, GradRequest, Result, Tolerance};
use bplab_manual::ManualEngine;
use bplab_output::report::{escape, Context, ReportSection, Section};

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
    /// Elements skipped because a finite difference straddles a kink: `(tensor, kink)`.
    pub kinks: Vec<(String, Kink)>,
    /// Known, documented reasons this engine's numbers differ (pinned op precision, the
    /// derivative at a kink); shown under the table.
    pub notes: Vec<String>,
    /// The difference from the manual engine is fully explained by the engine's convention
    /// for ReLU's derivative at exactly 0 (the manual engine, run with that convention,
    /// agrees within tolerance).
    pub kink_explained: bool,
    /// Loss and per tensor, against the reference directory (empty without one).
    pub vs_reference: Vec<Comparison>,
    /// The difference from the reference is the same kink convention: `kink_explained`, and
    /// the manual engine agrees with the reference.
    pub reference_explained: bool,
}

impl EngineCheck {
    /// Every comparison passed, or the only differences from the manual engine (and the
    /// reference) are explained.
    pub fn passed(&self) -> bool {
        self.vs_fd.iter().all(Comparison::passed)
            && (self.kink_explained || self.vs_manual.iter().all(Comparison::passed))
            && (self.reference_explained || self.vs_reference.iter().all(Comparison::passed))
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
    /// Engine vs reference, before any pinned widening: the exact tolerance of the dtype.
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
/// then the reference's own network and batch, [`Reference::resolved`]). The tolerance is the
/// dtype's exact one ([`crate::agreement::exact`]), widened only by the engine's pins.
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
        let tol = tolerance_for("manual", spec, cfg.dtype, ref_tol);
        crate::agreement::gradients(&manual, w, tol)
            .iter()
            .all(Comparison::passed)
    });
    let mut out = Vec::new();
    for e in engines {
        let name = e.name();
        let mut notes: Vec<String> = pins_for(name, spec, cfg.dtype)
            .iter()
            .map(|p| {
                format!(
                    "{name} {} {}: tolerance {} — {}",
                    p.activation, p.dtype, p.tolerance, p.measured
                )
            })
            .collect();
        let fd_tol = tolerance_for(name, spec, cfg.dtype, cfg.fd_tol);
        let cross_tol = tolerance_for(name, spec, cfg.dtype, cfg.cross_tol);
        let grads = e.grads(&r.network, &r.batch, cfg.dtype, req)?;
        let fd = if fd_through_manual(name, spec) {
            notes.push(format!(
                "{name}: finite differences through the manual engine's f64 forward ({name}'s own f64 forward is not f64-accurate here)"
            ));
            finite_differences(&ManualEngine::new(), &r.network, &r.batch, &cfg.fd)?
        } else {
            finite_differences(e.as_ref(), &r.network, &r.batch, &cfg.fd)?
        };
        let vs_fd = fd.compare(&grads, fd_tol);
        let vs_manual = if name == "manual" {
            Vec::new()
        } else {
            crate::agreement::gradients(&grads, &manual, cross_tol)
        };
        let mut kink_explained = false;
        if !vs_manual.iter().all(Comparison::passed) {
            let convention = kink_grads(name);
            let zeros = exact_kink_zeros(e.as_ref(), r, cfg.dtype)?;
            if convention != bplab_core::spec::KinkGrads::PYTORCH && zeros > 0 {
                let alike = ManualEngine::new()
                    .with_kink_grads(convention)
                    .grads(&r.network, &r.batch, cfg.dtype, req)?;
                kink_explained = crate::agreement::gradients(&grads, &alike, cross_tol)
                    .iter()
                    .all(Comparison::passed);
                if kink_explained {
                    notes.push(format!(
                        "{name} differs from the manual engine only through the derivative at a kink: \
                         {zeros} ReLU-type pre-activation(s) are exactly 0, where {name} uses relu'(0) = {}, \
                         leaky_relu'(0) = {} and PyTorch/manual use {}, {}; the manual engine with {name}'s \
                         convention agrees within tolerance (see docs/frameworks.md)",
                        convention.relu,
                        convention.leaky_relu,
                        bplab_core::spec::KinkGrads::PYTORCH.relu,
                        bplab_core::spec::KinkGrads::PYTORCH.leaky_relu
                    ));
                }
            }
        }
        let vs_reference = match &want {
            Some(w) => {
                let tol = tolerance_for(name, spec, cfg.dtype, ref_tol);
                crate::agreement::gradients(&grads, w, tol)
            }
            None => Vec::new(),
        };
        let reference_explained = kink_explained
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
            kinks,
            notes,
            kink_explained,
            vs_reference,
            reference_explained,
        });
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

/// How many ReLU-type pre-activations are exactly 0 in `engine`'s forward pass.
fn exact_kink_zeros(engine: &dyn Engine, r: &Resolved, dtype: DType) -> Result<usize> {
    let trace = engine.forward(&r.network, &r.batch, dtype)?;
    Ok(r.network
        .spec()
        .activations()
        .iter()
        .zip(&trace.z)
        .filter(|(a, _)| a.has_kink())
        .map(|(_, z)| z.data.iter().filter(|&&v| v == 0.0).count())
        .sum())
}

/// The report's first section: `check --engine all` on the assignment network.
pub struct CheckSection;

impl ReportSection for CheckSection {
    fn name(&self) -> &'static str {
        "check"
    }

    fn build(&self, ctx: &Context) -> Result<Section> {
        let engines = crate::engines::select(&ctx.engine)?;
        let resolved = crate::netargs::NetArgs::default().resolve()?;
        let report = run(&engines, &resolved, &CheckConfig::new(DType::F64))?;
        let text = to_table(&resolved, &report);
        let verdict = if report.passed() {
            "every engine's gradients agree with finite differences and with the manual engine"
        } else {
            "a gradient check FAILED"
        };
        Ok(Section {
            title: "Gradient check: the assignment network on every engine".into(),
            markdown: format!("{verdict}.\n\n```\n{text}```\n"),
            html: format!("<p>{verdict}.</p>\n<pre>{}</pre>\n", escape(&text)),
            passed: report.passed(),
        })
    }
}
