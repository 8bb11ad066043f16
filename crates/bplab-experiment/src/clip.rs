//! `experiment clip`: exploding gradients and their cure. A deep ReLU network with naive
//! `normal:1` weights on the Iris task, full-batch SGD, trained once per clipping rule
//! ([`Clip`]: none, by value, by global norm, by norm per tensor) on every engine. Per rule:
//! the loss curve, the steps whose loss or gradient norm was not finite, the largest
//! gradient norm, the final accuracy; and how closely every engine's clipped run follows the
//! manual engine's.

use super::data::iris_task;
use super::measure::accuracy;
use bplab_core::spec::KinkGrads;
use bplab_core::train::{Clip, Sgd, Trainer};
use bplab_core::{Activation, DType, Engine, Init, Loss, NetSpec, Network, Result, Tolerance};
use bplab_harness::agreement::Agreement;
use bplab_harness::engines::with_reference;
use bplab_harness::progress::Progress;
use bplab_manual::ManualEngine;
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::report::{outcome_section, Context, ReportSection, Section};
use bplab_output::table::{sci, Table};
use bplab_output::{Outcome, Plot};
use serde_json::json;
use std::path::Path;

/// What `experiment clip` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipConfig {
    /// Hidden layers and their width.
    pub depth: usize,
    pub width: usize,
    pub activation: Activation,
    pub init: Init,
    pub lr: f64,
    pub steps: usize,
    /// The rules compared (thresholds exact in `f32`, burn's threshold type).
    pub rules: Vec<Clip>,
    pub seed: u64,
    pub test_fraction: f64,
    pub dtype: DType,
    /// Trajectories vs the manual engine. Looser than a single gradient's bound: a deep ReLU
    /// network trained at a high rate amplifies rounding differences (measured: 1e-16 grows
    /// to ~3e-9 relative within 25 steps between correct engines).
    pub tolerance: Tolerance,
}

impl Default for ClipConfig {
    fn default() -> Self {
        ClipConfig {
            depth: 6,
            width: 64,
            activation: Activation::Relu,
            init: Init::Normal(1.0),
            lr: 0.1,
            steps: 100,
            rules: vec![
                Clip::None,
                Clip::Value(0.5),
                Clip::GlobalNorm(1.0),
                Clip::PerTensorNorm(1.0),
            ],
            seed: 42,
            test_fraction: 0.3,
            dtype: DType::F64,
            tolerance: Tolerance::new(1e-9, 1e-6),
        }
    }
}

impl ClipConfig {
    /// A small setting for the report and the tests.
    pub fn quick() -> Self {
        ClipConfig {
            width: 32,
            steps: 40,
            ..Self::default()
        }
    }

    /// The network.
    pub fn spec(&self) -> Result<NetSpec> {
        let mut widths = vec![4];
        widths.extend(std::iter::repeat_n(self.width, self.depth));
        widths.push(2);
        let mut acts = vec![self.activation; self.depth];
        acts.push(Activation::Softmax);
        NetSpec::new(widths, acts, Loss::CrossEntropy, false)
    }
}

/// One rule's run on the manual engine, with every engine's divergence step.
#[derive(Debug, Clone)]
pub struct RuleRun {
    pub clip: Clip,
    /// Loss before each step.
    pub losses: Vec<f64>,
    /// Global gradient norm (before clipping) at each step.
    pub grad_norms: Vec<f64>,
    /// Steps whose loss or gradient norm was NaN or infinite.
    pub non_finite_steps: usize,
    /// The first such step.
    pub first_non_finite: Option<usize>,
    /// The largest gradient norm seen (non-finite if one was).
    pub max_grad_norm: f64,
    pub final_loss: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// Per engine (manual first): the first non-finite step and how many there were.
    pub engines_first_non_finite: Vec<(String, Option<usize>, usize)>,
}

/// Everything measured.
#[derive(Debug, Clone)]
pub struct ClipResults {
    pub runs: Vec<RuleRun>,
    pub agreement: Agreement,
}

/// Losses per step, gradient norms per step, final loss.
type Trajectory = (Vec<f64>, Vec<f64>, f64);

/// The manual engine's [`Trajectory`] under the kink convention `kg`.
fn manual_run(
    spec: &NetSpec,
    net: &Network,
    data: &bplab_core::Batch,
    cfg: &ClipConfig,
    sgd: &Sgd,
    kg: KinkGrads,
) -> Result<Trajectory> {
    debug_assert_eq!(spec, net.spec());
    let mut t: Box<dyn Trainer> = ManualEngine::new()
        .with_kink_grads(kg)
        .trainer(net, data, cfg.dtype)?;
    let (mut l, mut n) = (Vec::new(), Vec::new());
    for _ in 0..cfg.steps {
        let s = t.step(sgd)?;
        l.push(s.loss);
        n.push(s.grad_norm);
    }
    Ok((l, n, t.forward()?))
}

