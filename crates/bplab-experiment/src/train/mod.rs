//! `experiment train`: the assignment network (`4 → relu 5 → tanh 3 → softmax 2`,
//! cross-entropy) trained with minibatch SGD on Iris, *versicolor* vs *virginica*. Every
//! engine starts from the same weights and sees the same minibatches in the same order
//! (shuffled per epoch by the project's seeded RNG), so the loss trajectories must agree
//! step by step — the strongest cross-check there is. `config.rs` says what runs,
//! `measure.rs` runs it on every engine, `report.rs` turns the results into a table, plots and
//! files.

mod config;
mod measure;
mod report;

pub use config::{TrainArgs, TrainConfig};
pub use measure::{measure, EngineRun, TrainResults};
pub use report::{plots, run, table, SECTION};
