//! A counting global allocator: every heap allocation the process makes (on any thread)
//! bumps two counters, so a benchmark can report allocations and bytes per iteration. It
//! also tracks the bytes live (allocated and not yet freed) and their high-water mark, so a
//! measurement can report the peak bytes an operation held ([`reset_peak`], [`peak_bytes`]).
//!
//! The binary installs it (`#[global_allocator]` in `main.rs`); a process without it reports
//! zero counts, which [`installed`] tells apart from a real zero.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

/// `size` more bytes live: raise the high-water mark if needed.
fn grow(size: usize) {
    let live = LIVE.fetch_add(size as u64, Relaxed) + size as u64;
    PEAK.fetch_max(live, Relaxed);
}

/// `size` bytes freed.
fn shrink(size: usize) {
    LIVE.fetch_sub(size as u64, Relaxed);
}

/// The system allocator with counters (allocations and reallocations count; frees do not).
pub struct CountingAlloc;

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are plain
// atomics and allocate nothing.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        INSTALLED.store(true, Relaxed);
        grow(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        INSTALLED.store(true, Relaxed);
        grow(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            grow(new_size);
            shrink(layout.size());
        }
        new
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

/// Bytes allocated and not yet freed, process-wide.
pub fn live_bytes() -> u64 {
    LIVE.load(Relaxed)
}

/// Starts a new high-water mark at the bytes live now; returns that starting level.
pub fn reset_peak() -> u64 {
    let live = LIVE.load(Relaxed);
    PEAK.store(live, Relaxed);
    live
}

/// The most bytes live at once since the last [`reset_peak`] (or since the process started).
pub fn peak_bytes() -> u64 {
    PEAK.load(Relaxed)
}
