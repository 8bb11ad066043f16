//! The `backprop-lab` integration tests, one binary: the command line end to end (exit
//! codes, one-line errors, JSON shapes), every engine against finite differences, the
//! manual engine and the PyTorch fixtures, the lesson's numbers, the experiments' and
//! labs' headline claims, and the visualizer's trace and API. One module per former test
//! file; shared helpers in [`common`].

/// Allocation counts and peak bytes are read by the lab tests, as the binary does.
#[global_allocator]
static ALLOC: bplab_harness::alloc::CountingAlloc = bplab_harness::alloc::CountingAlloc;

mod architecture;
mod assignment;
mod bench_cli;
mod check_all;
mod cli_errors;
mod cli_limits;
#[allow(dead_code)]
mod common;
mod custom_ops;
mod engines;
mod experiment_cli;
mod experiment_explained;
mod experiments;
mod lab_checkpoint;
mod lab_modes;
mod lab_overhead;
mod lab_precision;
mod lab_semantics;
mod lesson;
mod lesson_cli;
mod negative_controls;
mod norm;
mod properties;
mod reference_cli;
mod serve_api;
mod serve_attack;
mod training;
mod training_pytorch;
mod viz;
