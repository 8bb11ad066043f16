//! The network flags shared by every subcommand (`--preset`, `--layers`, `--activations`,
//! `--loss`, `--residual`, `--norm`, `--params`, `--init`, `--seed`, `--batch`, `--input`, `--target`)
//! and their resolution into a validated [`Network`] and [`Batch`].
//!
//! Rules: with neither `--preset` nor `--layers`, the `assignment` preset applies. Explicit
//! flags override a preset's parts. A preset's fixed weights apply only while they fit the
//! network and neither `--init` nor `--seed` is given; otherwise weights come from the init
//! scheme (`--init`, else the preset's default, else `xavier-normal`; `--seed`, else 42).
//! The preset's example applies while it fits the network's input and output widths.

use crate::flags;
use bplab_core::presets::Preset;
use bplab_core::spec::MAX_WIDTH;
use bplab_core::{Activation, Batch, Error, Init, Loss, NetSpec, Network, Norm, ParamSet, Result};
use clap::Args;
use std::path::PathBuf;

/// Flags that describe a network, its weights and a batch.
#[derive(Args, Debug, Clone, Default)]
pub struct NetArgs {
    /// A named network with its default weights and example: assignment, seed-example.
    #[arg(long, value_name = "NAME", value_parser = flags::parsed::<Preset>)]
    pub preset: Option<Preset>,
    /// Widths, input first, e.g. 4,5,3,2.
    // `::std::vec::Vec`: one value holding the list, not one value per occurrence.
    #[arg(long, value_name = "W,W,...", value_parser = widths)]
    pub layers: Option<::std::vec::Vec<usize>>,
    /// One per Linear layer: identity, relu, leaky-relu, sigmoid, tanh, gelu, softmax (last only).
    #[arg(long, value_name = "A,A,...", value_delimiter = ',', value_parser = flags::trimmed(flags::parsed::<Activation>))]
    pub activations: Option<Vec<Activation>>,
    /// cross-entropy (needs a softmax output) or mse.
    #[arg(long, value_name = "LOSS", value_parser = flags::parsed::<Loss>)]
    pub loss: Option<Loss>,
    /// Hidden layers of equal input and output width compute h = h_prev + act(W h_prev + b).
    #[arg(long)]
    pub residual: bool,
    /// Normalize every hidden layer before its activation: none, layer (LayerNorm) or batch
    /// (BatchNorm, batch statistics); adds normL.weight (γ) and normL.bias (β).
    #[arg(long, value_name = "NORM", default_value = "none", value_parser = flags::parsed::<Norm>)]
    pub norm: Norm,
    /// Weights in PyTorch naming (fc1.weight [out,in], fc1.bias [out], ...), F32 or F64.
    #[arg(long, value_name = "FILE.safetensors")]
    pub params: Option<PathBuf>,
    /// Init scheme when no --params: zeros, normal:SIGMA, lecun-normal, xavier-normal,
    /// xavier-uniform, he-normal, he-uniform, orthogonal.
    #[arg(long, value_name = "NAME", value_parser = flags::parsed::<Init>)]
    pub init: Option<Init>,
    /// Seed of the init scheme (same seed, bit-identical weights everywhere).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// A JSON batch: {"x": [[...], ...], "y": [[...], ...]}.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["input", "target"])]
    pub batch: Option<PathBuf>,
    /// Inline inputs, rows separated by ';', e.g. "1,2;0,1".
    #[arg(long, value_name = "ROWS", allow_hyphen_values = true)]
    pub input: Option<String>,
    /// Inline targets, rows separated by ';', e.g. "0.5;0.8".
    #[arg(long, value_name = "ROWS", allow_hyphen_values = true)]
    pub target: Option<String>,
}

/// `--layers 4,5,3,2`: at least two widths, each a whole number from 1 to [`MAX_WIDTH`].
pub fn widths(s: &str) -> std::result::Result<Vec<usize>, String> {
    let widths = s
        .split(',')
        .enumerate()
        .map(|(i, w)| match w.trim().parse::<usize>() {
            Ok(w) if (1..=MAX_WIDTH).contains(&w) => Ok(w),
            Ok(w) => Err(format!(
                "width {w} at position {} must be between 1 and {MAX_WIDTH}",
                i + 1
            )),
            Err(_) => Err(format!("'{}' is not a width (in '{s}')", w.trim())),
        })
        .collect::<std::result::Result<Vec<usize>, String>>()?;
    if widths.len() < 2 {
        return Err(format!(
            "at least two widths are needed (input and output), got {}",
            widths.len()
        ));
    }
    Ok(widths)
}

