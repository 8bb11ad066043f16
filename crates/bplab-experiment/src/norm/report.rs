//! `experiment norm`'s report: the five-architecture table, the findings (including where
//! normalization does not help), the plots (per-layer activation std at init, loss curves),
//! `norm.csv`/`norm.json`/SVGs, [`run`] → [`Outcome`], and the report section.

use super::config::{Arch, NormConfig};
use super::measure::{measure, run_of, NormResults};
use bplab_core::Result;
use bplab_harness::engines::with_reference_for;
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::report::OutcomeSection;
use bplab_output::table::{sci, Table};
use bplab_output::{Outcome, Plot};
use serde_json::json;
use std::path::Path;

/// Headline table: per activation, depth and architecture.
pub fn table(cfg: &NormConfig, r: &NormResults) -> Table {
    let mut t = Table::new(&[
        "activation",
        "depth",
        "arch",
        "‖δ_1‖/‖δ_L‖",
        "std(h_1)",
        "std(h_last)",
        "loss@0",
        &format!("loss@{}", cfg.steps),
        "test acc",
    ]);
    for x in &r.runs {
        t.row(vec![
            x.activation.name().into(),
            x.depth.to_string(),
            x.arch.name().into(),
            sci(x.ratio),
            sci(x.act_std[0]),
            sci(*x.act_std.last().unwrap_or(&f64::NAN)),
            format!("{:.4}", x.losses.first().copied().unwrap_or(f64::NAN)),
            format!("{:.4}", x.final_loss),
            format!("{:.3}", x.test_accuracy),
        ]);
    }
    t
}

/// Per activation: each hidden layer's activation std at init, and the training loss.
pub fn plots(cfg: &NormConfig, r: &NormResults) -> Vec<Plot> {
    let mut out = Vec::new();
    for &act in &cfg.activations {
        let depth = *cfg.depths.last().unwrap_or(&0);
        let mut stds = LineChart::new(format!("{}: std(h_l) at init, depth {depth}", act.name()))
            .x("hidden layer l (1 = first)", Scale::Linear)
            .y(
                "std(h_l) at init, over batch and units (log scale)",
                Scale::Log10,
            );
        let mut loss = LineChart::new(format!("{}: training loss, depth {depth}", act.name()))
            .x("SGD step (full batch)", Scale::Linear)
            .y("cross-entropy loss (nats, log scale)", Scale::Log10);
        for x in r
            .runs
            .iter()
            .filter(|x| x.activation == act && x.depth == depth)
        {
            let pts = x
                .act_std
                .iter()
                .enumerate()
                .map(|(l, &v)| ((l + 1) as f64, v))
                .collect();
            stds = stds.series(Series::new(x.arch.name().to_string(), pts));
            loss = loss.series(Series::from_values(x.arch.name().to_string(), &x.losses));
        }
        let runs: Vec<_> = r
            .runs
            .iter()
            .filter(|x| x.activation == act && x.depth == depth)
            .collect();
        let last_std: Vec<String> = runs
            .iter()
            .map(|x| {
                format!(
                    "{} {}",
                    x.arch.name(),
                    sci(*x.act_std.last().unwrap_or(&f64::NAN))
                )
            })
            .collect();
        let best = runs
            .iter()
            .filter(|x| x.final_loss.is_finite())
            .min_by(|a, b| a.final_loss.total_cmp(&b.final_loss));
        let worst = runs
            .iter()
            .filter(|x| x.final_loss.is_finite())
            .max_by(|a, b| a.final_loss.total_cmp(&b.final_loss));
        let trained = match (best, worst) {
            (Some(b), Some(w)) => format!(
                ": after {} steps the lowest loss is {}'s {:.4}, the highest {}'s {:.4}",
                cfg.steps,
                b.arch.name(),
                b.final_loss,
                w.arch.name(),
                w.final_loss
            ),
            _ => String::new(),
        };
        out.push(Plot {
            name: format!("act-std-{}", act.name()),
            caption: format!(
                "{}, {depth} hidden layers: each hidden layer's activation standard deviation at initialisation, per architecture; at the last hidden layer {}.",
                act.name(),
                last_std.join(" · ")
            ),
            svg: stds.to_svg(),
        });
        out.push(Plot {
            name: format!("loss-{}", act.name()),
            caption: format!(
                "{}, {depth} hidden layers: full-batch training loss per architecture{trained}.",
                act.name()
            ),
            svg: loss.to_svg(),
        });
    }
    out
}

