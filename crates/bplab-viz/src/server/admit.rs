//! Admission of computing requests: at most [`Limits::workers`] computations at once, at
//! most [`Limits::queue`] requests waiting for one (503 beyond, and after
//! [`Limits::queue_wait`]), and a global budget of bytes ([`Limits::max_memory`], a
//! semaphore counted in KiB) that every request reserves its estimated peak from before it
//! allocates, so the sum of concurrent work stays under the budget. A reservation is
//! released when its computation has finished and its response has been sent.

use super::reply::{error, Refusal};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The server's limits (`bplab serve` flags and their defaults).
#[derive(Debug, Clone)]
pub struct Limits {
    /// The global memory budget in bytes; one request may plan at most
    /// [`Limits::request_memory`] of it.
    pub max_memory: u64,
    /// The most one request may plan to hold (its estimated peak).
    pub request_memory: u64,
    /// The largest response one request may produce (estimated before computing).
    pub max_response: u64,
    /// Computations at once.
    pub workers: usize,
    /// Requests waiting for a computation slot or for memory; more get 503.
    pub queue: usize,
    /// Longest wait for a slot or memory before 503.
    pub queue_wait: Duration,
    /// Open connections at once; more get 503 and are closed.
    pub max_connections: usize,
    /// Time a client has to send its request head, and then its body.
    pub read_timeout: Duration,
    /// Longest life of one connection (a client that does not read its answer is dropped).
    pub connection_life: Duration,
}

impl Limits {
    /// Defaults for a budget of `max_memory` bytes.
    pub fn with_memory(max_memory: u64) -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
        Limits {
            max_memory,
            request_memory: max_memory / 2,
            max_response: (max_memory / 4).min(256 << 20),
            workers,
            queue: 32,
            queue_wait: Duration::from_secs(30),
            max_connections: 128,
            read_timeout: Duration::from_secs(5),
            connection_life: Duration::from_secs(600),
        }
    }
}

impl Default for Limits {
    /// A quarter of the physical memory.
    fn default() -> Self {
        Self::with_memory(bplab_harness::budget::fraction_of_memory(1, 4))
    }
}

/// Bytes in the semaphore's unit (KiB, rounded up; a u32 of KiB is 4 TiB).
fn kib(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

/// The shared admission state.
#[derive(Debug)]
pub struct Admission {
    pub limits: Limits,
    slots: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    waiting: AtomicUsize,
}

/// A held computation slot.
pub struct Slot(#[allow(dead_code)] OwnedSemaphorePermit);

/// Reserved bytes, released on drop.
pub struct Reserved(OwnedSemaphorePermit);

impl Reserved {
    /// Keeps only `bytes` of the reservation (the rest goes back to the budget).
    pub fn shrink_to(&mut self, bytes: u64) {
        let keep = kib(bytes) as usize;
        let extra = self.0.num_permits().saturating_sub(keep.max(1));
        drop(self.0.split(extra));
    }
}

/// Counts a waiter for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Self {
        let total = kib(limits.max_memory) as usize;
        Admission {
            slots: Arc::new(Semaphore::new(limits.workers.max(1))),
            memory: Arc::new(Semaphore::new(total.min(Semaphore::MAX_PERMITS))),
            waiting: AtomicUsize::new(0),
            limits,
        }
    }

    fn enter(&self) -> Result<Waiting<'_>, Refusal> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy(&format!(
                "{} requests are already waiting",
                self.limits.queue
            )));
        }
        Ok(Waiting(&self.waiting))
    }

    /// Waits (in the bounded queue) for a computation slot.
    pub async fn slot(&self) -> Result<Slot, Refusal> {
        let _w = self.enter()?;
        match tokio::time::timeout(self.limits.queue_wait, self.slots.clone().acquire_owned()).await
        {
            Ok(Ok(p)) => Ok(Slot(p)),
            _ => Err(busy("no computation slot became free")),
        }
    }

    /// Waits (in the bounded queue) until `bytes` fit in the global budget.
    pub async fn reserve(&self, bytes: u64) -> Result<Reserved, Refusal> {
        let _w = self.enter()?;
        let n = kib(bytes);
        match tokio::time::timeout(
            self.limits.queue_wait,
            self.memory.clone().acquire_many_owned(n),
        )
        .await
        {
            Ok(Ok(p)) => Ok(Reserved(p)),
            _ => Err(busy("the memory budget stayed in use")),
        }
    }

    /// Reserves `bytes` now or answers 503 (for bodies being received).
    pub fn try_reserve(&self, bytes: u64) -> Result<Reserved, Refusal> {
        self.memory
            .clone()
            .try_acquire_many_owned(kib(bytes))
            .map(Reserved)
            .map_err(|_| busy("the memory budget is in use"))
    }
}

fn busy(why: &str) -> Refusal {
    error(503, &format!("server busy: {why}; try again shortly"))
}
