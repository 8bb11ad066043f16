//! `bplab lab overhead`: where a training step's time goes in each engine — forward,
//! backward, update, allocations, recorded graph nodes and the fixed cost per op. `config`
//! holds the knobs and flags, `measure` the timings and op counts, [`fit`] the straight line
//! through the batch sweep, `report` the table, findings and report section, `files` the
//! CSV/JSON/SVG.

mod config;
mod files;
pub mod fit;
mod measure;
mod report;

pub use config::{OverheadArgs, OverheadConfig};
pub use fit::LineFit;
pub use measure::{count_ops, measure_all, OpCount, Row};
pub use report::{findings, run, table, SECTION};
