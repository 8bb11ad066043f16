//! `experiment init`: gradient flow at initialisation. For every scheme × hidden activation
//! × depth, a network `width → (depth hidden layers of width) → n_out` with softmax
//! cross-entropy on a random batch: `‖∂L/∂W_l‖` and `‖δ_l‖` per layer from every engine, and
//! the first/last ratio `‖∂L/∂W_1‖ / ‖∂L/∂W_L‖` (`L` the output layer). Then, at the smallest
//! depth, a few SGD steps from each scheme measure whether hidden units stay identical
//! (the symmetry `zeros` never breaks). `config.rs` says what runs, `measure.rs` runs it on
//! every engine, `report.rs` turns the results into tables, findings, plots and files.

mod config;
mod measure;
mod report;

pub use config::{InitArgs, InitConfig};
pub use measure::{cell, measure, Cell, InitResults, Symmetry};
pub use report::{findings, plots, run, table, SECTION};
