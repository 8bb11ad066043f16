//! The harness behind the `bplab` binary: the only crate that knows about more than one
//! engine. It resolves the command-line description of a network and batch (presets, files,
//! inline values), selects engines by name, runs them (turning any framework panic into an
//! error), and compares their gradients with finite differences and with each other.

pub mod bench;
pub mod check;
pub mod cli;
pub mod engines;
pub mod experiment;
pub mod grads;
pub mod lab;
pub mod netargs;
pub mod plot;
pub mod precision;
pub mod progress;
pub mod render;
pub mod report;
pub mod viz;
