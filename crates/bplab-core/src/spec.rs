//! The network description: widths, one activation per Linear layer, the loss, and whether
//! hidden layers of equal input and output width carry a residual connection.
//!
//! Layer `l` (1-based, as in `fc1`) maps width `widths[l-1]` to `widths[l]`:
//! `z_l = h_{l-1} W_lᵀ + b_l` (batch rows), `h_l = act_l(z_l)`, or `h_l = h_{l-1} + act_l(z_l)`
//! for a residual layer. With a [`Norm`], every hidden layer normalizes first:
//! `n_l = Norm(z_l)`, `h_l = act_l(n_l)` (see [`crate::norm`]).

use crate::error::{Error, Result};
use crate::norm::{beta_name, gamma_name, Norm};
use std::fmt;
use std::str::FromStr;

/// Largest accepted width of one layer.
pub const MAX_WIDTH: usize = 1 << 16;
/// Largest accepted number of Linear layers.
pub const MAX_LAYERS: usize = 1024;
/// Largest accepted number of parameters in one network.
pub const MAX_PARAMS: usize = 1 << 28;

/// An element-wise activation (or `softmax`, row-wise, output layer only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `a = z`
    Identity,
    /// `a = max(0, z)`; derivative 1 for `z > 0`, 0 for `z ≤ 0` (0 at exactly 0, as PyTorch).
    Relu,
    /// `a = z` for `z > 0`, `0.01 z` otherwise; derivative 0.01 at exactly 0 (as PyTorch).
    LeakyRelu,
    /// `a = 1 / (1 + e^{−z})`, `σ' = σ(1 − σ) ≤ 1/4`.
    Sigmoid,
    /// `a = tanh z`, `σ' = 1 − tanh² z`.
    Tanh,
    /// Exact GELU: `a = z Φ(z) = ½ z (1 + erf(z/√2))`, `σ' = Φ(z) + z φ(z)`.
    Gelu,
    /// SiLU (swish): `a = z σ(z)`, `a' = σ(z) (1 + z (1 − σ(z)))`.
    Silu,
    /// Row-wise `softmax(z)_k = e^{z_k} / Σ_j e^{z_j}` (output layer only).
    Softmax,
}

/// The slope of `leaky-relu` for negative inputs (PyTorch's default).
pub const LEAKY_SLOPE: f64 = 0.01;

/// The derivative an implementation assigns to ReLU and leaky-ReLU at exactly `z = 0`, where
/// neither has one. Any value between the one-sided slopes is a valid subgradient, and
/// frameworks differ: PyTorch (and the manual engine) use the left slope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KinkGrads {
    /// `relu'(0)`.
    pub relu: f64,
    /// `leaky_relu'(0)`.
    pub leaky_relu: f64,
}

impl KinkGrads {
    /// PyTorch's convention: `relu'(0) = 0`, `leaky_relu'(0) = 0.01`.
    pub const PYTORCH: KinkGrads = KinkGrads {
        relu: 0.0,
        leaky_relu: LEAKY_SLOPE,
    };
}

impl Default for KinkGrads {
    fn default() -> Self {
        KinkGrads::PYTORCH
    }
}

impl Activation {
    /// Every activation, in the order of the contract.
    pub const ALL: [Activation; 8] = [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Gelu,
        Activation::Silu,
        Activation::Softmax,
    ];

    /// The contract's name of the activation.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::Softmax => "softmax",
        }
    }

    /// True for the piecewise-linear activations whose derivative jumps at `z = 0`: a finite
    /// difference whose step crosses 0 there measures nothing.
    pub fn has_kink(self) -> bool {
        matches!(self, Activation::Relu | Activation::LeakyRelu)
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let name = match s.trim() {
            "swish" => "silu", // the same function under its other name
            other => other,
        };
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                Error::Parse(format!(
                    "unknown activation '{s}' (expected one of: identity, relu, leaky-relu, sigmoid, tanh, gelu, silu (swish), softmax)"
                ))
            })
    }
}

/// The loss over a batch of `B` examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loss {
    /// `L = −(1/B) Σ_b Σ_k y_bk · log softmax(z_b)_k` (needs a softmax output layer).
    CrossEntropy,
    /// `L = (1/B) Σ_b ½ Σ_k (ŷ_bk − y_bk)²`.
    Mse,
}

impl Loss {
    /// The contract's name of the loss.
    pub fn name(self) -> &'static str {
        match self {
            Loss::CrossEntropy => "cross-entropy",
            Loss::Mse => "mse",
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Loss {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "cross-entropy" => Ok(Loss::CrossEntropy),
            "mse" => Ok(Loss::Mse),
            _ => Err(Error::Parse(format!(
                "unknown loss '{s}' (expected cross-entropy or mse)"
            ))),
        }
    }
}

/// A validated network description.
#[derive(Debug, Clone, PartialEq)]
pub struct NetSpec {
    widths: Vec<usize>,
    activations: Vec<Activation>,
    loss: Loss,
    residual: bool,
    norm: Norm,
}

