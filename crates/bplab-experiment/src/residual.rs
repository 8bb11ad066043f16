//! `experiment residual`: plain against residual networks of equal width on the Iris task
//! (`4 → depth hidden layers of width → 2`, softmax cross-entropy; in the residual network
//! every hidden layer after the first computes `h = h_prev + act(W h_prev + b)`). Per-layer
//! gradient norms and error signals `‖δ_l‖` at init, then full-batch SGD on every engine: the
//! loss trajectory.

use super::data::iris_task;
use super::measure::{delta_norms, weight_norms};
use bplab_core::train::Sgd;
use bplab_core::{
    Activation, DType, Engine, GradRequest, Init, Loss, NetSpec, Network, Result, Tolerance,
};
use bplab_harness::agreement::Agreement;
use bplab_harness::engines::with_reference;
use bplab_harness::progress::Progress;
use bplab_output::files::{num, Csv, OutDir};
use bplab_output::plot::{LineChart, Scale, Series};
use bplab_output::report::{outcome_section, Context, ReportSection, Section};
use bplab_output::table::{sci, Table};
use bplab_output::{Outcome, Plot};
use serde_json::json;
use std::path::Path;

/// The two architectures compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Plain,
    Residual,
}

impl Arch {
    pub fn name(self) -> &'static str {
        match self {
            Arch::Plain => "plain",
            Arch::Residual => "residual",
        }
    }
}

/// What `experiment residual` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ResidualConfig {
    /// Numbers of hidden layers.
    pub depths: Vec<usize>,
    pub activations: Vec<Activation>,
    /// Hidden width (equal in every hidden layer).
    pub width: usize,
    /// Weights: `normal:0.05` by default — small enough that a plain network's gradients
    /// shrink layer by layer, as they do in any deep network whose layers contract.
    pub init: Init,
    pub seed: u64,
    /// Full-batch SGD steps and learning rate.
    pub steps: usize,
    pub lr: f64,
    pub test_fraction: f64,
    pub dtype: DType,
}

impl Default for ResidualConfig {
    fn default() -> Self {
        ResidualConfig {
            depths: vec![10, 20, 50],
            activations: vec![Activation::Tanh, Activation::Relu],
            width: 64,
            init: Init::Normal(0.05),
            seed: 42,
            steps: 100,
            lr: 0.01,
            test_fraction: 0.3,
            dtype: DType::F64,
        }
    }
}

impl ResidualConfig {
    /// A small setting for the report and the tests.
    pub fn quick() -> Self {
        ResidualConfig {
            depths: vec![10, 20],
            width: 32,
            steps: 30,
            ..Self::default()
        }
    }

    /// The network of `depth` hidden layers.
    pub fn spec(&self, act: Activation, depth: usize, arch: Arch) -> Result<NetSpec> {
        let mut widths = vec![4];
        widths.extend(std::iter::repeat_n(self.width, depth));
        widths.push(2);
        let mut acts = vec![act; depth];
        acts.push(Activation::Softmax);
        NetSpec::new(widths, acts, Loss::CrossEntropy, arch == Arch::Residual)
    }
}

/// One (activation, depth, architecture) run: the manual engine's numbers.
#[derive(Debug, Clone)]
pub struct Run {
    pub activation: Activation,
    pub depth: usize,
    pub arch: Arch,
    /// `‖∂L/∂W_l‖` at init, l = 1..=depth+1.
    pub weight_norms: Vec<f64>,
    /// `‖δ_l‖ = ‖∂L/∂z_l‖` at init, l = 1..=depth+1: the backward signal itself.
    pub delta_norms: Vec<f64>,
    /// `‖δ_1‖ / ‖δ_L‖` at init: how much of the output's error signal reaches the first
    /// layer. (`‖∂L/∂W_1‖ / ‖∂L/∂W_L‖` also carries the forward signal `h_{L−1}`, which
    /// shrinks with the same factors in a plain network and hides the vanishing.)
    pub ratio: f64,
    /// The training loss before each step.
    pub losses: Vec<f64>,
    /// The loss after the last step.
    pub final_loss: f64,
}

/// Everything measured.
#[derive(Debug, Clone)]
pub struct ResidualResults {
    pub runs: Vec<Run>,
    pub agreement: Agreement,
}

