//! One benchmark group over the engine × configuration matrix for one operation, with a
//! `BenchmarkId` per engine and configuration and the operation's FLOPs as throughput.

use bplab_core::DType;
use bplab_harness::engines;
use bplab_harness::workload::BENCH_SGD;
use bplab_harness::workload::{flops, Op, CONFIGS};
use criterion::{BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

/// Benchmarks `op` for every engine built in and every configuration.
pub fn run(c: &mut Criterion, op: Op) {
    let engines = engines::select("all").expect("the built-in engines");
    let mut group = c.benchmark_group(op.name());
    for cfg in CONFIGS {
        let (net, batch) = cfg.workload();
        group.throughput(Throughput::Elements(flops(net.spec(), cfg.batch, op) as u64));
        // The large configurations take tens of milliseconds per call: fewer samples.
        if cfg.gemm_bound() {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(4));
        } else {
            group
                .sample_size(30)
                .measurement_time(Duration::from_secs(2));
        }
        for engine in &engines {
            let mut trainer = engine
                .trainer(&net, &batch, DType::F32)
                .expect("a trainer for a valid network");
            group.bench_function(BenchmarkId::new(engine.name(), cfg.name), |b| match op {
                Op::Forward => b.iter(|| black_box(trainer.forward().expect("forward"))),
                Op::Grads => b.iter(|| black_box(trainer.grads().expect("grads"))),
                Op::TrainStep => b.iter(|| black_box(trainer.step(&BENCH_SGD).expect("step"))),
            });
        }
    }
    group.finish();
}
