//! The `bplab` binary: see [`bplab::cli`] for the commands and the exit-status contract.

use std::process::ExitCode;

/// Every heap allocation is counted, so `bplab bench` can report allocations per iteration.
#[global_allocator]
static ALLOC: bplab::bench::alloc::CountingAlloc = bplab::bench::alloc::CountingAlloc;

fn main() -> ExitCode {
    // Framework panics are caught and reported as one-line errors by the engine guard;
    // keep the default hook from printing them a second time.
    std::panic::set_hook(Box::new(|_| {}));
    bplab::cli::main_with(std::env::args_os())
}
