//! `grads`: Forward and backward: the loss and every parameter gradient.

use bplab::bench::configs::Op;
use criterion::Criterion;

/// Every engine × configuration.
pub fn bench(c: &mut Criterion) {
    crate::matrix::run(c, Op::Grads);
}
