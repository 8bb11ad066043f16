//! `experiment norm`'s measurements: per (activation, depth, architecture) the error-signal
//! norms `‖δ_l‖` and each hidden layer's activation standard deviation at init, then the SGD
//! loss trajectory and the test accuracy on every engine, compared with the manual engine's;
//! plain results ([`NormResults`]).

use super::config::{Arch, NormConfig};
use crate::data::iris_task;
use crate::measure::delta_norms;
use bplab_core::train::Sgd;
use bplab_core::{
    Activation, Batch, Engine, GradRequest, NetSpec, Network, ParamSet, Result, Tolerance,
};
use bplab_harness::agreement::Agreement;
use bplab_harness::deviations::{conventions, emulating};
use bplab_harness::progress::Progress;
use bplab_manual::Model;

/// `(‖δ_l‖, std(h_l), losses, final loss, test accuracy)` of one engine.
type Measured = (Option<Vec<f64>>, Vec<f64>, Vec<f64>, f64, f64);

/// Training losses compared across engines: the first steps (see [`measure`]).
pub const COMPARED_STEPS: usize = 3;

/// One (activation, depth, architecture) run: the manual engine's numbers.
#[derive(Debug, Clone)]
pub struct Run {
    pub activation: Activation,
    pub depth: usize,
    pub arch: Arch,
    /// `‖δ_l‖ = ‖∂L/∂z_l‖` at init, l = 1..=depth+1.
    pub delta_norms: Vec<f64>,
    /// `‖δ_1‖ / ‖δ_L‖` at init: how much of the output's error signal reaches the first layer.
    pub ratio: f64,
    /// The standard deviation of every hidden layer's output `h_l` over the batch at init.
    pub act_std: Vec<f64>,
    /// The training loss before each step, and after the last.
    pub losses: Vec<f64>,
    pub final_loss: f64,
    /// Test accuracy after training (BatchNorm with its running statistics).
    pub test_accuracy: f64,
}

/// Everything measured.
#[derive(Debug, Clone)]
pub struct NormResults {
    pub runs: Vec<Run>,
    pub agreement: Agreement,
}