fn largest(v: &[f64]) -> f64 {
    if v.iter().any(|x| x.is_nan()) {
        f64::NAN
    } else {
        v.iter().copied().fold(0.0, f64::max)
    }
}

/// Trains once per rule on every engine (the manual engine first).
pub fn measure(cfg: &ClipConfig, engines: &[Box<dyn Engine>]) -> Result<ClipResults> {
    let task = iris_task(cfg.seed, cfg.test_fraction)?;
    let spec = cfg.spec()?;
    let net = Network::new(spec.clone(), cfg.init.params(&spec, cfg.seed))?;
    let mut agreement = Agreement::new(cfg.tolerance);
    let mut bar = Progress::new("experiment clip", cfg.rules.len() * engines.len());
    let mut runs = Vec::new();
    for &clip in &cfg.rules {
        let sgd = Sgd { lr: cfg.lr, clip };
        let mut per_engine = Vec::new();
        for e in engines {
            let mut t = e.trainer(&net, &task.train, cfg.dtype)?;
            let (mut losses, mut norms) = (Vec::new(), Vec::new());
            for _ in 0..cfg.steps {
                let s = t.step(&sgd)?;
                losses.push(s.loss);
                norms.push(s.grad_norm);
            }
            let final_loss = t.forward()?;
            let params = t.params()?;
            per_engine.push((losses, norms, final_loss, params));
            bar.tick(&format!("{clip} {}", e.name()));
        }
        let (want_l, want_n, want_f, _) = &per_engine[0];
        let bad = |l: &[f64], n: &[f64]| -> Vec<usize> {
            (0..l.len())
                .filter(|&i| !l[i].is_finite() || !n[i].is_finite())
                .collect()
        };
        // An engine whose relu'(0) differs from PyTorch's is compared with the manual engine
        // run under the engine's own convention (a pre-activation is exactly 0 wherever a
        // whole layer is dead and its bias is still 0), as `check` does.
        let mut kinked: Vec<Option<Trajectory>> = Vec::new();
        for e in engines {
            let kg = bplab_harness::deviations::kink_grads(e.name());
            kinked.push(if kg == KinkGrads::PYTORCH {
                None
            } else {
                Some(manual_run(&spec, &net, &task.train, cfg, &sgd, kg)?)
            });
        }
        let upto = bad(want_l, want_n).first().map_or(want_l.len(), |&i| i);
        let mut firsts = Vec::new();
        for (e, (l, n, f, _)) in engines.iter().zip(&per_engine) {
            let b = bad(l, n);
            firsts.push((e.name().to_string(), b.first().copied(), b.len()));
            if e.name() != "manual" {
                let what = format!("{clip}");
                let (want_l, want_n, want_f) = match &kinked[firsts.len() - 1] {
                    Some((l, n, f)) => (l, n, f),
                    None => (want_l, want_n, want_f),
                };
                agreement.compare_all(
                    e.name(),
                    &spec,
                    cfg.dtype,
                    &format!("{what} loss"),
                    &l[..upto],
                    &want_l[..upto],
                );
                agreement.compare_all(
                    e.name(),
                    &spec,
                    cfg.dtype,
                    &format!("{what} grad norm"),
                    &n[..upto],
                    &want_n[..upto],
                );
                if upto == want_l.len() {
                    agreement.compare(
                        e.name(),
                        &spec,
                        cfg.dtype,
                        &format!("{what} final loss"),
                        *f,
                        *want_f,
                    );
                }
            }
        }
        let (losses, grad_norms, final_loss, params) = per_engine.swap_remove(0);
        let manual = &engines[0];
        let non_finite: Vec<usize> = (0..losses.len())
            .filter(|&i| !losses[i].is_finite() || !grad_norms[i].is_finite())
            .collect();
        runs.push(RuleRun {
            clip,
            non_finite_steps: non_finite.len(),
            first_non_finite: non_finite.first().copied(),
            max_grad_norm: largest(&grad_norms),
            final_loss,
            train_accuracy: accuracy(manual.as_ref(), &spec, &params, &task.train, cfg.dtype)?,
            test_accuracy: accuracy(manual.as_ref(), &spec, &params, &task.test, cfg.dtype)?,
            losses,
            grad_norms,
            engines_first_non_finite: firsts,
        });
    }
    bar.finish();
    Ok(ClipResults { runs, agreement })
}

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
pub struct ClipSection;

impl ReportSection for ClipSection {
    fn name(&self) -> &'static str {
        "experiment clip"
    }
    fn build(&self, ctx: &Context) -> Result<Section> {
        let o = run(&ClipConfig::quick(), &ctx.engine, &ctx.data_dir("clip"))?;
        Ok(outcome_section(&o, 2))
    }
}
