//! Two cores for one product: a single worker thread, started on first use, so splitting a
//! product in two costs no thread spawn and no allocation. Used by [`crate::kernels::matmul`] for
//! products large enough to pay the hand-off.
//!
//! Hand-offs are counted in two atomics (`posted`, `finished`). Both sides spin for a short
//! while before sleeping on a condition variable: the matrix products of one training step
//! come microseconds apart, and waking a sleeping thread (a futex call, and on a virtual
//! machine a halted virtual CPU) can cost more than a whole small product. The sleep
//! protocol (flag set, counter re-checked under the lock) loses no wake-up.
//!
//! Only one split runs at a time; a caller that finds the worker busy (another thread's
//! product, or a product started from the worker itself) runs both halves on its own thread.

use std::cell::UnsafeCell;
use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

/// How long the worker keeps polling for the next job, and the caller for the worker's half,
/// before sleeping.
const SPIN: Duration = Duration::from_micros(200);

/// A job: a borrowed closure, valid until the caller of [`split2`] has seen it finished.
#[derive(Clone, Copy)]
struct Job(*const (dyn Fn(usize) + Sync));

struct Pool {
    /// Held by the one caller whose split is in flight.
    busy: Mutex<()>,
    /// Written by the caller holding `busy` before `posted` is bumped; read by the worker after.
    job: UnsafeCell<Option<Job>>,
    posted: AtomicU64,
    finished: AtomicU64,
    worker_sleeping: AtomicBool,
    caller_sleeping: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

// SAFETY: `job` is written only by the caller holding `busy`, before it publishes the job
// through `posted` (SeqCst), and read by the worker only after it observes that increment; the
// closure is `Sync` and outlives the job (the caller waits for `finished`).
unsafe impl Sync for Pool {}

fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<&'static Pool>> = OnceLock::new();
    *POOL.get_or_init(|| {
        if thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            return None;
        }
        let p: &'static Pool = Box::leak(Box::new(Pool {
            busy: Mutex::new(()),
            job: UnsafeCell::new(None),
            posted: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            worker_sleeping: AtomicBool::new(false),
            caller_sleeping: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }));
        thread::Builder::new()
            .name("bplab-matmul".into())
            .spawn(move || worker(p))
            .ok()
            .map(|_| p)
    })
}

fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits until `counter` exceeds `seen`: spin for [`SPIN`], then sleep with `sleeping` set.
fn wait_past(p: &Pool, counter: &AtomicU64, seen: u64, sleeping: &AtomicBool) {
    let start = Instant::now();
    while counter.load(SeqCst) <= seen {
        if start.elapsed() > SPIN {
            let mut g = lock(&p.lock);
            sleeping.store(true, SeqCst);
            while counter.load(SeqCst) <= seen {
                g = p.wake.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            sleeping.store(false, SeqCst);
            return;
        }
        spin_loop();
    }
}

/// Wakes the other side if it went to sleep.
fn wake_if(p: &Pool, sleeping: &AtomicBool) {
    if sleeping.load(SeqCst) {
        let _g = lock(&p.lock);
        p.wake.notify_all();
    }
}

fn worker(p: &'static Pool) {
    let mut seen = 0;
    loop {
        wait_past(p, &p.posted, seen, &p.worker_sleeping);
        seen += 1;
        // SAFETY: the caller wrote the job before bumping `posted`, which we have observed.
        let job = unsafe { *p.job.get() };
        if let Some(job) = job {
            // SAFETY: see `Job`; the caller waits for `finished` before the closure goes away.
            let f = unsafe { &*job.0 };
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(1)));
        }
        p.finished.store(seen, SeqCst);
        wake_if(p, &p.caller_sleeping);
    }
}

/// Runs `f(0)` on this thread and `f(1)` on the worker, and returns when both have finished
/// (or runs both here when there is no free worker).
pub fn split2(f: &(dyn Fn(usize) + Sync)) {
    let Some(p) = pool() else {
        f(0);
        f(1);
        return;
    };
    let _guard = match p.busy.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => {
            f(0);
            f(1);
            return;
        }
    };
    // SAFETY (lifetime erasure): we wait below until the worker has finished with `f`.
    let job = Job(unsafe {
        std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const (dyn Fn(usize) + Sync)>(f)
    });
    // SAFETY: we hold `busy`, and the worker has finished every earlier job (we waited), so
    // nobody reads `job` now.
    unsafe { *p.job.get() = Some(job) };
    let n = p.posted.fetch_add(1, SeqCst) + 1;
    wake_if(p, &p.worker_sleeping);
    let mine = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(0)));
    wait_past(p, &p.finished, n - 1, &p.caller_sleeping);
    if let Err(panic) = mine {
        std::panic::resume_unwind(panic);
    }
}