/// `--residual` on a network where no hidden layer has equal input and output widths would
/// change nothing: refused, naming the widths.
pub fn residual_applies(spec: &NetSpec) -> Result<()> {
    if spec.residual() && !(0..spec.n_layers()).any(|l| spec.is_residual(l)) {
        let w: Vec<String> = spec.widths().iter().map(usize::to_string).collect();
        return Err(Error::Spec(format!(
            "--residual needs a hidden layer whose input and output widths are equal; widths {} have none",
            w.join(",")
        )));
    }
    Ok(())
}

/// A resolved network and batch, with a note of where the weights came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub network: Network,
    pub batch: Batch,
    /// `preset seed-example`, `xavier-normal seed 42`, `params w.safetensors`.
    pub weights_from: String,
}

impl NetArgs {
    /// Resolves the flags into a validated network and batch.
    pub fn resolve(&self) -> Result<Resolved> {
        let preset = match (self.preset, &self.layers) {
            (Some(p), _) => Some(p),
            (None, None) => Some(Preset::Assignment),
            (None, Some(_)) => None,
        };
        let parts = preset.map(Preset::parts);
        let widths = match (&self.layers, &parts) {
            (Some(l), _) => l.clone(),
            (None, Some(p)) => p.0.clone(),
            (None, None) => unreachable!("no preset means --layers was given"),
        };
        let activations: Vec<Activation> = match (&self.activations, &parts) {
            (Some(a), _) => a.clone(),
            (None, Some(p)) => p.1.clone(),
            // Too few widths: let the description's own check name that problem.
            (None, None) if widths.len() < 2 => Vec::new(),
            (None, None) => {
                return Err(Error::Parse(
                    "--activations is required with --layers (one per Linear layer, e.g. relu,tanh,softmax)".into(),
                ))
            }
        };
        let loss = match (self.loss, &parts) {
            (Some(l), _) => l,
            (None, Some(p)) => p.2,
            (None, None) if activations.last() == Some(&Activation::Softmax) => Loss::CrossEntropy,
            (None, None) => Loss::Mse,
        };
        let spec = NetSpec::new(widths, activations, loss, self.residual)?.with_norm(self.norm)?;
        residual_applies(&spec)?;

        let (params, weights_from) = self.params(&spec, preset)?;
        let network = Network::new(spec, params)?;
        let batch = self.batch(network.spec(), preset)?;
        Ok(Resolved {
            network,
            batch,
            weights_from,
        })
    }

    fn params(&self, spec: &NetSpec, preset: Option<Preset>) -> Result<(ParamSet, String)> {
        if let Some(path) = &self.params {
            if self.init.is_some() || self.seed.is_some() {
                return Err(Error::Parse(
                    "--params cannot be combined with --init or --seed".into(),
                ));
            }
            return Ok((
                ParamSet::load_for(path, spec)?,
                format!("params {}", path.display()),
            ));
        }
        if self.init.is_none() && self.seed.is_none() {
            if let Some(p) = preset.and_then(|p| p.fixed_params().map(|f| (p, f))) {
                if p.1.validate(spec).is_ok() {
                    return Ok((p.1, format!("preset {} weights", p.0)));
                }
            }
        }
        let (default_init, default_seed) = preset
            .map(Preset::default_init)
            .unwrap_or((Init::XavierNormal, 42));
        let init = self.init.unwrap_or(default_init);
        let seed = self.seed.unwrap_or(default_seed);
        Ok((init.params(spec, seed), format!("{init} seed {seed}")))
    }

    fn batch(&self, spec: &NetSpec, preset: Option<Preset>) -> Result<Batch> {
        let batch =
            match (&self.batch, &self.input, &self.target) {
                (Some(path), _, _) => Batch::load(path)?,
                (None, Some(x), Some(y)) => Batch::from_inline(x, y)?,
                (None, Some(_), None) => return Err(Error::Parse("--input needs --target".into())),
                (None, None, Some(_)) => return Err(Error::Parse("--target needs --input".into())),
                (None, None, None) => match preset.map(Preset::batch) {
                    Some(b) if b.x.shape[1] == spec.n_in() && b.y.shape[1] == spec.n_out() => b,
                    _ => return Err(Error::Parse(
                        "no batch for this network: give --batch FILE.json or --input and --target"
                            .into(),
                    )),
                },
            };
        batch.validate(spec)?;
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_name_the_bad_one() {
        assert_eq!(widths("4, 5,2"), Ok(vec![4, 5, 2]));
        assert!(widths("4,0,2")
            .unwrap_err()
            .contains("width 0 at position 2"));
        assert!(widths("4,x,2").unwrap_err().contains("'x' is not a width"));
        assert!(widths("4").unwrap_err().contains("at least two widths"));
    }
}
