//! `experiment residual`'s measurements: per (activation, depth, architecture) the gradient
//! and error-signal norms at init and the SGD loss trajectory on every engine, compared with
//! the manual engine's — computing with the engine's documented conventions where they touch
//! the network, so that a difference they reproduce is reported as explained and any other as a
//! disagreement, as in `check`; plain results ([`ResidualResults`]).

use super::config::{Arch, ResidualConfig};
use crate::data::iris_task;
use crate::measure::{delta_norms, weight_norms};
use bplab_core::train::Sgd;
use bplab_core::{Activation, Batch, Engine, GradRequest, Network, Result, Tolerance};
use bplab_harness::agreement::{emulated_reference, Agreement};
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

/// One engine's numbers on one network: `‖∂L/∂W_l‖` and `‖δ_l‖` (where exposed) at init, the
/// loss before each SGD step and the loss after the last.
type EngineRun = (Vec<f64>, Vec<f64>, f64, Option<Vec<f64>>);

fn one_engine(
    e: &dyn Engine,
    net: &Network,
    data: &Batch,
    cfg: &ResidualConfig,
    sgd: &Sgd,
) -> Result<EngineRun> {
    let g = e.grads(net, data, cfg.dtype, GradRequest::default())?;
    let norms = weight_norms(&g, net.spec());
    let deltas = delta_norms(&g);
    let mut t = e.trainer(net, data, cfg.dtype)?;
    let mut losses = Vec::with_capacity(cfg.steps);
    for _ in 0..cfg.steps {
        losses.push(t.step(sgd)?.loss);
    }
    Ok((norms, losses, t.forward()?, deltas))
}

/// Runs every configuration on `engines` (the manual engine first); every other engine is
/// compared with the manual engine computing with its documented conventions where those
/// touch the network ([`emulated_reference`]), with the exact manual engine otherwise.
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
                    per_engine.push(one_engine(e.as_ref(), &net, &task.train, cfg, &sgd)?);
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
                    // A framework's documented arithmetic is reproduced, not tolerated: the
                    // manual engine computing with it is the reference, and a difference from
                    // the exact engine that it reproduces is reported as explained.
                    let emulated = match emulated_reference(e.name(), &spec) {
                        Some(m) => Some(one_engine(&m, &net, &task.train, cfg, &sgd)?),
                        None => None,
                    };
                    let what = format!("{} {depth} {}", act.name(), arch.name());
                    let name = e.name();
                    let mut compare =
                        |what: String, got: &[f64], exact: &[f64], em: Option<&[f64]>| {
                            agreement.compare_all_explained(
                                name, &spec, cfg.dtype, &what, got, exact, em,
                            )
                        };
                    let em = emulated.as_ref();
                    compare(format!("{what} ‖∂L/∂W‖"), n, want_n, em.map(|m| &m.0[..]));
                    compare(format!("{what} loss"), l, want_l, em.map(|m| &m.1[..]));
                    compare(
                        format!("{what} final loss"),
                        &[*f],
                        &[*want_f],
                        em.map(|m| std::slice::from_ref(&m.2)),
                    );
                    if let Some(d) = d {
                        let em_d = em.and_then(|m| m.3.as_deref());
                        compare(format!("{what} ‖δ‖"), d, &want_d, em_d);
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
