//! The harness: the only library that knows there is more than one engine. It resolves the
//! command-line description of a network and batch ([`netargs`]), selects engines by name
//! and turns any framework panic into an error ([`engines`]), compares engines with finite
//! differences, with each other and with a reference directory ([`check`], [`grads`],
//! [`reference`]) under the one agreement rule ([`agreement`], with each framework's
//! documented deviations in [`deviations`]), and measures them ([`timing`], [`alloc`], the
//! benchmark [`workload`]s, [`progress`]).
//!
//! Every study (bench, experiments, labs, the visualizer) builds on this crate; it depends
//! on the engines, `bplab-core` and `bplab-output` only.

pub mod agreement;
pub mod alloc;
pub mod budget;
pub mod check;
pub mod deviations;
pub mod engines;
pub mod flags;
pub mod grads;
pub mod netargs;
pub mod progress;
pub mod reference;
pub mod timing;
pub mod workload;
