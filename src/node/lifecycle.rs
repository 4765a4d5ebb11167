//! What the wrapper needs from the process and its environments: clean-up when a JavaScript
//! environment ends or the process exits, and how many scratch files it may hold open at once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use napi::{Env, Result};
use napi_derive::napi;

use crate::scratch::{close_and_remove, Owner};
use crate::sys;

static NEXT_ENVIRONMENT: AtomicU64 = AtomicU64::new(1);

/// Which environment this is, kept as its instance data: one per environment, not per thread,
/// for an embedder may run several on one thread, or a new one where an ended one ran (an
/// Electron renderer's reload, its subframes).
struct EnvironmentId(Owner);

/// The environment calling in (0 if the wrapper never registered it): publishes are started
/// on its JS thread, so this tells whose they are.
pub fn environment_of(env: &Env) -> Owner {
    match env.get_instance_data::<EnvironmentId>() {
        Ok(Some(id)) => id.0,
        _ => 0,
    }
}

/// Register the calling environment (once, when the wrapper loads in it). When it ends (a
/// worker that exits or is terminated, the main thread at exit, an embedder's context torn
/// down), the scratch files of its publishes still in flight are removed, and no other
/// environment's. The hook and the id go with the environment.
#[napi]
pub fn register_environment(env: Env) -> Result<()> {
    if environment_of(&env) != 0 {
        return Ok(());
    }
    let id = NEXT_ENVIRONMENT.fetch_add(1, Ordering::Relaxed);
    env.set_instance_data(EnvironmentId(id), (), |_| {})?;
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
    clean_up_at_c_exit();
}

/// A last resort behind the JavaScript 'exit' listener, which an application may wipe out
/// (process.removeAllListeners() leaves no listener to put it back): Node ends a process with
/// exit(), which runs the C library's exit handlers. Repeating the clean-up is harmless.
/// Unix only; on Windows the 'exit' listener is the only hook.
#[cfg(unix)]
fn clean_up_at_c_exit() {
    static AT_EXIT: std::sync::Once = std::sync::Once::new();
    AT_EXIT.call_once(|| {
        extern "C" fn at_exit() {
            end_process();
        }
        // SAFETY: registers a plain function with no arguments, as atexit requires.
        unsafe { nix::libc::atexit(at_exit) };
    });
}

#[cfg(not(unix))]
fn clean_up_at_c_exit() {}

/// Called by a worker thread's load: unless the main thread's JavaScript already listens, a
/// native handler removes the scratch in flight on SIGINT, SIGTERM and SIGHUP, for no JavaScript
/// listener off the main thread ever hears them (see `sys::guard_signals`).
#[napi]
pub fn guard_signals_natively() {
    if !MAIN_THREAD_LISTENS.load(Ordering::SeqCst) {
        sys::guard_signals(
            || {
                end_process();
            },
            crate::scratch::any_in_flight,
        );
    }
}

/// How many streams may hold a scratch file open at once: a quarter of the descriptor limit,
/// so the rest of the process keeps its share, within [16, 1024].
#[napi]
pub fn open_scratch_budget() -> u32 {
    (sys::open_file_limit() / 4).clamp(16, 1024) as u32
}
