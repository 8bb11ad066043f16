//! `experiment clip`'s report: the per-rule table, the loss and gradient-norm plots,
//! `clip.csv`/`clip.json`/SVGs, [`run`] → [`Outcome`], and the report section.

use super::config::ClipConfig;
use super::measure::{measure, ClipResults, RuleRun};
use bplab_core::{Clip, Result};
use bplab_harness::engines::with_reference_for;
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::report::OutcomeSection;
use bplab_output::table::{sci, Table};
use bplab_output::{Outcome, Plot};
use serde_json::json;
use std::path::Path;

/// Headline table: one row per rule.
pub fn table(r: &ClipResults) -> Table {
    let mut t = Table::new(&[
        "clip",
        "non-finite steps",
        "first non-finite",
        "max ‖g‖",
        "final loss",
        "train acc",
        "test acc",
        "first/total non-finite per engine",
    ]);
    for x in &r.runs {
        let per: Vec<String> = x
            .engines_first_non_finite
            .iter()
            .map(|(e, s, n)| format!("{e}:{}/{n}", s.map(|s| s.to_string()).unwrap_or("-".into())))
            .collect();
        t.row(vec![
            x.clip.to_string(),
            x.non_finite_steps.to_string(),
            x.first_non_finite
                .map(|s| s.to_string())
                .unwrap_or("-".into()),
            sci(x.max_grad_norm),
            format!("{:.4}", x.final_loss),
            format!("{:.3}", x.train_accuracy),
            format!("{:.3}", x.test_accuracy),
            per.join(" "),
        ]);
    }
    t
}

/// The largest finite value of `v` (NaN when none is).
fn max_finite(v: &[f64]) -> f64 {
    v.iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(f64::NAN, f64::max)
}

/// What the unclipped run did, in a clause: `loss NaN from step 4 of 40 (‖g‖ 1.71e3 at step
/// 0, 9.09e33 before it)` or `finite for all 40 steps, ‖g‖ at most 2.1e1`.
fn unclipped(x: &RuleRun) -> String {
    let steps = x.losses.len();
    match x.first_non_finite {
        Some(s) => format!(
            "loss {} from step {s} of {steps} ({} non-finite steps; ‖g‖ {} at step 0, up to {} before)",
            x.losses.get(s).map_or("NaN".into(), |l| format!("{l}")),
            x.non_finite_steps,
            sci(x.grad_norms.first().copied().unwrap_or(f64::NAN)),
            sci(max_finite(&x.grad_norms))
        ),
        None => format!(
            "finite for all {steps} steps, ‖g‖ at most {}, final loss {}",
            sci(max_finite(&x.grad_norms)),
            sci(x.final_loss)
        ),
    }
}

/// The claim with its numbers: the unclipped run against each clipping rule, the rule that
/// bounds the whole update (global norm) first.
pub fn findings(r: &ClipResults) -> Vec<String> {
    let mut out = Vec::new();
    let none = r.runs.iter().find(|x| x.clip == Clip::None);
    let clipped: Vec<&RuleRun> = r.runs.iter().filter(|x| x.clip != Clip::None).collect();
    let global = clipped
        .iter()
        .find(|x| matches!(x.clip, Clip::GlobalNorm(_)))
        .or(clipped.first());
    if let (Some(n), Some(g)) = (none, global) {
        let bound = match g.clip {
            Clip::GlobalNorm(c) => format!("keeps the update's ‖g‖ ≤ {c}"),
            Clip::PerTensorNorm(c) => format!("keeps each tensor's ‖g‖ ≤ {c}"),
            Clip::Value(c) => format!("keeps every element within ±{c}"),
            Clip::None => String::new(),
        };
        let failed = if g.non_finite_steps > 0 {
            format!(" ({} non-finite steps)", g.non_finite_steps)
        } else {
            String::new()
        };
        let without = match n.first_non_finite {
            Some(s) => format!(
                "loss {} from step {s} of {}, ‖g‖ up to {}",
                n.losses.get(s).map_or("NaN".into(), |l| format!("{l}")),
                n.losses.len(),
                sci(max_finite(&n.grad_norms))
            ),
            None => format!("final loss {}", sci(n.final_loss)),
        };
        out.push(format!(
            "{} {bound} and trains to loss {}, test accuracy {:.3}{failed}; unclipped: {without}",
            g.clip,
            sci(g.final_loss),
            g.test_accuracy,
        ));
    }
    let rules: Vec<String> = clipped
        .iter()
        .map(|x| {
            format!(
                "{} {} non-finite, loss {}, test {:.3}",
                x.clip,
                x.non_finite_steps,
                sci(x.final_loss),
                x.test_accuracy
            )
        })
        .collect();
    if !rules.is_empty() {
        out.push(format!("every rule: {}", rules.join(" · ")));
    }
    out
}

