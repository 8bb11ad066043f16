//! Plain SGD steps for the served page's "step" and "run N steps" buttons, in the harness on
//! the `f64` parameters: `θ ← θ − lr · ∂L/∂θ` with the gradients of [`Engine::grads`] (the same
//! update `bplab_core::Sgd` describes without clipping). A step that would make a parameter
//! non-finite stops the run and is reported, keeping the last finite parameters.

use bplab_core::{Batch, DType, Engine, Network, Result};

/// What a run of steps did.
#[derive(Debug, Clone)]
pub struct StepRun {
    /// The network after the last completed step.
    pub network: Network,
    /// The loss before each completed step.
    pub losses: Vec<f64>,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
}

/// Runs up to `steps` SGD steps with learning rate `lr`.
pub fn run(
    engine: &dyn Engine,
    network: Network,
    batch: &Batch,
    dtype: DType,
    lr: f64,
    steps: usize,
) -> Result<StepRun> {
    let mut network = network;
    let mut losses = Vec::with_capacity(steps);
    for k in 0..steps {
        let g = engine.grads(&network, batch, dtype, Default::default())?;
        if !g.loss.is_finite() {
            return Ok(StepRun {
                network,
                losses,
                stopped: Some(format!("the loss is {} before step {}", g.loss, k + 1)),
            });
        }
        losses.push(g.loss);
        let mut params = network.params().clone();
        for (name, p) in params.iter_mut() {
            let d = g.params.get(name).expect("gradients name every parameter");
            for (w, dw) in p.data.iter_mut().zip(&d.data) {
                *w -= lr * dw;
            }
        }
        match network.with_params(params) {
            Ok(n) => network = n,
            Err(_) => {
                return Ok(StepRun {
                    network,
                    losses,
                    stopped: Some(format!(
                        "step {} would make a parameter non-finite (exploding gradients)",
                        k + 1
                    )),
                })
            }
        }
    }
    Ok(StepRun {
        network,
        losses,
        stopped: None,
    })
}
