//! `experiment residual`'s report: the plain-vs-residual table, the findings, the plots
//! (per-layer gradient norms, loss curves), `residual.csv`/`residual.json`/SVGs, [`run`] →
//! [`Outcome`], and the report section.

use super::config::{Arch, ResidualConfig};
use super::measure::{measure, run_of, ResidualResults};
use bplab_core::Result;
use bplab_harness::engines::with_reference_for;
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::report::OutcomeSection;
use bplab_output::table::{sci, Table};
use bplab_output::{Outcome, Plot};
use serde_json::json;
use std::path::Path;

/// Headline table: per activation and depth, plain vs residual.
pub fn table(cfg: &ResidualConfig, r: &ResidualResults) -> Table {
    let mut t = Table::new(&[
        "activation",
        "depth",
        "arch",
        "‖δ_1‖",
        "‖δ_L‖",
        "‖δ_1‖/‖δ_L‖",
        "‖∂L/∂W_1‖",
        "loss@0",
        &format!("loss@{}", cfg.steps),
    ]);
    for x in &r.runs {
        t.row(vec![
            x.activation.name().into(),
            x.depth.to_string(),
            x.arch.name().into(),
            sci(x.delta_norms[0]),
            sci(x.delta_norms[x.depth]),
            sci(x.ratio),
            sci(x.weight_norms[0]),
            format!("{:.4}", x.losses.first().copied().unwrap_or(f64::NAN)),
            format!("{:.4}", x.final_loss),
        ]);
    }
    t
}

/// The plots: per activation, per-layer gradient norms at init and loss curves.
pub fn plots(cfg: &ResidualConfig, r: &ResidualResults) -> Vec<Plot> {
    let mut out = Vec::new();
    for &act in &cfg.activations {
        let mut norms = LineChart::new(format!(
            "{}: ‖∂L/∂W_l‖ at init, plain vs residual",
            act.name()
        ))
        .x("layer l (1 = first hidden layer)", Scale::Linear)
        .y("‖∂L/∂W_l‖ at init (log scale)", Scale::Log10);
        let mut loss = LineChart::new(format!("{}: training loss, plain vs residual", act.name()))
            .x("SGD step (full batch)", Scale::Linear)
            .y("cross-entropy loss (nats, log scale)", Scale::Log10);
        for x in r.runs.iter().filter(|x| x.activation == act) {
            let name = format!("{} {}", x.arch.name(), x.depth);
            let pts = x
                .weight_norms
                .iter()
                .enumerate()
                .map(|(l, &v)| ((l + 1) as f64, v))
                .collect();
            let mut s = Series::new(name.clone(), pts);
            s.dashed = x.arch == Arch::Plain;
            norms = norms.series(s);
            let mut s = Series::from_values(name, &x.losses);
            s.dashed = x.arch == Arch::Plain;
            loss = loss.series(s);
        }
        let d = cfg.depths.iter().copied().max().unwrap_or(0);
        let pair = run_of(r, act, d, Arch::Plain).zip(run_of(r, act, d, Arch::Residual));
        let (grads, losses) = pair.map_or((String::new(), String::new()), |(p, q)| {
            (
                format!(
                    ": at {d} hidden layers layer 1's gradient norm is {} plain vs {} residual",
                    sci(p.weight_norms[0]),
                    sci(q.weight_norms[0])
                ),
                format!(
                    ": at {d} hidden layers the loss after {} steps is {:.4} plain vs {:.4} residual",
                    cfg.steps, p.final_loss, q.final_loss
                ),
            )
        });
        out.push(Plot {
            name: format!("grad-norms-{}", act.name()),
            caption: format!(
                "{}: each layer's weight-gradient norm at initialisation, plain (dashed) vs residual (solid){grads}.",
                act.name()
            ),
            svg: norms.to_svg(),
        });
        out.push(Plot {
            name: format!("loss-{}", act.name()),
            caption: format!(
                "{}: full-batch training loss, plain (dashed) vs residual (solid){losses}.",
                act.name()
            ),
            svg: loss.to_svg(),
        });
    }
    out
}

