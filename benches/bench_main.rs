//! The criterion suite: `forward`, `grads` and `train_step`, each over every engine × the
//! configurations of `bplab_harness::workload::CONFIGS`, all f32. Weights, data and each engine's own
//! objects are made outside the timed loop; the loop is what a training loop in that
//! framework runs (through the engine's `Trainer`). `cargo bench` runs it all;
//! `cargo bench -- --test` runs every benchmark once.

mod forward;
mod grads;
mod matrix;
mod train_step;

use criterion::{criterion_group, criterion_main};

criterion_group!(benches, forward::bench, grads::bench, train_step::bench);
criterion_main!(benches);
