//! `bplab lab semantics`: the lesson's "common mistakes" (backward twice, forgotten
//! `zero_grad`, in-place changes, detach, reused graphs, double backward, non-leaf gradients)
//! measured framework by framework. PyTorch's column is read from
//! `tests/fixtures/semantics/pytorch.json` (recorded by `tools/reference/semantics.py`), the
//! burn and candle columns are run live. Each cell is pinned by a test in
//! `crates/bplab-burn/tests/it/semantics.rs` or `crates/bplab-candle/tests/it/semantics.rs`,
//! and `docs/frameworks.md` carries the same table with references into the pinned sources.
//! The manual engine's double backward is [`hvp`]: a Hessian–vector product by
//! forward-over-reverse, checked against its JVP and central differences of its gradients.
//! `config` holds the knobs and flags, `pytorch`, `burn` and `candle` the probes, `measure`
//! the table's rows, `report` the tables, files and report section.

mod burn;
mod candle;
mod cell;
mod config;
pub mod hvp;
mod measure;
mod pytorch;
mod report;

pub use cell::{Cell, MICRO_W, W, X, X2};
pub use config::{SemanticsArgs, SemanticsConfig};
pub use measure::{measure_all, Scenario, SemanticsResult, FRAMEWORKS};
pub use report::{outcome, run, table, SECTION};
