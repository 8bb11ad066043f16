//! The `bplab` binary: the command line ([`cli`]) and the report's list of sections
//! ([`report`]). Everything it runs lives in the library crates below it.

mod cli;
mod report;

use std::process::ExitCode;

/// Every heap allocation is counted, so `bplab bench` can report allocations per iteration.
#[global_allocator]
static ALLOC: bplab_harness::alloc::CountingAlloc = bplab_harness::alloc::CountingAlloc;

fn main() -> ExitCode {
    // Framework panics are caught and reported as one-line errors by the engine guard;
    // keep the default hook from printing them a second time.
    std::panic::set_hook(Box::new(|_| {}));
    cli::main_with(std::env::args_os())
}