/// The claims with their numbers, one line per (activation, depth): what each norm does to
/// the signal reaching layer 1 and to training, and where it does not help.
pub fn findings(cfg: &NormConfig, r: &NormResults) -> Vec<String> {
    let mut out = Vec::new();
    // The headline: the first activation at the deepest depth, plain against the architecture
    // whose ‖δ_1‖/‖δ_L‖ is closest to 1 and the one that trains best.
    let act = cfg.activations.first().copied();
    let d = cfg.depths.iter().copied().max();
    if let (Some(act), Some(d)) = (act, d) {
        let runs: Vec<_> = r
            .runs
            .iter()
            .filter(|x| x.activation == act && x.depth == d)
            .collect();
        let plain = runs.iter().find(|x| x.arch == Arch::Plain);
        // Closest to 1 on a log scale: neither vanishing nor exploding.
        let off = |v: f64| {
            if v.is_finite() && v > 0.0 {
                v.log10().abs()
            } else {
                f64::INFINITY
            }
        };
        let kept = runs
            .iter()
            .filter(|x| x.arch != Arch::Plain)
            .min_by(|a, b| off(a.ratio).total_cmp(&off(b.ratio)));
        let trained = runs
            .iter()
            .filter(|x| x.final_loss.is_finite())
            .min_by(|a, b| a.final_loss.total_cmp(&b.final_loss));
        if let (Some(p), Some(k), Some(t)) = (plain, kept, trained) {
            out.push(format!(
                "{}, {d} hidden layers: ‖δ_1‖/‖δ_L‖ plain {} vs {} {}; loss after {} steps plain {:.4}, best {} {:.4}, test accuracy {:.3}",
                act.name(),
                sci(p.ratio),
                k.arch.name(),
                sci(k.ratio),
                cfg.steps,
                p.final_loss,
                t.arch.name(),
                t.final_loss,
                t.test_accuracy
            ));
        }
    }
    for &act in &cfg.activations {
        for &d in &cfg.depths {
            let get = |a| run_of(r, act, d, a);
            let (Some(p), Some(ln), Some(bn), Some(res), Some(rl)) = (
                get(Arch::Plain),
                get(Arch::Layer),
                get(Arch::Batch),
                get(Arch::Residual),
                get(Arch::ResidualLayer),
            ) else {
                continue;
            };
            let mut line = format!(
                "{}, {d} hidden layers: ‖δ_1‖/‖δ_L‖ plain {} · layernorm {} · batchnorm {} · residual {} · residual+layernorm {}; std(h_last) plain {} vs layernorm {}; loss after {} steps {:.4} · {:.4} · {:.4} · {:.4} · {:.4}; test accuracy {:.3} · {:.3} · {:.3} · {:.3} · {:.3}",
                act.name(),
                sci(p.ratio), sci(ln.ratio), sci(bn.ratio), sci(res.ratio), sci(rl.ratio),
                sci(*p.act_std.last().unwrap_or(&f64::NAN)),
                sci(*ln.act_std.last().unwrap_or(&f64::NAN)),
                cfg.steps,
                p.final_loss, ln.final_loss, bn.final_loss, res.final_loss, rl.final_loss,
                p.test_accuracy, ln.test_accuracy, bn.test_accuracy, res.test_accuracy, rl.test_accuracy,
            );
            let no_help: Vec<&str> = [(ln, "layernorm"), (bn, "batchnorm")]
                .iter()
                // NaN (a diverged run) counts as no help.
                .filter(|(x, _)| {
                    x.final_loss.partial_cmp(&p.final_loss) != Some(std::cmp::Ordering::Less)
                })
                .map(|(_, n)| *n)
                .collect();
            if !no_help.is_empty() {
                line.push_str(&format!(
                    " — {} trains no better than plain here",
                    no_help.join(" and ")
                ));
            }
            out.push(line);
        }
    }
    out
}

/// Runs the experiment, writes `norm.csv`, `norm.json`, the SVGs under `out`.
pub fn run(cfg: &NormConfig, engine_spec: &str, out: &Path) -> Result<Outcome> {
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
        let mut add = |kind: &str, i: usize, v: f64| {
            let mut row = base.to_vec();
            row.extend([kind.to_string(), i.to_string(), num(v)]);
            csv.row(row);
        };
        for (l, v) in x.delta_norms.iter().enumerate() {
            add("delta_norm", l + 1, *v);
        }
        for (l, v) in x.act_std.iter().enumerate() {
            add("act_std", l + 1, *v);
        }
        for (s, v) in x.losses.iter().chain([&x.final_loss]).enumerate() {
            add("loss", s, *v);
        }
        add("test_accuracy", 0, x.test_accuracy);
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
            "delta_norms": n(&x.delta_norms), "delta_ratio": bplab_core::json::number(x.ratio),
            "act_std": n(&x.act_std), "losses": n(&x.losses),
            "final_loss": bplab_core::json::number(x.final_loss),
            "test_accuracy": bplab_core::json::number(x.test_accuracy)})
        })
        .collect();
    let mut dir = OutDir::new(out);
    dir.csv("norm", &csv)?;
    dir.json(
        "norm",
        &json!({"config": {"width": cfg.width, "init": cfg.init.to_string(), "seed": cfg.seed,
            "steps": cfg.steps, "lr": cfg.lr, "dtype": cfg.dtype.name()},
            "engines": engines.iter().map(|e| e.name()).collect::<Vec<_>>(), "runs": runs}),
    )?;
    dir.plots(&plots)?;
    let table = table(cfg, &r);
    let findings = findings(cfg, &r);
    let title = format!(
        "norm: plain vs LayerNorm vs BatchNorm vs residual (+LayerNorm) on Iris (versicolor/virginica), width {}, init {}, {} steps of SGD lr {}, {}",
        cfg.width, cfg.init, cfg.steps, cfg.lr, cfg.dtype
    );
    let bullets: String = findings.iter().map(|f| format!("- {f}\n")).collect();
    Ok(Outcome {
        name: "norm",
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

/// The report's section: [`NormConfig::quick`] on the report's engines.
pub const SECTION: OutcomeSection = OutcomeSection {
    name: "experiment norm",
    title: None,
    data: "norm",
    max_plots: 4,
    run: |ctx, dir| run(&NormConfig::quick(), ctx.engine.as_str(), dir),
};
