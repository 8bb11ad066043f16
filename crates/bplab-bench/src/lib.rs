//! `bplab bench`: every selected engine × configuration × operation timed through the
//! engine's own trainer ([`run`]), the GEMM-throughput baseline of the machine ([`gemm`]),
//! the targets the manual engine is held to ([`targets`]), the table/Markdown/JSON output
//! ([`output`]), the scaling sweep and its plots ([`sweep`]), the command's
//! flags ([`cli`]) and the report section ([`report_section::BenchSection`]).
//!
//! The configuration matrix itself (`bplab_harness::workload`) lives in the harness, because
//! the criterion suite and the overhead lab time the same workloads; so do the timer and the
//! counting allocator (`bplab_harness::timing`, `bplab_harness::alloc`).

pub mod cli;
pub mod gemm;
pub mod output;
pub mod report_section;
pub mod run;
pub mod sweep;
pub mod targets;

pub use report_section::BenchSection;
