//! What every probe of `lab semantics` shares: the inputs (`x`, `w` and the loss
//! `L = Σ tanh(x ⊙ w)²`, the same as the tests and `tools/reference/semantics.py`), the
//! micro-batch scenario's data, the distance in ulps, and [`Cell`], what one framework did in
//! one scenario.

/// `x` of every probe (4 elements).
pub const X: [f64; 4] = [1.0, -2.0, 3.0, 0.5];
/// `w` of every probe.
pub const W: [f64; 4] = [0.25, 1.5, -0.75, 2.0];
/// The second loss's `x`.
pub const X2: [f64; 4] = [0.5, 0.5, -1.0, 2.0];
/// The micro-batch scenario's weight `(3, 1)`.
pub const MICRO_W: [f64; 3] = [0.3, -0.8, 1.1];

/// The micro-batch scenario's inputs: `batch` rows of 3, `x_i = 2 sin(0.37 i)`.
pub fn micro_x(batch: usize) -> Vec<f64> {
    (0..batch * 3)
        .map(|i| ((i as f64) * 0.37).sin() * 2.0)
        .collect()
}

/// Worst distance of `got` from `want` in units of `ε·|want|` (0 when bit-identical).
pub fn worst_ulps(got: &[f64], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .map(|(g, w)| {
            if g == w {
                0.0
            } else {
                (g - w).abs() / (f64::EPSILON * w.abs())
            }
        })
        .fold(0.0, f64::max)
}

/// What one framework did in one scenario: a short description and whether the values it
/// produced are the ones the description claims (e.g. `x` exactly, `4x` rather than `6x`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub consistent: bool,
}

impl Cell {
    pub fn new(text: impl Into<String>, consistent: bool) -> Self {
        Cell {
            text: text.into(),
            consistent,
        }
    }
}
