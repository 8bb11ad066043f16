//! `bplab bench`, laid out like every study: [`config`] (the command's flags), [`measure`]
//! (every selected engine × configuration × operation timed through the engine's own
//! trainer in the interleaved [`rounds`], with the GEMM throughput of [`gemm`] beside the
//! machine's [`peak`] (at the [`clock`] measured at run time), another framework's [`baseline`] merged in, and the manual engine's
//! [`targets`]), and [`report`] (the table/Markdown/JSON output, the command's [`run`] and
//! the report's [`BenchSection`], drawn by [`figures`]); the scaling sweep and its plots are
//! [`sweep`].
//!
//! The configuration matrix itself (`bplab_harness::workload`) lives in the harness, because
//! the criterion suite and the overhead lab time the same workloads; so do the timer and the
//! counting allocator (`bplab_harness::timing`, `bplab_harness::alloc`).

pub mod baseline;
pub mod clock;
pub mod config;
pub mod figures;
pub mod gemm;
pub mod gemm_plot;
pub mod measure;
pub mod peak;
pub mod report;
pub mod rounds;
pub mod summary;
pub mod sweep;
pub mod targets;

pub use config::BenchArgs;
pub use report::{run, BenchSection};
