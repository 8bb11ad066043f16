//! The scenarios of `lab semantics` (the table's rows) and [`measure_all`], which runs the
//! four columns (the probes of `pytorch`, `burn` and `candle`, each returning [`Cell`]s) and
//! the manual engine's Hessian–vector product.

use super::cell::Cell;
use super::config::SemanticsConfig;
use super::hvp::{self, HvpCheck};
use super::{burn, candle, pytorch};
use bplab_core::Result;

/// The columns, in order.
pub const FRAMEWORKS: [&str; 4] = ["PyTorch", "burn-ndarray", "burn-flex", "candle"];

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
