//! The gradient-flow summary: per layer `l` the norm `‖∂L/∂W_l‖` (Frobenius) and the mean
//! `|δ_l|`, placed on a fixed log10 colour scale, with a layer marked *vanishing* when its norm
//! is below [`VANISHING_RATIO`] of the largest layer's, and *exploding* above
//! [`EXPLODING_NORM`]. Beside it, every parameter of the layer on the same scale: `‖∂L/∂W‖`,
//! `‖∂L/∂b‖` and, for a normalized layer, `‖∂L/∂γ‖` and `‖∂L/∂β‖` ([`ParamFlow`]). One
//! definition of the scale and its colours serves the terminal strip, the HTML export and the
//! served page (which receive the colours in the JSON).

use super::EngineTrace;
use bplab_core::norm::{beta_name, gamma_name};

/// A layer whose `‖∂L/∂W‖` is below this fraction of the largest is vanishing.
pub const VANISHING_RATIO: f64 = 1e-6;
/// A layer whose `‖∂L/∂W‖` is above this is exploding.
pub const EXPLODING_NORM: f64 = 1e3;
/// The colour scale spans `10^SCALE_LO ..= 10^SCALE_HI`; values outside are clamped.
pub const SCALE_LO: f64 = -10.0;
/// Upper end of the log10 colour scale.
pub const SCALE_HI: f64 = 4.0;
/// Colour stops from `SCALE_LO` (t = 0) to `SCALE_HI` (t = 1), evenly spaced.
pub const STOPS: [(u8, u8, u8); 6] = [
    (40, 11, 84),
    (59, 76, 192),
    (33, 145, 140),
    (122, 196, 64),
    (240, 200, 60),
    (215, 48, 31),
];

/// How a layer's gradient magnitude compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Vanishing,
    Exploding,
    /// NaN or infinite gradients.
    NonFinite,
}

impl Status {
    /// `ok`, `vanishing`, `exploding`, `non-finite`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Vanishing => "vanishing",
            Status::Exploding => "exploding",
            Status::NonFinite => "non-finite",
        }
    }
}

/// One layer of the gradient flow.
#[derive(Debug, Clone)]
pub struct LayerFlow {
    /// `fc1`, `fc2`, …
    pub name: String,
    /// `‖∂L/∂W_l‖`.
    pub grad_norm: f64,
    /// mean over `(B, n_l)` of `|δ_l|`, when an engine exposes `δ`.
    pub mean_abs_delta: Option<f64>,
    pub status: Status,
    /// Position of `log10 ‖∂L/∂W_l‖` on the scale, in `[0, 1]`.
    pub t: f64,
    /// The scale's colour at `t`.
    pub rgb: (u8, u8, u8),
    /// Every parameter of the layer: `W`, `b`, then `γ`, `β` when the layer is normalized.
    pub params: Vec<ParamFlow>,
}

/// One parameter's gradient on the flow's scale: `‖∂L/∂θ‖` (Frobenius) and its colour.
#[derive(Debug, Clone)]
pub struct ParamFlow {
    /// `fc1.weight`, `fc1.bias`, `norm1.weight`, `norm1.bias`, …
    pub name: String,
    /// `W`, `b`, `γ`, `β`.
    pub symbol: &'static str,
    /// `‖∂L/∂θ‖`.
    pub grad_norm: f64,
    /// Position of `log10 ‖∂L/∂θ‖` on the scale, in `[0, 1]`.
    pub t: f64,
    /// The scale's colour at `t`.
    pub rgb: (u8, u8, u8),
}

/// `W`, `b` (and `γ`, `β` where `grads` has `norm{l}.*`) of layer `l`, on the scale.
fn params(grads: &EngineTrace, l: usize) -> Vec<ParamFlow> {
    let p = &grads.grads.params;
    let k = l + 1;
    let mut v = vec![
        (format!("fc{k}.weight"), "W", Some(grads.grad_weight(l))),
        (format!("fc{k}.bias"), "b", Some(grads.grad_bias(l))),
    ];
    if p.get(&gamma_name(l)).is_some() {
        v.push((gamma_name(l), "γ", p.get(&gamma_name(l))));
        v.push((beta_name(l), "β", p.get(&beta_name(l))));
    }
    v.into_iter()
        .filter_map(|(name, symbol, g)| {
            let grad_norm = g?.norm();
            let t = position(grad_norm);
            Some(ParamFlow {
                name,
                symbol,
                grad_norm,
                t,
                rgb: colour(t),
            })
        })
        .collect()
}

/// The flow of every layer from `grads` (norms) and `deltas` (mean `|δ|`, may be another
/// engine's trace when the reference exposes no `δ`).
pub fn layers(grads: &EngineTrace, deltas: Option<&EngineTrace>) -> Vec<LayerFlow> {
    let n = grads.forward.z.len();
    let norms: Vec<f64> = (0..n).map(|l| grads.grad_weight(l).norm()).collect();
    let largest = norms
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    (0..n)
        .map(|l| {
            let norm = norms[l];
            let mean_abs_delta = deltas
                .and_then(|d| d.delta(l))
                .map(|d| d.data.iter().map(|v| v.abs()).sum::<f64>() / d.len().max(1) as f64);
            let status = status(norm, largest);
            let t = position(norm);
            LayerFlow {
                name: format!("fc{}", l + 1),
                grad_norm: norm,
                mean_abs_delta,
                status,
                t,
                rgb: colour(t),
                params: params(grads, l),
            }
        })
        .collect()
}

/// The status of a layer with norm `norm` when the largest finite layer norm is `largest`.
pub fn status(norm: f64, largest: f64) -> Status {
    if !norm.is_finite() {
        Status::NonFinite
    } else if norm > EXPLODING_NORM {
        Status::Exploding
    } else if norm == 0.0 || norm < VANISHING_RATIO * largest {
        Status::Vanishing
    } else {
        Status::Ok
    }
}

/// `log10 v` placed on `[SCALE_LO, SCALE_HI]` as `t ∈ [0, 1]` (0 for 0, 1 for non-finite).
pub fn position(v: f64) -> f64 {
    if !v.is_finite() {
        return 1.0;
    }
    if v <= 0.0 {
        return 0.0;
    }
    ((v.log10() - SCALE_LO) / (SCALE_HI - SCALE_LO)).clamp(0.0, 1.0)
}

/// The colour at `t ∈ [0, 1]`, linearly interpolated between [`STOPS`].
pub fn colour(t: f64) -> (u8, u8, u8) {
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// `#rrggbb`.
pub fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_thresholds() {
        assert_eq!(status(1.0, 1.0), Status::Ok);
        assert_eq!(status(0.9e-6, 1.0), Status::Vanishing);
        assert_eq!(status(1.1e-6, 1.0), Status::Ok);
        assert_eq!(status(0.0, 0.0), Status::Vanishing);
        assert_eq!(status(1001.0, 1001.0), Status::Exploding);
        assert_eq!(status(f64::NAN, 1.0), Status::NonFinite);
    }

    #[test]
    fn the_scale_is_log10_and_clamped() {
        assert_eq!(position(1e-10), 0.0);
        assert_eq!(position(1e4), 1.0);
        assert!((position(1e-3) - 0.5).abs() < 1e-12);
        assert_eq!(position(1e-30), 0.0);
        assert_eq!(colour(0.0), STOPS[0]);
        assert_eq!(colour(1.0), STOPS[5]);
        assert_eq!(hex((255, 0, 16)), "#ff0010");
    }
}
