//! A counting global allocator: every heap allocation the process makes (on any thread)
//! bumps two counters, so a benchmark can report allocations and bytes per iteration.
//!
//! The binary installs it (`#[global_allocator]` in `main.rs`); a process without it reports
//! zero counts, which [`installed`] tells apart from a real zero.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The system allocator with counters (allocations and reallocations count; frees do not).
pub struct CountingAlloc;

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are plain
// atomics and allocate nothing.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        INSTALLED.store(true, Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        INSTALLED.store(true, Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

/// `(allocations, bytes)` since the process started.
pub fn counts() -> (u64, u64) {
    (ALLOCS.load(Relaxed), BYTES.load(Relaxed))
}

/// Whether [`CountingAlloc`] is this process's allocator (it has seen an allocation).
pub fn installed() -> bool {
    INSTALLED.load(Relaxed)
}
