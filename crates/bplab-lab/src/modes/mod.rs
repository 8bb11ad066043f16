//! `bplab lab modes`: forward mode (JVPs) against reverse mode as the parameter count grows,
//! and the one-input-many-outputs case where forward mode wins. `config` holds the knobs and
//! flags, `nets` the networks and the agreement check, `measure` the timings, `engines` the
//! backward ÷ forward of every engine, `report` the tables, findings and report section,
//! `files` the CSV/JSON/SVG.

mod config;
mod engines;
mod files;
mod measure;
mod nets;
mod report;

pub use config::{ModesArgs, ModesConfig};
pub use engines::{engine_table, measure_engines, EngineRatio};
pub use measure::{measure_all, FmTiming, ModesResult, SensitivityRow, Sweep, SweepRow};
pub use nets::{compare_gradients, model, random_batch, sensitivity_spec, sweep_spec, AGREEMENT};
pub use report::{agrees, findings, outcome, run, sensitivity_table, sweep_table, SECTION};