/// The standard deviation of all values of `h` (population form).
fn std(h: &[f64]) -> f64 {
    let n = h.len() as f64;
    let mean = h.iter().sum::<f64>() / n;
    (h.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// Test accuracy of `params` in evaluation mode: the manual model with BatchNorm reading
/// `running` (an engine's own running statistics); NaN when the parameters diverged.
fn eval_accuracy(spec: &NetSpec, params: &ParamSet, running: &ParamSet, test: &Batch) -> f64 {
    if params
        .iter()
        .any(|(_, t)| t.data.iter().any(|v| !v.is_finite()))
    {
        return f64::NAN;
    }
    let mut model = Model::<f64>::new(spec, params);
    for l in 0..spec.n_layers() {
        let norms = model.norms_mut();
        if let (Some(m), Some(v)) = (
            running.get(&bplab_core::norm::running_mean_name(l)),
            running.get(&bplab_core::norm::running_var_name(l)),
        ) {
            norms.running_mean[l].clone_from(&m.data);
            norms.running_var[l].clone_from(&v.data);
        }
    }
    model.set_eval(true);
    let c = model.forward(test.x.data.clone(), test.y.data.clone());
    let k = spec.n_out();
    let y_hat = &c.h[spec.n_layers() - 1];
    let argmax = |row: &[f64]| {
        (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap_or(0)
    };
    let hits = (0..test.len())
        .filter(|&i| argmax(&y_hat[i * k..(i + 1) * k]) == argmax(&test.y.data[i * k..(i + 1) * k]))
        .count();
    hits as f64 / test.len() as f64
}

/// Runs every configuration on `engines` (the manual engine first).
pub fn measure(cfg: &NormConfig, engines: &[Box<dyn Engine>]) -> Result<NormResults> {
    let task = iris_task(cfg.seed, cfg.test_fraction)?;
    let mut agreement = Agreement::new(Tolerance::EXACT_F64);
    let mut bar = Progress::new(
        "experiment norm",
        cfg.activations.len() * cfg.depths.len() * Arch::ALL.len() * engines.len(),
    );
    let sgd = Sgd {
        lr: cfg.lr,
        clip: bplab_core::Clip::None,
    };
    let mut runs = Vec::new();
    for &act in &cfg.activations {
        for &depth in &cfg.depths {
            for arch in Arch::ALL {
                let spec = cfg.spec(act, depth, arch)?;
                let net = Network::new(spec.clone(), cfg.init.params(&spec, cfg.seed))?;
                let mut per_engine = Vec::new();
                let one = |e: &dyn Engine| -> Result<Measured> {
                    let g = e.grads(&net, &task.train, cfg.dtype, GradRequest::default())?;
                    let trace = e.forward(&net, &task.train, cfg.dtype)?;
                    let act_std: Vec<f64> = trace.h[..depth].iter().map(|h| std(&h.data)).collect();
                    let mut t = e.trainer(&net, &task.train, cfg.dtype)?;
                    let mut losses = Vec::with_capacity(cfg.steps);
                    for _ in 0..cfg.steps {
                        losses.push(t.step(&sgd)?.loss);
                    }
                    let acc = eval_accuracy(&spec, &t.params()?, &t.running_stats()?, &task.test);
                    let final_loss = t.forward()?;
                    Ok((delta_norms(&g), act_std, losses, final_loss, acc))
                };
                for e in engines {
                    per_engine.push(one(e.as_ref())?);
                    bar.tick(&format!(
                        "{} {depth} {} {}",
                        act.name(),
                        arch.name(),
                        e.name()
                    ));
                }
                let want_d = per_engine[0].0.clone().unwrap_or_default();
                for (e, (d, s, l, _, _)) in engines.iter().zip(&per_engine).skip(1) {
                    // An engine whose documented arithmetic touches the network is held to the
                    // manual engine computing with it (bplab_harness::agreement).
                    let emulated = match conventions(e.name()).names_for(&spec).is_empty() {
                        true => None,
                        false => Some(one(&emulating(e.name()))?),
                    };
                    let (want_d, want_s, want_l, _, _) =
                        emulated.as_ref().unwrap_or(&per_engine[0]);
                    let want_d = want_d.clone().unwrap_or_default();
                    let what = format!("{} {depth} {}", act.name(), arch.name());
                    let name = e.name();
                    agreement.compare_all(
                        name,
                        &spec,
                        cfg.dtype,
                        &format!("{what} std(h)"),
                        s,
                        want_s,
                    );
                    // The first steps only: a deep normalized network amplifies rounding-level
                    // differences (the order of a mean's sum) over SGD steps, to ~1e-3 of the
                    // loss after a dozen steps at depth 10 — chaos, not a wrong gradient.
                    let k = l.len().min(COMPARED_STEPS);
                    agreement.compare_all(
                        name,
                        &spec,
                        cfg.dtype,
                        &format!("{what} loss"),
                        &l[..k],
                        &want_l[..k],
                    );
                    if let Some(d) = d {
                        agreement.compare_all(
                            name,
                            &spec,
                            cfg.dtype,
                            &format!("{what} ‖δ‖"),
                            d,
                            &want_d,
                        );
                    }
                }
                let (_, act_std, losses, final_loss, test_accuracy) = per_engine.swap_remove(0);
                runs.push(Run {
                    activation: act,
                    depth,
                    arch,
                    ratio: want_d[0] / want_d[depth],
                    delta_norms: want_d,
                    act_std,
                    losses,
                    final_loss,
                    test_accuracy,
                });
            }
        }
    }
    bar.finish();
    Ok(NormResults { runs, agreement })
}

/// The run of (act, depth, arch), if measured.
pub fn run_of(r: &NormResults, act: Activation, depth: usize, arch: Arch) -> Option<&Run> {
    r.runs
        .iter()
        .find(|x| x.activation == act && x.depth == depth && x.arch == arch)
}
