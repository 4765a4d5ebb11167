//! Waits on another process, which only that process can end: a FIFO's writer that never
//! comes or stalls. Such a wait runs on a pool thread in short slices (`sys::read_waiting`),
//! and gives up when its own call is cancelled or when the process is ending: libuv joins its
//! threads at exit, so a thread waiting for good would hang `process.exit`.

use std::sync::atomic::{AtomicBool, Ordering};

static ENDING: AtomicBool = AtomicBool::new(false);

/// The process is ending: every wait on another process gives up.
pub fn end_all() {
    ENDING.store(true, Ordering::SeqCst);
}

/// Has the process begun to end?
pub fn ended() -> bool {
    ENDING.load(Ordering::SeqCst)
}