impl NetSpec {
    /// Validates and builds a description: at least two widths, each in `1..=MAX_WIDTH`; one
    /// activation per Linear layer; softmax only on the output layer; cross-entropy only with
    /// a softmax output; at most [`MAX_PARAMS`] parameters.
    pub fn new(
        widths: Vec<usize>,
        activations: Vec<Activation>,
        loss: Loss,
        residual: bool,
    ) -> Result<Self> {
        if widths.len() < 2 {
            return Err(Error::Spec(format!(
                "--layers needs at least two widths (input and output), got {}",
                widths.len()
            )));
        }
        if widths.len() - 1 > MAX_LAYERS {
            return Err(Error::Spec(format!(
                "{} Linear layers is more than the limit of {MAX_LAYERS}",
                widths.len() - 1
            )));
        }
        if let Some(i) = widths.iter().position(|&w| w == 0 || w > MAX_WIDTH) {
            return Err(Error::Spec(format!(
                "--layers: width {} at position {} must be between 1 and {MAX_WIDTH}",
                widths[i],
                i + 1
            )));
        }
        let n_layers = widths.len() - 1;
        if activations.len() != n_layers {
            return Err(Error::Spec(format!(
                "--activations: {} Linear layers need {} activations, got {}",
                n_layers,
                n_layers,
                activations.len()
            )));
        }
        if let Some(i) = activations[..n_layers - 1]
            .iter()
            .position(|&a| a == Activation::Softmax)
        {
            return Err(Error::Spec(format!(
                "--activations: softmax is allowed on the output layer only, found on layer {}",
                i + 1
            )));
        }
        if loss == Loss::CrossEntropy && activations[n_layers - 1] != Activation::Softmax {
            return Err(Error::Spec(format!(
                "--loss cross-entropy needs softmax as the output activation, got {}",
                activations[n_layers - 1]
            )));
        }
        let spec = NetSpec {
            widths,
            activations,
            loss,
            residual,
            norm: Norm::None,
        };
        spec.checked()
    }

    /// The same description with `norm` on every hidden layer (adds `norm{l}.weight` and
    /// `norm{l}.bias`, `[width]` each, to the parameters).
    pub fn with_norm(mut self, norm: Norm) -> Result<Self> {
        self.norm = norm;
        self.checked()
    }

    fn checked(self) -> Result<Self> {
        let spec = self;
        let n = spec.n_params_checked().ok_or_else(|| {
            Error::Spec("the network has more parameters than can be counted".into())
        })?;
        if n > MAX_PARAMS {
            return Err(Error::Spec(format!(
                "the network has {n} parameters, more than the limit of {MAX_PARAMS}"
            )));
        }
        Ok(spec)
    }

    /// Parses the `--layers 4,5,3,2` form.
    pub fn parse_widths(s: &str) -> Result<Vec<usize>> {
        s.split(',')
            .map(|w| {
                w.trim().parse::<usize>().map_err(|_| {
                    Error::Parse(format!(
                        "--layers: '{}' is not a width (in '{s}')",
                        w.trim()
                    ))
                })
            })
            .collect()
    }

    /// Parses the `--activations relu,tanh,softmax` form.
    pub fn parse_activations(s: &str) -> Result<Vec<Activation>> {
        s.split(',')
            .map(|a| {
                a.parse()
                    .map_err(|e: Error| Error::Parse(format!("--activations: {e}")))
            })
            .collect()
    }

    /// Widths, input first.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }
    /// One activation per Linear layer.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }
    /// The loss.
    pub fn loss(&self) -> Loss {
        self.loss
    }
    /// Whether residual connections were asked for.
    pub fn residual(&self) -> bool {
        self.residual
    }
    /// The hidden layers' normalization.
    pub fn norm(&self) -> Norm {
        self.norm
    }
    /// Whether layer `l` (0-based) normalizes its pre-activation: a hidden layer of a network
    /// with a norm (the output layer never is).
    pub fn is_normalized(&self, l: usize) -> bool {
        self.norm != Norm::None && l + 1 < self.n_layers()
    }
    /// Number of Linear layers.
    pub fn n_layers(&self) -> usize {
        self.widths.len() - 1
    }
    /// Input width.
    pub fn n_in(&self) -> usize {
        self.widths[0]
    }
    /// Output width.
    pub fn n_out(&self) -> usize {
        *self.widths.last().expect("validated: at least two widths")
    }
    /// `(n_in, n_out)` of layer `l` (0-based).
    pub fn layer_dims(&self, l: usize) -> (usize, usize) {
        (self.widths[l], self.widths[l + 1])
    }
    /// Whether layer `l` (0-based) computes `h = h_prev + act(z)`: a hidden (not output) layer
    /// of equal input and output width in a residual network.
    pub fn is_residual(&self, l: usize) -> bool {
        self.residual && l + 1 < self.n_layers() && self.widths[l] == self.widths[l + 1]
    }
    /// Total number of parameters (weights and biases).
    pub fn n_params(&self) -> usize {
        self.n_params_checked().expect("validated at construction")
    }

