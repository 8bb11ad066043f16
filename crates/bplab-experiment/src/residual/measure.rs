//! `experiment residual`'s measurements: per (activation, depth, architecture) the gradient
//! and error-signal norms at init and the SGD loss trajectory on every engine, compared with
//! the manual engine's; plain results ([`ResidualResults`]).

use super::config::{Arch, ResidualConfig};
use crate::data::iris_task;
use crate::measure::{delta_norms, weight_norms};
use bplab_core::train::Sgd;
use bplab_core::{Activation, Engine, GradRequest, Network, Result, Tolerance};
use bplab_harness::agreement::Agreement;
use bplab_harness::progress::Progress;

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
