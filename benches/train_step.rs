//! `train_step`: Grads, then the SGD update.

use bplab_harness::workload::Op;
use criterion::Criterion;

/// Every engine × configuration.
pub fn bench(c: &mut Criterion) {
    crate::matrix::run(c, Op::TrainStep);
}
