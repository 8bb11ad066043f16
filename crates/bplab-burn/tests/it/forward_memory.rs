//! `forward` must not grow memory: on an autodiff device burn-autodiff registers even
//! untracked operations in its graph and frees them only in a later `backward()`, about 32 KB
//! per forward pass of this network (measured), which is why the engine runs `forward` on the
//! plain device. Linux only (reads `VmRSS`); in a fresh process of its own, so no other test
//! allocates concurrently.

use crate::common::*;
use bplab_core::{Activation, DType, Engine, Loss};

#[cfg(target_os = "linux")]
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn many_forward_passes_do_not_grow_memory() {
    in_own_process(
        "forward_memory::many_forward_passes_do_not_grow_memory",
        fresh_process,
    );
}

/// The test's body, run in a process of its own.
#[cfg(target_os = "linux")]
fn fresh_process() {
    let s = spec(
        &[3, 4, 4, 2],
        Activation::Tanh,
        Activation::Softmax,
        Loss::CrossEntropy,
        true,
    );
    let (net, b) = (network(&s, 1), batch(&s, 5, 2));
    for engine in engines() {
        for _ in 0..200 {
            engine.forward(&net, &b, DType::F64).unwrap();
        }
        let before = rss_kb();
        for _ in 0..3000 {
            engine.forward(&net, &b, DType::F64).unwrap();
        }
        let grown = rss_kb().saturating_sub(before);
        // A leak of ~32 KB per pass would be ~96 MB here.
        assert!(
            grown < 16 * 1024,
            "{}: RSS grew by {grown} KB over 3000 forward passes",
            engine.name()
        );
    }
}
