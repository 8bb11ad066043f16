//! How far a half-precision gradient is from the `f64` truth, tensor by tensor: the relative
//! error `‖g − g₆₄‖ / ‖g₆₄‖`, the elements that [`Underflow`] (nonzero in `f64`, exactly 0
//! here) and the non-finite ones ([`TensorError`]).

use bplab_core::ParamSet;

/// Elements nonzero in `f64` and exactly zero in low precision, over every tensor.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Underflow {
    pub zeroed: usize,
    /// Elements nonzero in `f64`.
    pub nonzero: usize,
}

impl Underflow {
    /// `zeroed / nonzero` (0 when nothing is nonzero).
    pub fn fraction(self) -> f64 {
        if self.nonzero == 0 {
            0.0
        } else {
            self.zeroed as f64 / self.nonzero as f64
        }
    }
}

/// Underflow of `g` against `g64` (same names and shapes).
pub fn underflow(g: &ParamSet, g64: &ParamSet) -> Underflow {
    let mut u = Underflow::default();
    for ((_, a), (_, b)) in g.iter().zip(g64.iter()) {
        for (&x, &y) in a.data.iter().zip(&b.data) {
            if y != 0.0 {
                u.nonzero += 1;
                u.zeroed += usize::from(x == 0.0);
            }
        }
    }
    u
}

/// `‖g − g₆₄‖ / ‖g₆₄‖` of one tensor (NaN if `g` is not finite; `‖g‖` if `g₆₄ = 0`).
pub fn rel_error(g: &[f64], g64: &[f64]) -> f64 {
    let diff: f64 = g.iter().zip(g64).map(|(a, b)| (a - b) * (a - b)).sum();
    let norm: f64 = g64.iter().map(|b| b * b).sum();
    if norm == 0.0 {
        diff.sqrt()
    } else {
        (diff / norm).sqrt()
    }
}

/// One parameter tensor's error in one setting.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorError {
    pub name: String,
    /// Layer index (0-based).
    pub layer: usize,
    pub rel: f64,
    pub underflow: Underflow,
    /// Elements that are inf or NaN.
    pub nonfinite: usize,
}

/// Compares `g` with `g64` tensor by tensor.
pub fn compare(g: &ParamSet, g64: &ParamSet) -> Vec<TensorError> {
    g.iter()
        .zip(g64.iter())
        .enumerate()
        .map(|(i, ((name, a), (_, b)))| {
            let one_a = ParamSet::from_entries(vec![(name.to_string(), a.clone())]);
            let one_b = ParamSet::from_entries(vec![(name.to_string(), b.clone())]);
            TensorError {
                name: name.to_string(),
                layer: i / 2,
                rel: rel_error(&a.data, &b.data),
                underflow: underflow(&one_a, &one_b),
                nonfinite: a.data.iter().filter(|v| !v.is_finite()).count(),
            }
        })
        .collect()
}
