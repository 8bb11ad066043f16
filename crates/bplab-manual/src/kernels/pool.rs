//! Every core for one product: a persistent pool of worker threads (one fewer than
//! [`std::thread::available_parallelism`], started on first use), so splitting a product costs
//! no thread spawn and no allocation. [`run`] hands out the parts of a job by an atomic counter
//! to the calling thread and every worker; [`set_threads`] caps how many parts a product is cut
//! into (`bplab bench --threads`).
//!
//! A job is a thin pointer to the caller's closure and a function monomorphized for its type
//! (no trait object, no lifetime erased by `transmute`): valid because [`run`] returns only
//! after every part has finished, the job is closed, and no worker is still inside it. The
//! caller claims parts too and never waits for a worker that has not woken up (on a loaded
//! machine the OS may not schedule it for milliseconds): a late worker finds the job closed. A
//! panic in any part is caught where it happens, the other parts finish, and [`run`] resumes
//! the first panic on the calling thread (on the pool or inline alike).
//!
//! Hand-offs are counted in atomics (`posted`, `done`, `closed`, `entered`). Both sides spin for a short while
//! before sleeping on a condition variable: the matrix products of one training step come
//! microseconds apart, and waking a sleeping thread (a futex call, and on a virtual machine a
//! halted virtual CPU) can cost more than a whole small product. The sleep protocol (count the
//! sleeper, re-check under the lock) loses no wake-up. Only one job runs at a time; a caller
//! that finds the pool busy (another thread's product, or one started from inside a part) runs
//! every part itself.

use std::any::Any;
use std::cell::UnsafeCell;
use std::hint::spin_loop;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

/// How long a waiting side polls before sleeping.
const SPIN: Duration = Duration::from_micros(200);

/// The cap set by [`set_threads`] (0: every core).
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The cores this process may use, asked once: `available_parallelism` reads the cgroup
/// quota files on Linux (allocations and system calls), far too slow for every product.
pub fn available() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Caps the threads one product uses at `n` (0 or more than [`available`]: every core).
pub fn set_threads(n: usize) {
    THREADS.store(n, SeqCst);
}

/// The threads one product uses: the [`set_threads`] cap, at most [`available`].
pub fn threads() -> usize {
    match THREADS.load(SeqCst) {
        0 => available(),
        n => n.min(available()),
    }
}

/// A posted job: the caller's closure behind a thin pointer, and how to call it.
#[derive(Clone, Copy)]
struct Job {
    data: *const (),
    call: unsafe fn(*const (), usize),
    parts: usize,
}

/// # Safety
/// `data` points to a live `F`.
unsafe fn call<F: Fn(usize) + Sync>(data: *const (), i: usize) {
    unsafe { (*data.cast::<F>())(i) }
}

struct Pool {
    /// Held by the one caller whose job is in flight.
    busy: Mutex<()>,
    /// Written by the caller holding `busy` before `posted` is bumped; read by workers after.
    job: UnsafeCell<Option<Job>>,
    next: AtomicUsize,
    /// Parts of the current job finished.
    done: AtomicUsize,
    /// The generation of the last job posted, and of the last one closed.
    posted: AtomicU64,
    closed: AtomicU64,
    /// Workers between "saw a job" and "done with it".
    entered: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    workers_sleeping: AtomicUsize,
    caller_sleeping: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

// SAFETY: `job` is written only by the caller holding `busy`, after the previous job was
// closed with no worker inside it, and before it publishes the new one through `posted`
// (SeqCst); workers read it only after observing that increment, entering, and finding it
// open. The closure is `Sync` and outlives the job (the caller waits until no worker is inside).
unsafe impl Sync for Pool {}

fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<&'static Pool>> = OnceLock::new();
    *POOL.get_or_init(|| {
        let workers = available().saturating_sub(1);
        if workers == 0 {
            return None;
        }
        let p: &'static Pool = Box::leak(Box::new(Pool {
            busy: Mutex::new(()),
            job: UnsafeCell::new(None),
            next: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            posted: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            entered: AtomicUsize::new(0),
            panic: Mutex::new(None),
            workers_sleeping: AtomicUsize::new(0),
            caller_sleeping: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }));
        for w in 0..workers {
            let spawned = thread::Builder::new()
                .name(format!("bplab-matmul-{w}"))
                .spawn(move || worker(p));
            if spawned.is_err() {
                return None; // no worker started yet, or `posted` never moves: callers run inline
            }
        }
        Some(p)
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits until `done()`: spin for [`SPIN`], then sleep counted in `sleeping`.
fn wait_for(p: &Pool, done: impl Fn() -> bool, sleeping: &AtomicUsize) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > SPIN {
            let mut g = lock(&p.lock);
            sleeping.fetch_add(1, SeqCst);
            while !done() {
                g = p.wake.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            sleeping.fetch_sub(1, SeqCst);
            return;
        }
        spin_loop();
    }
}

