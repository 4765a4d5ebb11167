//! What the wrapper needs from the process and its environments: clean-up when a JavaScript
//! environment ends or the process exits, and how many scratch files it may hold open at once.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use napi::{Env, Result};
use napi_derive::napi;

use crate::scratch::{close_and_remove, Owner};
use crate::sys;

static NEXT_ENVIRONMENT: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The environment whose JavaScript runs on this thread (each worker has its own thread).
    static ENVIRONMENT: Cell<Owner> = const { Cell::new(0) };
}

/// The environment calling in from this thread: publishes are started on the JS thread, so
/// this tells whose they are.
pub fn current_environment() -> Owner {
    ENVIRONMENT.with(Cell::get)
}

/// Register the calling environment (once, when the wrapper loads in it). When it ends (a
/// worker that exits or is terminated, or the main thread at exit), the scratch files of its
/// publishes still in flight are removed, and no other environment's.
#[napi]
pub fn register_environment(env: Env) -> Result<()> {
    if current_environment() != 0 {
        return Ok(());
    }
    let id = NEXT_ENVIRONMENT.fetch_add(1, Ordering::Relaxed);
    ENVIRONMENT.with(|current| current.set(id));
    env.add_env_cleanup_hook(id, |id| {
        close_and_remove(Some(id));
    })?;
    Ok(())
}

/// Remove the scratch of every publish still in flight, in every environment, and let no
/// publish create one from now on; for an exiting process only.
#[napi]
pub fn remove_in_flight_scratch() -> u32 {
    end_process() as u32
}

fn end_process() -> usize {
    // The process is ending: a pool thread waiting on a FIFO's writer gives up, or the exit
    // would wait for it (libuv joins its threads).
    crate::waits::end_all();
    close_and_remove(None)
}

/// Set once the main thread's JavaScript stands in for SIGINT, SIGTERM and SIGHUP.
static MAIN_THREAD_LISTENS: AtomicBool = AtomicBool::new(false);

/// The main thread's JavaScript takes charge of the signals (it loaded the package).
#[napi]
pub fn main_thread_listens() {
    MAIN_THREAD_LISTENS.store(true, Ordering::SeqCst);
}

/// Called by a worker thread's load: unless the main thread's JavaScript already listens, a
/// native handler removes the scratch in flight on SIGINT, SIGTERM and SIGHUP, for no JavaScript
/// listener off the main thread ever hears them (see `sys::guard_signals`).
#[napi]
pub fn guard_signals_natively() {
    if !MAIN_THREAD_LISTENS.load(Ordering::SeqCst) {
        sys::guard_signals(|| {
            end_process();
        });
    }
}

/// How many streams may hold a scratch file open at once: a quarter of the descriptor limit,
/// so the rest of the process keeps its share, within [16, 1024].
#[napi]
pub fn open_scratch_budget() -> u32 {
    (sys::open_file_limit() / 4).clamp(16, 1024) as u32
}
