//! [`Norm`]: the normalization a network applies to every hidden layer's pre-activation, and
//! the names and constants every engine shares for it.
//!
//! With a norm, hidden Linear layer `l` computes `z = h_prev Wᵀ + b`, `n = Norm(z)`,
//! `h = act(n)` (or `h = h_prev + act(n)` with a residual); the output layer is never
//! normalized. Both norms end in the affine `n = γ ⊙ n̂ + β` with `γ` (`norm{l}.weight`) and
//! `β` (`norm{l}.bias`) of shape `[width]`, stored next to `fc{l}.*`:
//! - `layer` (`torch.nn.functional.layer_norm`): per example, over its features,
//!   `n̂ = (z − μ)/√(σ² + ε)` with `μ`, `σ²` the row's mean and biased variance;
//! - `batch` (`torch.nn.functional.batch_norm(training=True)`): per feature, over the batch,
//!   with the batch's mean and biased variance; a training loop also keeps running statistics
//!   `r ← (1 − m) r + m · s` with momentum `m` = [`BN_MOMENTUM`] and the *unbiased* variance,
//!   as PyTorch does, and evaluates with them.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// `ε` of both norms (PyTorch's default).
pub const NORM_EPS: f64 = 1e-5;
/// BatchNorm's running-statistics momentum, PyTorch's convention: `r ← (1 − m) r + m · s`.
pub const BN_MOMENTUM: f64 = 0.1;

/// The normalization of the hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Norm {
    /// No normalization: `h = act(z)`.
    #[default]
    None,
    /// LayerNorm over each example's features.
    Layer,
    /// BatchNorm over the batch, per feature (training mode: batch statistics).
    Batch,
}

impl Norm {
    /// Every norm, in the order of the contract.
    pub const ALL: [Norm; 3] = [Norm::None, Norm::Layer, Norm::Batch];

    /// The contract's name (`none`, `layer`, `batch`).
    pub fn name(self) -> &'static str {
        match self {
            Norm::None => "none",
            Norm::Layer => "layer",
            Norm::Batch => "batch",
        }
    }
}

impl fmt::Display for Norm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Norm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Norm::ALL
            .into_iter()
            .find(|n| n.name() == s.trim())
            .ok_or_else(|| {
                Error::Parse(format!(
                    "unknown norm '{s}' (expected one of: none, layer, batch)"
                ))
            })
    }
}

/// `norm{l+1}.weight` (`γ`) for the 0-based layer `l`.
///
/// ```
/// assert_eq!(bplab_core::norm::gamma_name(0), "norm1.weight");
/// ```
pub fn gamma_name(l: usize) -> String {
    format!("norm{}.weight", l + 1)
}

/// `norm{l+1}.bias` (`β`) for the 0-based layer `l`.
pub fn beta_name(l: usize) -> String {
    format!("norm{}.bias", l + 1)
}

/// `norm{l+1}.running_mean` (BatchNorm's running mean, PyTorch's buffer name).
pub fn running_mean_name(l: usize) -> String {
    format!("norm{}.running_mean", l + 1)
}

/// `norm{l+1}.running_var` (BatchNorm's running unbiased variance, PyTorch's buffer name).
pub fn running_var_name(l: usize) -> String {
    format!("norm{}.running_var", l + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_rejected() {
        for n in Norm::ALL {
            assert_eq!(n.name().parse::<Norm>().unwrap(), n);
        }
        let e = "group".parse::<Norm>().unwrap_err();
        assert!(e.to_string().contains("none, layer, batch"), "{e}");
        assert_eq!(beta_name(2), "norm3.bias");
        assert_eq!(running_var_name(0), "norm1.running_var");
    }
}
