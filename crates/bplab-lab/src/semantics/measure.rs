//! The scenarios of `lab semantics` and what one framework did in each ([`Cell`]); the inputs
//! every probe shares (`x`, `w` and the loss `L = Σ tanh(x ⊙ w)²`, the same as the tests and
//! `tools/reference/semantics.py`); [`measure_all`] runs the four columns.

use super::config::SemanticsConfig;
use super::hvp::{self, HvpCheck};
use super::{burn, candle, pytorch};
use bplab_core::Result;

/// The columns, in order.
pub const FRAMEWORKS: [&str; 4] = ["PyTorch", "burn-ndarray", "burn-flex", "candle"];

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

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    BackwardTwice,
    TwoLosses,
    MicroBatch,
    ZeroGrad,
    InPlace,
    Detach,
    RetainGraph,
    DoubleBackward,
    NonLeaf,
}

impl Scenario {
    pub const ALL: [Scenario; 9] = [
        Scenario::BackwardTwice,
        Scenario::TwoLosses,
        Scenario::MicroBatch,
        Scenario::ZeroGrad,
        Scenario::InPlace,
        Scenario::Detach,
        Scenario::RetainGraph,
        Scenario::DoubleBackward,
        Scenario::NonLeaf,
    ];

    /// The row's label.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::BackwardTwice => "backward twice on the same loss",
            Scenario::TwoLosses => "two losses, backward each",
            Scenario::MicroBatch => "Σ micro-batch grads vs full batch",
            Scenario::ZeroGrad => "what resets gradients",
            Scenario::InPlace => "parameter changed between forward and backward",
            Scenario::Detach => "detach: ∇ Σ x·stop(x)",
            Scenario::RetainGraph => "second loss on a used graph",
            Scenario::DoubleBackward => "double backward: ∇ Σ ∇(Σ x³)",
            Scenario::NonLeaf => "gradient of a non-leaf z = 3x",
        }
    }

    /// The key in `semantics.json`.
    pub fn key(self) -> &'static str {
        match self {
            Scenario::BackwardTwice => "backward_twice",
            Scenario::TwoLosses => "two_losses",
            Scenario::MicroBatch => "micro_batch",
            Scenario::ZeroGrad => "zero_grad",
            Scenario::InPlace => "in_place",
            Scenario::Detach => "detach",
            Scenario::RetainGraph => "retain_graph",
            Scenario::DoubleBackward => "double_backward",
            Scenario::NonLeaf => "non_leaf",
        }
    }
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

/// Every framework's cells: `cells[f][s]` for framework `FRAMEWORKS[f]` and scenario
/// `Scenario::ALL[s]`.
#[derive(Debug, Clone)]
pub struct SemanticsResult {
    pub cells: Vec<Vec<Cell>>,
    pub torch_version: String,
    /// The manual engine's Hessian–vector product and whether it passed its checks.
    pub hvp: HvpCheck,
    pub hvp_passed: bool,
}

impl SemanticsResult {
    /// Whether every cell's values are what its text says.
    pub fn consistent(&self) -> bool {
        self.hvp_passed && self.cells.iter().flatten().all(|c| c.consistent)
    }
}

/// Runs every probe (PyTorch from the fixture).
pub fn measure_all(cfg: &SemanticsConfig) -> Result<SemanticsResult> {
    let (torch_version, torch) = pytorch::cells()?;
    let mut cells = vec![torch];
    for backend in bplab_burn::BurnBackend::ALL {
        cells.push(burn::cells(backend, cfg)?);
    }
    cells.push(candle::cells(cfg)?);
    let (hvp, hv, fd) = hvp::run()?;
    Ok(SemanticsResult {
        cells,
        torch_version,
        hvp_passed: hvp.passed(&fd, &hv),
        hvp,
    })
}
