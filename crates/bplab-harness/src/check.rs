//! `bplab check`: every selected engine's gradients against central finite differences of its
//! own f64 forward pass, and against the manual engine in the same dtype, tensor by tensor.
//! Elements whose finite difference straddles a ReLU kink are skipped with the reason.

use crate::deviations::{fd_through_manual, kink_grads, pins_for, tolerance_for};
use crate::netargs::Resolved;
use bplab_core::gradcheck::{finite_differences, FdConfig, Kink};
use bplab_core::{json, Comparison, DType, Engine, GradRequest, Result, Tolerance};
use bplab_manual::ManualEngine;
use bplab_output::report::{escape, Context, ReportSection, Section};
use bplab_output::table::{sci, Table};
use serde_json::{json, Value};

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
}

impl EngineCheck {
    /// Every comparison passed, or the only differences from the manual engine are explained.
    pub fn passed(&self) -> bool {
        self.vs_fd.iter().all(Comparison::passed)
            && (self.kink_explained || self.vs_manual.iter().all(Comparison::passed))
    }
}

/// The whole check.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub config: CheckConfig,
    pub engines: Vec<EngineCheck>,
}

impl CheckReport {
    /// Every engine passed.
    pub fn passed(&self) -> bool {
        self.engines.iter().all(EngineCheck::passed)
    }
}

/// Runs the check for every engine.
pub fn run(engines: &[Box<dyn Engine>], r: &Resolved, cfg: &CheckConfig) -> Result<CheckReport> {
    let req = GradRequest {
        input_grad: cfg.fd.inputs,
    };
    let spec = r.network.spec();
    let manual = ManualEngine::new().grads(&r.network, &r.batch, cfg.dtype, req)?;
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
        });
    }
    Ok(CheckReport {
        config: *cfg,
        engines: out,
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

/// The table for people: one row per engine × tensor × reference, then the verdict.
pub fn to_table(r: &Resolved, report: &CheckReport) -> String {
    let c = &report.config;
    let mut s = format!(
        "check: network {} · weights {} · batch of {} · gradients in {}\n",
        r.network.spec().summary(),
        r.weights_from,
        r.batch.len(),
        c.dtype
    );
    s.push_str(&format!(
        "finite differences: central, f64, through each engine's own forward, h = {:.2e}·max(1, |θ|)\n",
        c.fd.rel_step
    ));
    s.push_str(&format!("tolerance vs finite differences: {}\n", c.fd_tol));
    s.push_str(&format!(
        "tolerance vs manual engine:      {}\n\n",
        c.cross_tol
    ));
    let mut t = Table::new(&[
        "engine", "tensor", "against", "max abs", "max rel", "worst", "got", "want", "skipped",
        "result",
    ]);
    for e in &report.engines {
        for (against, comps) in [("fd", &e.vs_fd), ("manual", &e.vs_manual)] {
            for cmp in comps {
                let (idx, got, want) = match &cmp.worst {
                    Some(w) => (
                        format!("{:?}", w.index),
                        format!("{:e}", w.got),
                        format!("{:e}", w.want),
                    ),
                    None => ("-".into(), "-".into(), "-".into()),
                };
                t.row(vec![
                    e.engine.clone(),
                    cmp.name.clone(),
                    against.into(),
                    sci(cmp.max_abs),
                    sci(cmp.max_rel),
                    idx,
                    got,
                    want,
                    cmp.skipped.to_string(),
                    if cmp.shape_mismatch.is_some() {
                        "FAIL (shape)".into()
                    } else if cmp.passed() {
                        "ok".into()
                    } else if against == "manual" && e.kink_explained {
                        "differs (explained)".into()
                    } else {
                        format!("FAIL ({} of {})", cmp.failed, cmp.checked)
                    },
                ]);
            }
        }
    }
    s.push_str(&t.render());
    for e in &report.engines {
        for (tensor, k) in e.kinks.iter().take(5) {
            s.push_str(&format!(
                "skipped {} {tensor}{:?}: {}\n",
                e.engine,
                r.network
                    .params()
                    .get(tensor)
                    .map(|t| t.index_of(k.element))
                    .unwrap_or_else(|| r.batch.x.index_of(k.element)),
                k.reason()
            ));
        }
        if e.kinks.len() > 5 {
            s.push_str(&format!(
                "skipped {}: {} more elements at ReLU kinks\n",
                e.engine,
                e.kinks.len() - 5
            ));
        }
    }
    for e in &report.engines {
        for n in &e.notes {
            s.push_str(&format!("note: {n}\n"));
        }
    }
    let failed: Vec<&str> = report
        .engines
        .iter()
        .filter(|e| !e.passed())
        .map(|e| e.engine.as_str())
        .collect();
    if failed.is_empty() {
        s.push_str(&format!(
            "\nresult: all {} engine(s) agree within tolerance\n",
            report.engines.len()
        ));
    } else {
        s.push_str(&format!("\nresult: MISMATCH in {}\n", failed.join(", ")));
    }
    s
}

/// The JSON document: settings, per engine every comparison, and the verdict.
pub fn to_json(report: &CheckReport) -> Value {
    let c = &report.config;
    let cmp_json = |against: &str, cmp: &Comparison| {
        json!({
            "tensor": cmp.name,
            "against": against,
            "max_abs": json::number(cmp.max_abs),
            "max_rel": json::number(cmp.max_rel),
            "worst": cmp.worst.as_ref().map(|w| json!({"index": w.index, "got": json::number(w.got), "want": json::number(w.want)})),
            "checked": cmp.checked,
            "skipped": cmp.skipped,
            "failed": cmp.failed,
            "pass": cmp.passed(),
        })
    };
    let engines: Vec<Value> = report
        .engines
        .iter()
        .map(|e| {
            let comps: Vec<Value> = e
                .vs_fd
                .iter()
                .map(|x| cmp_json("fd", x))
                .chain(e.vs_manual.iter().map(|x| cmp_json("manual", x)))
                .collect();
            let kinks: Vec<Value> = e
                .kinks
                .iter()
                .map(|(t, k)| json!({"tensor": t, "element": k.element, "reason": k.reason()}))
                .collect();
            json!({"engine": e.engine, "dtype": c.dtype.name(), "loss": json::number(e.loss),
                   "comparisons": comps, "skipped": kinks, "notes": e.notes,
                   "kink_explained": e.kink_explained, "pass": e.passed()})
        })
        .collect();
    json!({
        "tolerances": {
            "fd": {"atol": c.fd_tol.atol, "rtol": c.fd_tol.rtol},
            "manual": {"atol": c.cross_tol.atol, "rtol": c.cross_tol.rtol},
        },
        "fd_rel_step": c.fd.rel_step,
        "results": engines,
        "pass": report.passed(),
    })
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