/// Runs every configuration on `engines` (the manual engine first).
pub fn measure(cfg: &ResidualConfig, engines: &[Box<dyn Engine>]) -> Result<ResidualResults> {
    let task = iris_task(cfg.seed, cfg.test_fraction)?;
    let mut agreement = Agreement::new(Tolerance::EXACT_F64);
    let archs = [Arch::Plain, Arch::Residual];
    let mut bar = Progress::new(
        "experiment residual",
        cfg.activations.len() * cfg.depths.len() * archs.len() * engines.len(),
    );
    let sgd = Sgd {
        lr: cfg.lr,
        clip: bplab_core::Clip::None,
    };
    let mut runs = Vec::new();
    for &act in &cfg.activations {
        for &depth in &cfg.depths {
            for arch in archs {
                let spec = cfg.spec(act, depth, arch)?;
                let net = Network::new(spec.clone(), cfg.init.params(&spec, cfg.seed))?;
                let mut per_engine = Vec::new();
                for e in engines {
                    let g = e.grads(&net, &task.train, cfg.dtype, GradRequest::default())?;
                    let norms = weight_norms(&g, &spec);
                    let deltas = delta_norms(&g);
                    let mut t = e.trainer(&net, &task.train, cfg.dtype)?;
                    let mut losses = Vec::with_capacity(cfg.steps);
                    for _ in 0..cfg.steps {
                        losses.push(t.step(&sgd)?.loss);
                    }
                    let final_loss = t.forward()?;
                    per_engine.push((norms, losses, final_loss, deltas));
                    bar.tick(&format!(
                        "{} {depth} {} {}",
                        act.name(),
                        arch.name(),
                        e.name()
                    ));
                }
                let (want_n, want_l, want_f, want_d) = &per_engine[0];
                let want_d = want_d.clone().unwrap_or_default();
                for (e, (n, l, f, d)) in engines.iter().zip(&per_engine).skip(1) {
                    let what = format!("{} {depth} {}", act.name(), arch.name());
                    agreement.compare_all(
                        e.name(),
                        &spec,
                        cfg.dtype,
                        &format!("{what} ‖∂L/∂W‖"),
                        n,
                        want_n,
                    );
                    agreement.compare_all(
                        e.name(),
                        &spec,
                        cfg.dtype,
                        &format!("{what} loss"),
                        l,
                        want_l,
                    );
                    agreement.compare(
                        e.name(),
                        &spec,
                        cfg.dtype,
                        &format!("{what} final loss"),
                        *f,
                        *want_f,
                    );
                    if let Some(d) = d {
                        let what = format!("{what} ‖δ‖");
                        agreement.compare_all(e.name(), &spec, cfg.dtype, &what, d, &want_d);
                    }
                }
                let (norms, losses, final_loss, _) = per_engine.swap_remove(0);
                runs.push(Run {
                    activation: act,
                    depth,
                    arch,
                    ratio: want_d[0] / want_d[depth],
                    delta_norms: want_d,
                    weight_norms: norms,
                    losses,
                    final_loss,
                });
            }
        }
    }
    bar.finish();
    Ok(ResidualResults { runs, agreement })
}

/// The run of (act, depth, arch), if measured.
pub fn run_of(r: &ResidualResults, act: Activation, depth: usize, arch: Arch) -> Option<&Run> {
    r.runs
        .iter()
        .find(|x| x.activation == act && x.depth == depth && x.arch == arch)
}

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
        .x("layer l", Scale::Linear)
        .y("‖∂L/∂W_l‖", Scale::Log10);
        let mut loss = LineChart::new(format!("{}: training loss, plain vs residual", act.name()))
            .x("step", Scale::Linear)
            .y("loss", Scale::Log10);
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
        out.push(Plot {
            name: format!("grad-norms-{}", act.name()),
            caption: format!(
                "{}: each layer's gradient norm at init (dashed: plain)",
                act.name()
            ),
            svg: norms.to_svg(),
        });
        out.push(Plot {
            name: format!("loss-{}", act.name()),
            caption: format!("{}: full-batch training loss (dashed: plain)", act.name()),
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
    let engines = with_reference(engine_spec)?;
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
pub struct ResidualSection;

impl ReportSection for ResidualSection {
    fn name(&self) -> &'static str {
        "experiment residual"
    }
    fn build(&self, ctx: &Context) -> Result<Section> {
        let o = run(
            &ResidualConfig::quick(),
            &ctx.engine,
            &ctx.data_dir("residual"),
        )?;
        Ok(outcome_section(&o, 4))
    }
}
