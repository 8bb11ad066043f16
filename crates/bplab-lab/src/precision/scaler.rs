//! Dynamic loss scaling as PyTorch's `torch.amp.GradScaler` does it: start at a large scale
//! `S₀` (2¹⁶); every step multiplies the loss by `S` before backward and divides the
//! gradients by `S` after (in `f32`); a step whose gradients hold an inf or NaN is skipped
//! and the scale is multiplied by the backoff factor (½); after `interval` clean steps in a
//! row it is multiplied by the growth factor (2). The scale thus settles just below the
//! largest value at which the half-precision backward pass does not overflow.
//! [`train`] runs such a scaler over SGD steps and records each step's scale, its
//! [`ScalerAction`] and its underflow against the `f64` gradients.

use super::compare::underflow;
use bplab_core::{ParamSet, Result};

/// The scaler's constants (PyTorch's defaults except `interval`, 2000 there).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalerConfig {
    /// `S₀`.
    pub init: f64,
    /// Factor after `interval` clean steps.
    pub growth: f64,
    /// Factor after a step with inf/NaN gradients.
    pub backoff: f64,
    /// Clean steps before the scale grows.
    pub interval: usize,
}

impl Default for ScalerConfig {
    fn default() -> Self {
        ScalerConfig {
            init: 65536.0,
            growth: 2.0,
            backoff: 0.5,
            interval: 10,
        }
    }
}

/// The scaler's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradScaler {
    pub cfg: ScalerConfig,
    /// The current scale `S`.
    pub scale: f64,
    /// Clean steps since the last change.
    clean: usize,
}

/// What the scaler did with one step's update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalerAction {
    /// Gradients finite: apply the update.
    Apply,
    /// Gradients held inf/NaN: skip the update.
    Skip,
}

impl GradScaler {
    /// A scaler at `cfg.init`.
    pub fn new(cfg: ScalerConfig) -> Self {
        GradScaler {
            cfg,
            scale: cfg.init,
            clean: 0,
        }
    }

    /// Records one step's unscaled gradients and updates the scale.
    pub fn update(&mut self, grads: &ParamSet) -> ScalerAction {
        let finite = grads
            .iter()
            .all(|(_, t)| t.data.iter().all(|v| v.is_finite()));
        if finite {
            self.clean += 1;
            if self.clean == self.cfg.interval {
                self.scale *= self.cfg.growth;
                self.clean = 0;
            }
            ScalerAction::Apply
        } else {
            self.scale *= self.cfg.backoff;
            self.clean = 0;
            ScalerAction::Skip
        }
    }
}

/// One step of a scaled training run.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalerStep {
    /// The scale this step's backward pass used.
    pub scale: f64,
    pub action: ScalerAction,
    /// The loss at this step's parameters.
    pub loss: f64,
    /// Fraction of the gradient elements that are nonzero in `f64` but exactly 0 here.
    pub underflow: f64,
}

/// `steps` SGD steps (learning rate `lr`) on `f32` master weights `params`: `grads(params, S)`
/// returns the loss and the unscaled low-precision gradients, `truth(params)` the `f64`
/// gradients at the same weights (for the underflow fraction).
pub fn train(
    cfg: ScalerConfig,
    steps: usize,
    lr: f64,
    mut params: ParamSet,
    mut grads: impl FnMut(&ParamSet, f64) -> Result<(f64, ParamSet)>,
    mut truth: impl FnMut(&ParamSet) -> Result<ParamSet>,
) -> Result<Vec<ScalerStep>> {
    let mut scaler = GradScaler::new(cfg);
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        let scale = scaler.scale;
        let (loss, g) = grads(&params, scale)?;
        let g64 = truth(&params)?;
        let underflow = underflow(&g, &g64).fraction();
        let action = scaler.update(&g);
        if action == ScalerAction::Apply {
            for ((_, p), (_, d)) in params.iter_mut().zip(g.iter()) {
                for (p, &d) in p.data.iter_mut().zip(&d.data) {
                    *p = (*p - lr * d) as f32 as f64; // f32 master weights
                }
            }
        }
        out.push(ScalerStep {
            scale,
            action,
            loss,
            underflow,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bplab_core::Tensor;

    fn grads(v: f64) -> ParamSet {
        ParamSet::from_entries(vec![("w".into(), Tensor::new(vec![1], vec![v]).unwrap())])
    }

    #[test]
    fn backs_off_on_overflow_and_grows_after_clean_steps() {
        let mut s = GradScaler::new(ScalerConfig {
            interval: 3,
            ..ScalerConfig::default()
        });
        assert_eq!(s.update(&grads(f64::INFINITY)), ScalerAction::Skip);
        assert_eq!(s.scale, 32768.0);
        assert_eq!(s.update(&grads(f64::NAN)), ScalerAction::Skip);
        assert_eq!(s.scale, 16384.0);
        for _ in 0..2 {
            assert_eq!(s.update(&grads(1.0)), ScalerAction::Apply);
            assert_eq!(s.scale, 16384.0);
        }
        s.update(&grads(1.0));
        assert_eq!(
            s.scale, 32768.0,
            "grows after the third clean step in a row"
        );
    }
}
