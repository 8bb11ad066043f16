//! Two cores for one product: a single worker thread, started on first use and parked on a
//! condition variable between jobs, so splitting a product in two costs no thread spawn and
//! no allocation. Used by [`crate::matmul`] for products large enough to pay the hand-off.
//!
//! Only one split runs at a time; a caller that finds the worker busy (another thread's
//! product, or a product started from the worker itself) runs both halves on its own thread.

use std::sync::{Condvar, Mutex, OnceLock, TryLockError};
use std::thread;

/// A job: a borrowed closure, valid until the caller of [`split2`] has seen `done`.
#[derive(Clone, Copy)]
struct Job(*const (dyn Fn(usize) + Sync));
// SAFETY: the closure is `Sync`, and `split2` keeps it alive until the worker reports done.
unsafe impl Send for Job {}

#[derive(Default)]
struct State {
    job: Option<Job>,
    done: bool,
}

struct Pool {
    busy: Mutex<()>,
    state: Mutex<State>,
    job_ready: Condvar,
    job_done: Condvar,
}

fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<&'static Pool>> = OnceLock::new();
    *POOL.get_or_init(|| {
        if thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            return None;
        }
        let p: &'static Pool = Box::leak(Box::new(Pool {
            busy: Mutex::new(()),
            state: Mutex::new(State::default()),
            job_ready: Condvar::new(),
            job_done: Condvar::new(),
        }));
        thread::Builder::new()
            .name("bplab-matmul".into())
            .spawn(move || worker(p))
            .ok()
            .map(|_| p)
    })
}

fn worker(p: &'static Pool) {
    loop {
        let job = {
            let mut s = p.state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(j) = s.job.take() {
                    break j;
                }
                s = p.job_ready.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        };
        // SAFETY: see `Job`; the caller waits for `done` before the closure goes away.
        let f = unsafe { &*job.0 };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(1)));
        let mut s = p.state.lock().unwrap_or_else(|e| e.into_inner());
        s.done = true;
        p.job_done.notify_one();
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
    {
        let mut s = p.state.lock().unwrap_or_else(|e| e.into_inner());
        s.done = false;
        s.job = Some(job);
        p.job_ready.notify_one();
    }
    let mine = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(0)));
    let mut s = p.state.lock().unwrap_or_else(|e| e.into_inner());
    while !s.done {
        s = p.job_done.wait(s).unwrap_or_else(|e| e.into_inner());
    }
    drop(s);
    if let Err(panic) = mine {
        std::panic::resume_unwind(panic);
    }
}
