//! Benchmarks: the configuration matrix shared with the criterion suite (`benches/`), a
//! counting allocator, the in-process timer behind `bplab bench`, the GEMM-throughput
//! baseline, the scaling sweep, and the targets the manual engine is held to.

pub mod alloc;
pub mod cli;
pub mod configs;
pub mod gemm;
pub mod measure;
pub mod output;
pub mod report_section;
pub mod run;
pub mod sweep;
pub mod sweep_plot;
pub mod targets;

pub use configs::{BenchConfig, Op, CONFIGS};
