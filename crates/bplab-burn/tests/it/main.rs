//! bplab-burn's integration tests, one binary: one module per topic. The tests share one
//! process and run on parallel threads; the few that need the process to themselves (burn's
//! once-per-process device settings, the memory measurement) re-run in a fresh process of
//! this binary through [`bplab_core::testing::in_own_process`].

mod burn_semantics;
mod common;

mod custom_op;
mod device_settings;
mod div_scalar;
mod dtype_order;
mod forward_memory;
mod gradcheck;
mod op_precision;
mod precision;
mod register;
mod relu_at_zero;
mod seed_example;
mod semantics;