/// Loss and gradient-norm curves, one series per rule, with captions that state the finding.
pub fn plots(r: &ClipResults) -> Vec<Plot> {
    let mut loss = LineChart::new("training loss per clipping rule (markers: NaN / inf)")
        .x("SGD step (full batch)", Scale::Linear)
        .y("cross-entropy loss (nats, log scale)", Scale::Log10);
    let mut norm = LineChart::new("gradient norm before clipping (markers: NaN / inf)")
        .x("SGD step (full batch)", Scale::Linear)
        .y("global ‖g‖ before clipping (log scale)", Scale::Log10);
    for x in &r.runs {
        loss = loss.series(Series::from_values(x.clip.to_string(), &x.losses));
        norm = norm.series(Series::from_values(x.clip.to_string(), &x.grad_norms));
    }
    let none = r.runs.iter().find(|x| x.clip == Clip::None);
    let clipped: Vec<&RuleRun> = r.runs.iter().filter(|x| x.clip != Clip::None).collect();
    let worst_clipped = clipped
        .iter()
        .map(|x| x.final_loss)
        .fold(f64::NAN, f64::max);
    let loss_caption = match none {
        Some(n) => format!(
            "Training loss per clipping rule, one SGD step at a time (NaN and inf drawn as markers): unclipped, {}; every clipped run ends at loss ≤ {}.",
            unclipped(n),
            sci(worst_clipped)
        ),
        None => format!(
            "Training loss per clipping rule; every run ends at loss ≤ {}.",
            sci(worst_clipped)
        ),
    };
    let first = r
        .runs
        .first()
        .and_then(|x| x.grad_norms.first())
        .copied()
        .unwrap_or(f64::NAN);
    let norm_caption = format!(
        "The global gradient norm each step computes before its rule clips it: every run starts at ‖g‖ = {} (naive normal:1 weights); {}.",
        sci(first),
        match none {
            Some(n) => format!(
                "without clipping it grows to {} before turning non-finite, with clipping the largest is {}",
                sci(max_finite(&n.grad_norms)),
                sci(clipped.iter().map(|x| max_finite(&x.grad_norms)).fold(f64::NAN, f64::max))
            ),
            None => "clipping bounds the step, not this norm".into(),
        }
    );
    vec![
        Plot {
            name: "loss".into(),
            caption: loss_caption,
            svg: loss.to_svg(),
        },
        Plot {
            name: "grad-norm".into(),
            caption: norm_caption,
            svg: norm.to_svg(),
        },
    ]
}

/// Runs the experiment, writes `clip.csv`, `clip.json`, the SVGs under `out`.
pub fn run(cfg: &ClipConfig, engine_spec: &str, out: &Path) -> Result<Outcome> {
    for c in &cfg.rules {
        c.validate()?;
    }
    let engines = with_reference_for(engine_spec, cfg.dtype)?;
    let r = measure(cfg, &engines)?;
    let plots = plots(&r);
    let mut csv = Csv::new(&["clip", "step", "loss", "grad_norm"]);
    for x in &r.runs {
        for (i, (l, n)) in x.losses.iter().zip(&x.grad_norms).enumerate() {
            csv.row(vec![x.clip.to_string(), i.to_string(), num(*l), num(*n)]);
        }
    }
    let n = |v: &[f64]| {
        v.iter()
            .map(|&x| bplab_core::json::number(x))
            .collect::<Vec<_>>()
    };
    let j = |v: f64| bplab_core::json::number(v);
    let runs: Vec<_> = r
        .runs
        .iter()
        .map(|x| json!({"clip": x.clip.to_string(), "losses": n(&x.losses), "grad_norms": n(&x.grad_norms),
            "non_finite_steps": x.non_finite_steps, "first_non_finite": x.first_non_finite,
            "max_grad_norm": j(x.max_grad_norm), "final_loss": j(x.final_loss),
            "train_accuracy": j(x.train_accuracy), "test_accuracy": j(x.test_accuracy),
            "engines_non_finite": x.engines_first_non_finite.iter().map(|(e, s, n)| json!({"engine": e, "first": s, "count": n})).collect::<Vec<_>>()}))
        .collect();
    let mut dir = OutDir::new(out);
    dir.csv("clip", &csv)?;
    dir.json(
        "clip",
        &json!({"config": {"depth": cfg.depth, "width": cfg.width, "activation": cfg.activation.name(),
            "init": cfg.init.to_string(), "lr": cfg.lr, "steps": cfg.steps, "seed": cfg.seed, "dtype": cfg.dtype.name()},
            "engines": engines.iter().map(|e| e.name()).collect::<Vec<_>>(), "runs": runs}),
    )?;
    dir.plots(&plots)?;
    let table = table(&r);
    let bullets: String = findings(&r).iter().map(|f| format!("- {f}\n")).collect();
    let title = format!(
        "clip: {} hidden {} layers of {}, init {}, SGD lr {} for {} steps on Iris, {}",
        cfg.depth,
        cfg.activation.name(),
        cfg.width,
        cfg.init,
        cfg.lr,
        cfg.steps,
        cfg.dtype
    );
    let note = "trajectories are compared up to the first non-finite step (the same step on every engine), candle against the manual engine with candle's relu'(0) = 1; from it on candle's relu (`v.max(0.0)`, candle-core-0.11.1/src/op.rs:1061) maps NaN to 0 where PyTorch, burn and the manual engine keep NaN\nburn clips by value and per-tensor norm with its own GradientClipping (f32 thresholds); global norm is written on burn tensors; candle's and the manual engine's clipping is hand-written with the same rule (bplab_core::Clip)\n";
    Ok(Outcome {
        name: "clip",
        text: format!(
            "{title}\n\n{}\n{bullets}\n{note}\n{}",
            table.render(),
            r.agreement.render()
        ),
        markdown: format!(
            "{}\n{bullets}\n{note}\n```\n{}```\n",
            table.markdown(),
            r.agreement.render()
        ),
        title,
        engines_agree: r.agreement.explained(),
        plots,
        files: dir.files(),
    })
}

/// The report's section: [`ClipConfig::quick`] on the report's engines.
pub const SECTION: OutcomeSection = OutcomeSection {
    name: "experiment clip",
    title: None,
    data: "clip",
    max_plots: 2,
    run: |ctx, dir| run(&ClipConfig::quick(), ctx.engine.as_str(), dir),
};
