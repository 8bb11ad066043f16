//! `experiment clip`'s report: the per-rule table, the loss and gradient-norm plots,
//! `clip.csv`/`clip.json`/SVGs, [`run`] → [`Outcome`], and the report section.

use super::config::ClipConfig;
use super::measure::{measure, ClipResults};
use bplab_core::Result;
use bplab_harness::engines::with_reference;
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

/// Loss and gradient-norm curves, one series per rule.
pub fn plots(r: &ClipResults) -> Vec<Plot> {
    let mut loss = LineChart::new("training loss per clipping rule (markers: NaN / inf)")
        .x("step", Scale::Linear)
        .y("loss", Scale::Log10);
    let mut norm = LineChart::new("gradient norm before clipping (markers: NaN / inf)")
        .x("step", Scale::Linear)
        .y("‖g‖", Scale::Log10);
    for x in &r.runs {
        loss = loss.series(Series::from_values(x.clip.to_string(), &x.losses));
        norm = norm.series(Series::from_values(x.clip.to_string(), &x.grad_norms));
    }
    vec![
        Plot {
            name: "loss".into(),
            caption: "training loss per clipping rule; non-finite steps drawn as markers".into(),
            svg: loss.to_svg(),
        },
        Plot {
            name: "grad-norm".into(),
            caption: "global gradient norm before clipping, per rule".into(),
            svg: norm.to_svg(),
        },
    ]
}

/// Runs the experiment, writes `clip.csv`, `clip.json`, the SVGs under `out`.
pub fn run(cfg: &ClipConfig, engine_spec: &str, out: &Path) -> Result<Outcome> {
    for c in &cfg.rules {
        c.validate()?;
    }
    let engines = with_reference(engine_spec)?;
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
            "{title}\n\n{}\n{note}\n{}",
            table.render(),
            r.agreement.render()
        ),
        markdown: format!(
            "{}\n{note}\n```\n{}```\n",
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
