//! `experiment init`'s measurements: per (scheme, activation, depth) the manual engine's
//! gradient and error-signal norms, every other engine compared with them, and the
//! hidden-unit spread after a few SGD steps; plain results ([`InitResults`]).

use super::config::InitConfig;
use crate::measure::{delta_norms, weight_norms};
use bplab_core::train::Sgd;
use bplab_core::{Activation, Engine, GradRequest, Init, NetSpec, Network, Result, Tolerance};
use bplab_harness::agreement::{emulated_reference, Agreement};
use bplab_harness::progress::Progress;

/// One (scheme, activation, depth) cell: the manual engine's numbers.
#[derive(Debug, Clone)]
pub struct Cell {
    pub scheme: Init,
    pub activation: Activation,
    pub depth: usize,
    /// `‖∂L/∂W_l‖`, l = 1..=depth+1.
    pub weight_norms: Vec<f64>,
    /// `‖δ_l‖`, l = 1..=depth+1.
    pub delta_norms: Vec<f64>,
    /// `‖∂L/∂W_1‖ / ‖∂L/∂W_L‖`.
    pub ratio: f64,
    /// Largest `σ'(z) = σ(1 − σ)` over every hidden unit and row (sigmoid networks only).
    pub max_sigmoid_slope: Option<f64>,
}

/// The symmetry measurement of one (scheme, activation) at the smallest depth.
#[derive(Debug, Clone)]
pub struct Symmetry {
    pub scheme: Init,
    pub activation: Activation,
    /// After the SGD steps: the largest difference between any hidden unit's incoming
    /// weights and bias and unit 0's, over every hidden layer (0 = all units identical).
    pub spread: f64,
}

/// Everything `experiment init` measured.
#[derive(Debug, Clone)]
pub struct InitResults {
    pub cells: Vec<Cell>,
    pub symmetry: Vec<Symmetry>,
    pub agreement: Agreement,
}

/// The largest `|W[i, j] − W[0, j]|`, `|b[i] − b[0]|` over hidden layers.
fn unit_spread(spec: &NetSpec, params: &bplab_core::ParamSet) -> f64 {
    let mut worst: f64 = 0.0;
    for l in 0..spec.n_layers() - 1 {
        let (n_in, n_out) = spec.layer_dims(l);
        let (w, b) = (&params.weight(l).data, &params.bias(l).data);
        for i in 1..n_out {
            for j in 0..n_in {
                worst = worst.max((w[i * n_in + j] - w[j]).abs());
            }
            worst = worst.max((b[i] - b[0]).abs());
        }
    }
    worst
}

/// Runs the measurements on `engines` (the manual engine first).
pub fn measure(cfg: &InitConfig, engines: &[Box<dyn Engine>]) -> Result<InitResults> {
    let data = cfg.data()?;
    let mut agreement = Agreement::new(Tolerance::EXACT_F64);
    let mut cells = Vec::new();
    let mut symmetry = Vec::new();
    let total = cfg.schemes.len() * cfg.activations.len() * (cfg.depths.len() + 1);
    let mut bar = Progress::new("experiment init", total);
    let (manual, others) = engines.split_first().expect("the manual engine");
    for &scheme in &cfg.schemes {
        for &act in &cfg.activations {
            for &depth in &cfg.depths {
                let spec = cfg.spec(act, depth)?;
                let net = Network::new(spec.clone(), scheme.params(&spec, cfg.seed))?;
                let req = GradRequest::default();
                let g = manual.grads(&net, &data, cfg.dtype, req)?;
                let (wn, dn) = (weight_norms(&g, &spec), delta_norms(&g).unwrap_or_default());
                // How much the backward pass amplifies the output's error signal: rounding
                // differences between correct engines grow by the same factor.
                let amp = dn.iter().copied().fold(1.0, f64::max) / dn[depth];
                for e in others {
                    let ge = e.grads(&net, &data, cfg.dtype, req)?;
                    // A framework's documented arithmetic is reproduced, not tolerated.
                    let (wr, dr) = match emulated_reference(e.name(), &spec) {
                        Some(m) => {
                            let gm = m.grads(&net, &data, cfg.dtype, req)?;
                            (
                                weight_norms(&gm, &spec),
                                delta_norms(&gm).unwrap_or_default(),
                            )
                        }
                        None => (wn.clone(), dn.clone()),
                    };
                    let pairs = weight_norms(&ge, &spec).into_iter().zip(wr);
                    let d = delta_norms(&ge).unwrap_or_default();
                    let pairs = pairs.chain(d.into_iter().zip(dr));
                    for (i, (a, b)) in pairs.enumerate() {
                        let what = format!("{scheme} {} depth {depth} norm[{i}]", act.name());
                        agreement.compare_amplified(e.name(), &spec, cfg.dtype, &what, a, b, amp);
                    }
                }
                let max_sigmoid_slope = if act == Activation::Sigmoid {
                    let t = manual.forward(&net, &data, cfg.dtype)?;
                    let hidden = &t.h[..depth];
                    let slopes = hidden
                        .iter()
                        .flat_map(|h| h.data.iter().map(|a| a * (1.0 - a)));
                    Some(slopes.fold(0.0, f64::max))
                } else {
                    None
                };
                cells.push(Cell {
                    scheme,
                    activation: act,
                    depth,
                    ratio: wn[0] / wn[depth],
                    weight_norms: wn,
                    delta_norms: dn,
                    max_sigmoid_slope,
                });
                bar.tick(&format!("{scheme} {} depth {depth}", act.name()));
            }
            // Symmetry: SGD steps at the smallest depth, on every engine.
            let depth = cfg.depths.iter().copied().min().unwrap_or(2);
            let spec = cfg.spec(act, depth)?;
            let net = Network::new(spec.clone(), scheme.params(&spec, cfg.seed))?;
            let sgd = Sgd::default();
            let mut spreads = Vec::new();
            for e in engines {
                let mut t = e.trainer(&net, &data, cfg.dtype)?;
                for _ in 0..cfg.symmetry_steps {
                    t.step(&sgd)?;
                }
                spreads.push(unit_spread(&spec, &t.params()?));
            }
            for (e, &s) in others.iter().zip(&spreads[1..]) {
                let what = format!("{scheme} {} hidden-unit spread", act.name());
                let want = match emulated_reference(e.name(), &spec) {
                    Some(m) => {
                        let mut t = m.trainer(&net, &data, cfg.dtype)?;
                        for _ in 0..cfg.symmetry_steps {
                            t.step(&sgd)?;
                        }
                        unit_spread(&spec, &t.params()?)
                    }
                    None => spreads[0],
                };
                agreement.compare(e.name(), &spec, cfg.dtype, &what, s, want);
            }
            symmetry.push(Symmetry {
                scheme,
                activation: act,
                spread: spreads[0],
            });
            bar.tick(&format!("{scheme} {} symmetry", act.name()));
        }
    }
    bar.finish();
    Ok(InitResults {
        cells,
        symmetry,
        agreement,
    })
}

/// The cell of (scheme, act, depth), if measured.
pub fn cell(r: &InitResults, scheme: Init, act: Activation, depth: usize) -> Option<&Cell> {
    r.cells
        .iter()
        .find(|c| c.scheme == scheme && c.activation == act && c.depth == depth)
}
