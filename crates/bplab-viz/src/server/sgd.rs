//! SGD steps for the served page's "step" and "run N steps" buttons, through the engine's own
//! [`Trainer`](bplab_core::Trainer) (`Engine::trainer`): burn's `SgdConfig` optimizer, candle's
//! `candle_nn::optim::SGD`, the manual engine's in-place update — `θ ← θ − lr · ∂L/∂θ`, no
//! clipping — with the parameters kept in the engine's own tensors (and dtype) between steps.
//! A step whose loss is not finite, or that makes a parameter non-finite, stops the run and is
//! reported, keeping the last finite parameters.

use bplab_core::{Batch, Clip, DType, Engine, Network, Result, Sgd};

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
    let sgd = Sgd {
        lr,
        clip: Clip::None,
    };
    let mut trainer = engine.trainer(&network, batch, dtype)?;
    let mut network = network;
    let mut losses = Vec::with_capacity(steps);
    for k in 0..steps {
        let stats = trainer.step(&sgd)?;
        let stop = |why: String, network: Network, losses: Vec<f64>| StepRun {
            network,
            losses,
            stopped: Some(why),
        };
        if !stats.loss.is_finite() {
            let why = format!("the loss is {} before step {}", stats.loss, k + 1);
            return Ok(stop(why, network, losses));
        }
        match network.with_params(trainer.params()?) {
            Ok(n) => network = n,
            Err(_) => {
                let why = format!(
                    "step {} would make a parameter non-finite (exploding gradients)",
                    k + 1
                );
                return Ok(stop(why, network, losses));
            }
        }
        losses.push(stats.loss);
    }
    Ok(StepRun {
        network,
        losses,
        stopped: None,
    })
}
