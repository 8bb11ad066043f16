//! `grads`: Forward and backward: the loss and every parameter gradient.

use bplab_harness::workload::Op;
use criterion::Criterion;

/// Every engine × configuration.
pub fn bench(c: &mut Criterion) {
    crate::matrix::run(c, Op::Grads);
}
