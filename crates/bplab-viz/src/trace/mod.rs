//! [`Trace`]: everything one forward and backward pass computed, from every selected engine —
//! per layer `z_l`, `h_l` (shape `(B, n_l)`), `δ_l = ∂L/∂z_l` where the engine exposes it,
//! `∂L/∂W_l`, `∂L/∂b_l` — plus `∂L/∂h_l` derived from the reference engine's `δ`s for the
//! computation-graph view.

pub mod agree;
pub mod engine;
pub mod flow;
pub mod norm;

use agree::TensorVerdicts;
use bplab_core::{DType, Engine, GradRequest, Loss, Network, Result, Tensor};
use bplab_harness::netargs::Resolved;
pub use engine::EngineTrace;
use flow::LayerFlow;

/// The whole trace: the network and batch, every engine's values (the first engine is the
/// reference the others are compared with), their agreement and the gradient flow.
#[derive(Debug, Clone)]
pub struct Trace {
    pub resolved: Resolved,
    pub engines: Vec<EngineTrace>,
    /// `∂L/∂h_l` per layer from the reference engine's `δ`s (`None` without `δ`s).
    pub grad_h: Option<Vec<Tensor>>,
    pub agreement: Vec<TensorVerdicts>,
    pub flow: Vec<LayerFlow>,
}

impl Trace {
    /// Runs every engine's forward pass and backward pass (with `δ`s) once.
    pub fn run(engines: &[Box<dyn Engine>], r: &Resolved, dtype: DType) -> Result<Trace> {
        let traces: Vec<EngineTrace> = engines
            .iter()
            .map(|e| {
                let forward = e.forward(&r.network, &r.batch, dtype)?;
                let grads = e.grads(&r.network, &r.batch, dtype, GradRequest::default())?;
                Ok(EngineTrace {
                    engine: e.name().to_string(),
                    dtype,
                    forward,
                    grads,
                })
            })
            .collect::<Result<_>>()?;
        let reference = &traces[0];
        let grad_h = reference
            .grads
            .deltas
            .as_ref()
            .map(|d| grad_h(&r.network, d, reference.output(), &r.batch.y));
        // A framework whose documented conventions touch the network is compared with the
        // manual engine computing with them (when the reference is the manual engine).
        let emulated = traces[1..]
            .iter()
            .map(|t| {
                let conv = bplab_harness::deviations::conventions(&t.engine);
                if traces[0].engine != "manual" || conv.names_for(r.network.spec()).is_empty() {
                    return Ok(None);
                }
                let e = bplab_harness::deviations::emulating(&t.engine);
                Ok(Some(EngineTrace {
                    engine: format!("manual with {}'s conventions", t.engine),
                    dtype,
                    forward: e.forward(&r.network, &r.batch, dtype)?,
                    grads: e.grads(&r.network, &r.batch, dtype, GradRequest::default())?,
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        let agreement = agree::compare(&traces, &emulated, r.network.spec(), dtype);
        let flow = flow::layers(reference, traces.iter().find(|t| t.grads.deltas.is_some()));
        Ok(Trace {
            resolved: r.clone(),
            engines: traces,
            grad_h,
            agreement,
            flow,
        })
    }

    /// The engine every other is compared with (the first selected).
    pub fn reference(&self) -> &EngineTrace {
        &self.engines[0]
    }
}

/// `∂L/∂h_l` per layer, shape `(B, n_l)`, from the `δ`s:
/// `∂L/∂h_l = δ_{l+1} W_{l+1} (+ ∂L/∂h_{l+1} when layer l+1 is residual)`, and for the output
/// `∂L/∂ŷ = (ŷ − y)/B` (mse) or `−y/(B ŷ)` (cross-entropy over softmax probabilities).
pub fn grad_h(net: &Network, deltas: &[Tensor], y_hat: &Tensor, y: &Tensor) -> Vec<Tensor> {
    let spec = net.spec();
    let n = spec.n_layers();
    let b = y_hat.shape[0];
    let inv_b = 1.0 / b as f64;
    let last: Vec<f64> = match spec.loss() {
        Loss::Mse => y_hat
            .data
            .iter()
            .zip(&y.data)
            .map(|(p, t)| (p - t) * inv_b)
            .collect(),
        Loss::CrossEntropy => y_hat
            .data
            .iter()
            .zip(&y.data)
            .map(|(p, t)| if *t == 0.0 { 0.0 } else { -t / p * inv_b })
            .collect(),
    };
    let mut out = vec![Tensor::zeros(&[0]); n];
    out[n - 1] = Tensor {
        shape: y_hat.shape.clone(),
        data: last,
    };
    for l in (0..n - 1).rev() {
        let (n_mid, n_next) = spec.layer_dims(l + 1);
        let w = net.params().weight(l + 1); // (n_next, n_mid)
        let d = &deltas[l + 1]; // (B, n_next)
        let mut g = vec![0.0; b * n_mid]; // (B, n_mid)
        for r in 0..b {
            for k in 0..n_next {
                let dk = d.data[r * n_next + k];
                for j in 0..n_mid {
                    g[r * n_mid + j] += dk * w.data[k * n_mid + j];
                }
            }
        }
        if spec.is_residual(l + 1) {
            for (gi, up) in g.iter_mut().zip(&out[l + 1].data) {
                *gi += up;
            }
        }
        out[l] = Tensor {
            shape: vec![b, n_mid],
            data: g,
        };
    }
    out
}