/// The claim, one line per (activation, depth): the residual improvement of the ratio.
pub fn findings(cfg: &ResidualConfig, r: &ResidualResults) -> Vec<String> {
    let mut out = Vec::new();
    for &act in &cfg.activations {
        for &d in &cfg.depths {
            if let (Some(p), Some(q)) = (
                run_of(r, act, d, Arch::Plain),
                run_of(r, act, d, Arch::Residual),
            ) {
                out.push(format!(
                    "{}, {d} hidden layers: ‖δ_1‖/‖δ_L‖ plain {} vs residual {} ({}× larger); ‖∂L/∂W_1‖ {} vs {}; loss after {} steps {:.4} vs {:.4}",
                    act.name(),
                    sci(p.ratio),
                    sci(q.ratio),
                    sci(q.ratio / p.ratio),
                    sci(p.weight_norms[0]),
                    sci(q.weight_norms[0]),
                    cfg.steps,
                    p.final_loss,
                    q.final_loss
                ));
            }
        }
    }
    out
}

/// Runs the experiment, writes `residual.csv`, `residual.json`, the SVGs under `out`.
pub fn run(cfg: &ResidualConfig, engine_spec: &str, out: &Path) -> Result<Outcome> {
    let engines = with_reference_for(engine_spec, cfg.dtype)?;
    let r = measure(cfg, &engines)?;
    let plots = plots(cfg, &r);
    let mut csv = Csv::new(&["activation", "depth", "arch", "kind", "index", "value"]);
    for x in &r.runs {
        let base = [
            x.activation.name().to_string(),
            x.depth.to_string(),
            x.arch.name().into(),
        ];
        for (l, v) in x.weight_norms.iter().enumerate() {
            let mut row = base.to_vec();
            row.extend(["weight_grad_norm".into(), (l + 1).to_string(), num(*v)]);
            csv.row(row);
        }
        for (l, v) in x.delta_norms.iter().enumerate() {
            let mut row = base.to_vec();
            row.extend(["delta_norm".into(), (l + 1).to_string(), num(*v)]);
            csv.row(row);
        }
        for (s, v) in x.losses.iter().chain([&x.final_loss]).enumerate() {
            let mut row = base.to_vec();
            row.extend(["loss".into(), s.to_string(), num(*v)]);
            csv.row(row);
        }
    }
    let n = |v: &[f64]| {
        v.iter()
            .map(|&x| bplab_core::json::number(x))
            .collect::<Vec<_>>()
    };
    let runs: Vec<_> = r
        .runs
        .iter()
        .map(|x| {
            json!({"activation": x.activation.name(), "depth": x.depth, "arch": x.arch.name(),
            "weight_grad_norms": n(&x.weight_norms), "delta_norms": n(&x.delta_norms), "delta_ratio": bplab_core::json::number(x.ratio),
            "losses": n(&x.losses), "final_loss": bplab_core::json::number(x.final_loss)})
        })
        .collect();
    let mut dir = OutDir::new(out);
    dir.csv("residual", &csv)?;
    dir.json(
        "residual",
        &json!({"config": {"width": cfg.width, "init": cfg.init.to_string(), "seed": cfg.seed,
            "steps": cfg.steps, "lr": cfg.lr, "dtype": cfg.dtype.name()},
            "engines": engines.iter().map(|e| e.name()).collect::<Vec<_>>(), "runs": runs}),
    )?;
    dir.plots(&plots)?;
    let table = table(cfg, &r);
    let findings = findings(cfg, &r);
    let title = format!(
        "residual: plain vs residual on Iris (versicolor/virginica), width {}, init {}, {} steps of SGD lr {}, {}",
        cfg.width, cfg.init, cfg.steps, cfg.lr, cfg.dtype
    );
    let bullets: String = findings.iter().map(|f| format!("- {f}\n")).collect();
    Ok(Outcome {
        name: "residual",
        text: format!(
            "{title}\n\n{}\n{bullets}\n{}",
            table.render(),
            r.agreement.render()
        ),
        markdown: format!(
            "{}\n{bullets}\n```\n{}```\n",
            table.markdown(),
            r.agreement.render()
        ),
        title,
        engines_agree: r.agreement.explained(),
        plots,
        files: dir.files(),
    })
}

/// The report's section: [`ResidualConfig::quick`] on the report's engines.
pub const SECTION: OutcomeSection = OutcomeSection {
    name: "experiment residual",
    title: None,
    data: "residual",
    max_plots: 4,
    run: |ctx, dir| run(&ResidualConfig::quick(), ctx.engine.as_str(), dir),
};
