//! burn's own gradient checkpointing on a deep network. burn 0.22 carries a
//! `GradientCheckpointingStrategy` on every autodiff device and tensor: `Disabled` (the
//! default, `Autodiff<B, NoCheckpointing>`) keeps every operation's saved state for backward;
//! `Balanced` (`Device::autodiff().gradient_checkpointing()`, `Autodiff<B,
//! BalancedCheckpointing>`) keeps the outputs of operations marked compute-bound (matmul) and
//! recomputes those marked memory-bound (element-wise ones: activations, adds) from their
//! parents during backward (`burn-autodiff-0.22.1/src/checkpoint/strategy.rs`).
//!
//! [`DeepNet`] holds one network's `Linear` layers on a device with the chosen strategy (every
//! operand of an operation must carry the same strategy) and runs forward + backward. Its
//! forward is the loop of [`crate::model::Model::forward`] without keeping each layer's `z`
//! and `h`: a retained handle would pin the activation and hide what the strategy frees.

use crate::backend::BurnBackend;
use crate::convert::{linears_from_params, matrix, param_grads, read_scalar};
use crate::model::{activate, loss};
use bplab_core::{DType, Error, NetSpec, ParamSet, Result, Tensor};
use burn::nn::Linear;
use burn::tensor::{Device, GradientCheckpointingStrategy, Gradients, Tensor as BurnTensor};

/// burn's checkpointing strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpointing {
    /// `GradientCheckpointingStrategy::Disabled`: every saved state kept.
    Disabled,
    /// `GradientCheckpointingStrategy::Balanced`: memory-bound operations recomputed.
    Balanced,
}

impl Checkpointing {
    /// Both, `Disabled` first.
    pub const ALL: [Checkpointing; 2] = [Checkpointing::Disabled, Checkpointing::Balanced];

    /// `disabled` or `balanced`.
    pub fn name(self) -> &'static str {
        match self {
            Checkpointing::Disabled => "disabled",
            Checkpointing::Balanced => "balanced",
        }
    }

    /// burn's enum.
    pub fn strategy(self) -> GradientCheckpointingStrategy {
        match self {
            Checkpointing::Disabled => GradientCheckpointingStrategy::Disabled,
            Checkpointing::Balanced => GradientCheckpointingStrategy::Balanced,
        }
    }

    /// `backend`'s autodiff device with this strategy.
    pub fn device(self, backend: BurnBackend) -> Device {
        let device = backend.device();
        match self {
            Checkpointing::Disabled => device,
            Checkpointing::Balanced => device.gradient_checkpointing(),
        }
    }
}

/// A network's layers on an autodiff device with one checkpointing strategy.
pub struct DeepNet<'a> {
    spec: &'a NetSpec,
    layers: Vec<Linear>,
    device: Device,
    dtype: DType,
    name: String,
}

impl<'a> DeepNet<'a> {
    /// The layers of `params` on `backend`'s autodiff device with `strategy`, tracked.
    pub fn new(
        spec: &'a NetSpec,
        params: &ParamSet,
        backend: BurnBackend,
        strategy: Checkpointing,
        dtype: DType,
    ) -> Result<Self> {
        let device = strategy.device(backend);
        let name = format!("{} ({})", backend.engine_name(), strategy.name());
        if device.gradient_checkpointing_strategy() != Some(strategy.strategy()) {
            return Err(Error::engine(
                &name,
                format!(
                    "the device reports {:?}, expected {:?}",
                    device.gradient_checkpointing_strategy(),
                    strategy.strategy()
                ),
            ));
        }
        let layers = linears_from_params(params, spec.n_layers(), &device, dtype, true);
        Ok(DeepNet {
            spec,
            layers,
            device,
            dtype,
            name,
        })
    }

    /// Forward over `x` `(B, n_in)`, `y` `(B, n_out)`, then `between()` (the graph and its
    /// saved state are alive), then `loss.backward()`: the loss tensor `[1]` and burn's
    /// gradient container. No intermediate is kept outside burn's graph.
    fn forward_backward(
        &self,
        x: &Tensor,
        y: &Tensor,
        between: impl FnOnce(),
    ) -> (BurnTensor<1>, Gradients) {
        let mut prev = matrix(x, &self.device, self.dtype); // (B, n_in)
        let y = matrix(y, &self.device, self.dtype); // (B, n_out)
        let n = self.layers.len();
        let mut z_last = None;
        for (l, layer) in self.layers.iter().enumerate() {
            let z = layer.forward(prev.clone()); // (B, n_out)
            if l + 1 == n {
                z_last = Some(z.clone());
            }
            let a = activate(self.spec.activations()[l], z); // (B, n_out)
            prev = if self.spec.is_residual(l) {
                prev + a
            } else {
                a
            };
        }
        let z_last = z_last.unwrap_or_else(|| prev.clone());
        let loss = loss(self.spec.loss(), z_last, prev, y);
        between();
        let grads = loss.backward();
        (loss, grads)
    }

    /// One step's differentiation with `between()` called after forward and before
    /// backward (to read what the graph holds), results dropped.
    pub fn step_with(&self, x: &Tensor, y: &Tensor, between: impl FnOnce()) {
        let (loss, grads) = self.forward_backward(x, y, between);
        drop(grads);
        drop(loss);
    }

    /// One training step's differentiation, results dropped (for timing and peak memory).
    pub fn step(&self, x: &Tensor, y: &Tensor) {
        self.step_with(x, y, || {});
    }

    /// The loss and every parameter's gradient (PyTorch naming and layout).
    pub fn grads(&self, x: &Tensor, y: &Tensor) -> Result<(f64, ParamSet)> {
        let (loss, grads) = self.forward_backward(x, y, || {});
        let grads = param_grads(&self.name, &self.layers, &grads, self.dtype)?;
        Ok((read_scalar(&self.name, loss, self.dtype)?, grads))
    }
}