/// Wakes the sleepers counted in `sleeping`, if any.
fn wake(p: &Pool, sleeping: &AtomicUsize) {
    if sleeping.load(SeqCst) > 0 {
        let _g = lock(&p.lock);
        p.wake.notify_all();
    }
}

/// Claims and runs parts of `job` until none is left; a panic is kept for the caller.
fn claim(p: &Pool, job: Job) {
    loop {
        let i = p.next.fetch_add(1, SeqCst);
        if i >= job.parts {
            return;
        }
        // SAFETY: the job's closure is alive until every worker has acknowledged it.
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| unsafe { (job.call)(job.data, i) })) {
            lock(&p.panic).get_or_insert(e);
        }
        p.done.fetch_add(1, SeqCst);
    }
}

fn worker(p: &'static Pool) {
    let mut seen = 0;
    loop {
        wait_for(p, || p.posted.load(SeqCst) > seen, &p.workers_sleeping);
        seen = p.posted.load(SeqCst);
        p.entered.fetch_add(1, SeqCst);
        // A job still open after we entered stays posted until we leave (the caller closes it,
        // then waits for `entered` to drop to zero before posting the next one).
        if p.closed.load(SeqCst) < seen {
            // SAFETY: the caller wrote job `seen` before bumping `posted`, and cannot replace it
            // or return while we are entered and it is open.
            if let Some(job) = unsafe { *p.job.get() } {
                claim(p, job);
            }
        }
        p.entered.fetch_sub(1, SeqCst);
        wake(p, &p.caller_sleeping);
    }
}

/// Runs `f(0)`, …, `f(parts − 1)` on this thread and the pool's workers, and returns when all
/// have finished; a panic in any part is resumed here after every part has finished.
pub fn run<F: Fn(usize) + Sync>(parts: usize, f: &F) {
    // Inline (no pool, or the pool busy with another product): the same contract, every part
    // runs and the first panic is resumed after the last.
    let inline = || {
        let mut first = None;
        for i in 0..parts {
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| f(i))) {
                first.get_or_insert(e);
            }
        }
        if let Some(e) = first {
            resume_unwind(e);
        }
    };
    let Some(p) = pool().filter(|_| parts > 1) else {
        return inline();
    };
    let _guard = match p.busy.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => return inline(),
    };
    let job = Job {
        data: (f as *const F).cast(),
        call: call::<F>,
        parts,
    };
    // SAFETY: we hold `busy`, and the previous job was closed with no worker inside it, so
    // nobody reads `job` now.
    unsafe { *p.job.get() = Some(job) };
    p.next.store(0, SeqCst);
    p.done.store(0, SeqCst);
    let generation = p.posted.fetch_add(1, SeqCst) + 1;
    wake(p, &p.workers_sleeping);
    claim(p, job);
    // Wait only for parts a worker is running, never for a worker that has not woken up: a
    // worker the OS has not scheduled yet finds the job closed and skips it.
    wait_for(p, || p.done.load(SeqCst) == parts, &p.caller_sleeping);
    p.closed.store(generation, SeqCst);
    wait_for(p, || p.entered.load(SeqCst) == 0, &p.caller_sleeping);
    let panicked = lock(&p.panic).take();
    if let Some(e) = panicked {
        resume_unwind(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_once_and_a_panic_in_any_part_reaches_the_caller() {
        let hits: Vec<AtomicUsize> = (0..7).map(|_| AtomicUsize::new(0)).collect();
        run(7, &|i| {
            hits[i].fetch_add(1, SeqCst);
        });
        assert!(hits.iter().all(|h| h.load(SeqCst) == 1));
        for bad in 0..3 {
            let done = AtomicUsize::new(0);
            let caught = catch_unwind(AssertUnwindSafe(|| {
                run(3, &|i| {
                    if i == bad {
                        panic!("part {i} failed");
                    }
                    done.fetch_add(1, SeqCst);
                })
            }));
            let msg = caught.expect_err("the panic propagates");
            assert_eq!(
                msg.downcast_ref::<String>().unwrap(),
                &format!("part {bad} failed")
            );
            assert_eq!(done.load(SeqCst), 2, "the other parts finished");
        }
        // Inline (the pool is busy with the outer job): the same contract.
        let inner_done = AtomicUsize::new(0);
        run(2, &|outer| {
            if outer == 0 {
                let caught = catch_unwind(AssertUnwindSafe(|| {
                    run(3, &|i| {
                        if i == 0 {
                            panic!("inner part failed");
                        }
                        inner_done.fetch_add(1, SeqCst);
                    })
                }));
                assert!(caught.is_err(), "the inline panic propagates");
            }
        });
        assert_eq!(
            inner_done.load(SeqCst),
            2,
            "the other inline parts finished"
        );
        // The pool still works after a panic.
        let sum = AtomicUsize::new(0);
        run(4, &|i| {
            sum.fetch_add(i, SeqCst);
        });
        assert_eq!(sum.load(SeqCst), 6);
    }

    #[test]
    fn the_thread_cap_is_at_most_the_cores() {
        assert!(threads() >= 1 && threads() <= available());
    }
}