    fn n_params_checked(&self) -> Option<usize> {
        let linear = self.widths.windows(2).try_fold(0usize, |acc, w| {
            w[0].checked_mul(w[1])?.checked_add(w[1])?.checked_add(acc)
        })?;
        (0..self.n_layers())
            .filter(|&l| self.is_normalized(l))
            .try_fold(linear, |acc, l| acc.checked_add(2 * self.widths[l + 1]))
    }

    /// The parameter names in order with their PyTorch shapes:
    /// `fc{l}.weight` `[out, in]` then `fc{l}.bias` `[out]`, then for a normalized layer
    /// `norm{l}.weight` (`γ`) and `norm{l}.bias` (`β`), `[out]` each.
    pub fn param_shapes(&self) -> Vec<(String, Vec<usize>)> {
        (0..self.n_layers())
            .flat_map(|l| {
                let (i, o) = self.layer_dims(l);
                let mut v = vec![(weight_name(l), vec![o, i]), (bias_name(l), vec![o])];
                if self.is_normalized(l) {
                    v.push((gamma_name(l), vec![o]));
                    v.push((beta_name(l), vec![o]));
                }
                v
            })
            .collect()
    }

    /// A one-line summary: `4-5-3-2 relu,tanh,softmax cross-entropy`.
    pub fn summary(&self) -> String {
        let w: Vec<String> = self.widths.iter().map(|w| w.to_string()).collect();
        let a: Vec<&str> = self.activations.iter().map(|a| a.name()).collect();
        format!(
            "{} {} {}{}{}",
            w.join("-"),
            a.join(","),
            self.loss,
            if self.residual { " residual" } else { "" },
            match self.norm {
                Norm::None => "",
                Norm::Layer => " layer-norm",
                Norm::Batch => " batch-norm",
            }
        )
    }
}

/// `fc{l+1}.weight` for the 0-based layer `l`.
pub fn weight_name(l: usize) -> String {
    format!("fc{}.weight", l + 1)
}

/// `fc{l+1}.bias` for the 0-based layer `l`.
pub fn bias_name(l: usize) -> String {
    format!("fc{}.bias", l + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acts(s: &str) -> Vec<Activation> {
        NetSpec::parse_activations(s).unwrap()
    }

    #[test]
    fn validates_the_contract_rules() {
        let ok = NetSpec::new(
            vec![4, 5, 3, 2],
            acts("relu,tanh,softmax"),
            Loss::CrossEntropy,
            false,
        );
        assert_eq!(ok.unwrap().n_params(), 4 * 5 + 5 + 5 * 3 + 3 + 3 * 2 + 2);
        let e = NetSpec::new(vec![4, 5, 2], acts("relu"), Loss::Mse, false).unwrap_err();
        assert!(e.to_string().contains("need 2 activations, got 1"), "{e}");
        let e = NetSpec::new(vec![4, 5, 2], acts("softmax,softmax"), Loss::Mse, false).unwrap_err();
        assert!(e.to_string().contains("output layer only"), "{e}");
        let e = NetSpec::new(
            vec![4, 5, 2],
            acts("relu,identity"),
            Loss::CrossEntropy,
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("needs softmax"), "{e}");
        let e = NetSpec::new(vec![4, 0, 2], acts("relu,identity"), Loss::Mse, false).unwrap_err();
        assert!(e.to_string().contains("width 0 at position 2"), "{e}");
        let e = NetSpec::new(vec![4], vec![], Loss::Mse, false).unwrap_err();
        assert!(e.to_string().contains("at least two widths"), "{e}");
        let e = NetSpec::new(
            vec![60000, 60000, 60000],
            acts("relu,identity"),
            Loss::Mse,
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("more than the limit"), "{e}");
        assert_eq!("swish".parse::<Activation>().unwrap(), Activation::Silu);
        assert!("swishy".parse::<Activation>().is_err());
        assert!("hinge".parse::<Loss>().is_err());
    }

    #[test]
    fn residual_only_on_square_hidden_layers() {
        let s = NetSpec::new(
            vec![4, 4, 4, 3, 3],
            acts("tanh,tanh,tanh,identity"),
            Loss::Mse,
            true,
        )
        .unwrap();
        assert_eq!(
            (0..4).map(|l| s.is_residual(l)).collect::<Vec<_>>(),
            vec![true, true, false, false]
        );
    }

    #[test]
    fn norm_adds_gamma_and_beta_to_hidden_layers_only() {
        let s = NetSpec::new(
            vec![4, 5, 3, 2],
            acts("silu,tanh,softmax"),
            Loss::CrossEntropy,
            false,
        )
        .unwrap()
        .with_norm(Norm::Layer)
        .unwrap();
        let names: Vec<String> = s.param_shapes().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "fc1.weight",
                "fc1.bias",
                "norm1.weight",
                "norm1.bias",
                "fc2.weight",
                "fc2.bias",
                "norm2.weight",
                "norm2.bias",
                "fc3.weight",
                "fc3.bias"
            ]
        );
        assert_eq!(s.n_params(), 4 * 5 + 5 + 10 + 5 * 3 + 3 + 6 + 3 * 2 + 2);
        assert!(s.is_normalized(1) && !s.is_normalized(2));
        assert!(s.summary().ends_with("layer-norm"), "{}", s.summary());
    }
}
