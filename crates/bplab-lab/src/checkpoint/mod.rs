//! `bplab lab checkpoint`: gradient checkpointing in the manual engine (segments of `k`
//! layers) and burn's `Balanced` strategy, peak bytes held against time per step. `config`
//! holds the methods, knobs and flags, `grads` the gradients compared and their bit-identity
//! check, `measure` the bytes and timings, `report` the tables, findings and report section,
//! `files` the CSV/JSON/SVG.

mod config;
mod files;
mod grads;
mod measure;
mod report;

pub use config::{CheckpointArgs, CheckpointConfig, Method, Segment, MAX_WEIGHTS};
pub use grads::{burn_grads, checkpointed_grads, identity_check, plain_grads, Check, Flat};
pub use measure::{measure_all, CheckpointResult, Row};
pub use report::{agrees, checks_table, findings, outcome, run, table, SECTION};
