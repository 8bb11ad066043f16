//! `bplab check`'s output: the table for people (one row per engine × tensor × reference, with
//! `emulated` rows against the manual engine computing with the engine's conventions, the
//! skipped elements, the notes, the verdict) and the JSON document. The rows against a
//! reference directory, its header line and its JSON fields appear only with `--reference`.

use super::CheckReport;
use crate::netargs::Resolved;
use bplab_core::{json, Comparison, DType};
use bplab_output::table::{sci, Table};
use serde_json::{json, Value};

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
    let fd_rounding = if c.dtype == DType::F32 && c.fd_tol == bplab_core::Tolerance::FD_F32 {
        ", or within E (E: each element's f32 rounding bound propagated through the network)"
    } else {
        ""
    };
    s.push_str(&format!(
        "tolerance vs finite differences: {}{fd_rounding}\n",
        c.fd_tol
    ));
    let rounding = if c.dtype == DType::F32 && c.cross_tol == crate::agreement::exact(DType::F32) {
        ", or within 2·E (E: each element's f32 rounding bound propagated through the network)"
    } else {
        ""
    };
    s.push_str(&format!(
        "tolerance vs manual engine:      {}{rounding}\n",
        c.cross_tol
    ));
    if let Some(rf) = &report.reference {
        s.push_str(&format!("tolerance vs reference:          {}\n", rf.tol));
        s.push_str(&format!(
            "reference: {} (case {}{})\n",
            rf.dir,
            rf.name,
            rf.torch_version
                .as_ref()
                .map(|v| format!(", torch {v}"))
                .unwrap_or_default()
        ));
    }
    for e in &report.engines {
        if let Some(note) = crate::engines::device_note(&e.engine) {
            s.push_str(&format!("{note}\n"));
        }
    }
    s.push('\n');
    let mut t = Table::new(&[
        "engine", "tensor", "against", "max abs", "max rel", "worst", "got", "want", "skipped",
        "result",
    ]);
    for e in &report.engines {
        let refs = [
            ("fd", &e.vs_fd),
            ("manual", &e.vs_manual),
            ("emulated", &e.vs_emulated),
            ("reference", &e.vs_reference),
        ];
        for (against, comps) in refs {
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
                    } else if let (Some(list), true) = (
                        &e.explained,
                        (against == "manual")
                            || (against == "reference" && e.reference_explained)
                            || (against == "fd" && e.fd_explained),
                    ) {
                        format!("differs (explained: {})", list.join("; "))
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
    let explained: Vec<&str> = report
        .engines
        .iter()
        .filter(|e| e.explained.is_some())
        .map(|e| e.engine.as_str())
        .collect();
    if failed.is_empty() && !explained.is_empty() {
        s.push_str(&format!(
            "\nresult: all {} engine(s) agree within tolerance ({} through documented arithmetic the manual engine reproduces)\n",
            report.engines.len(),
            explained.join(", ")
        ));
    } else if failed.is_empty() {
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
                .chain(e.vs_emulated.iter().map(|x| cmp_json("emulated", x)))
                .chain(e.vs_reference.iter().map(|x| cmp_json("reference", x)))
                .collect();
            let kinks: Vec<Value> = e
                .kinks
                .iter()
                .map(|(t, k)| json!({"tensor": t, "element": k.element, "reason": k.reason()}))
                .collect();
            let mut v = json!({"engine": e.engine, "dtype": c.dtype.name(), "loss": json::number(e.loss),
                   "comparisons": comps, "skipped": kinks, "notes": e.notes,
                   "kink_explained": e.kink_explained(), "explained": e.explained,
                   "fd_explained": e.fd_explained, "pass": e.passed()});
            if report.reference.is_some() {
                v["reference_explained"] = e.reference_explained.into();
            }
            v
        })
        .collect();
    let mut v = json!({
        "tolerances": {
            "fd": {"atol": c.fd_tol.atol, "rtol": c.fd_tol.rtol},
            "manual": {"atol": c.cross_tol.atol, "rtol": c.cross_tol.rtol},
        },
        "fd_rel_step": c.fd.rel_step,
        "results": engines,
        "pass": report.passed(),
    });
    if let Some(rf) = &report.reference {
        v["tolerances"]["reference"] = json!({"atol": rf.tol.atol, "rtol": rf.tol.rtol});
        v["reference"] = json!({"dir": rf.dir, "name": rf.name, "torch_version": rf.torch_version});
    }
    v
}
