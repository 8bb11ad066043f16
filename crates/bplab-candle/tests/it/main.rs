//! bplab-candle's integration tests, one binary: one module per topic, sharing the helpers of
//! [`bplab_core::testing`]. candle keeps no per-process settings these tests depend on, so
//! they share one process and run on parallel threads.

mod custom_op;
mod gradcheck;
mod graph;
mod norm;
mod precision;
mod relu_at_zero;
mod seed_example;
mod semantics;
