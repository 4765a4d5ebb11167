//! Clean-up on SIGINT, SIGTERM and SIGHUP where no JavaScript listener can do it: a process
//! whose main thread never loads the package, only worker threads do (Node delivers signals
//! to the main thread's listeners only).
//!
//! A native handler stands in for the signal's disposition as it was when the guard was
//! installed, and leaves everything to it but the clean-up:
//! - if that disposition ends the process (the default action, or a handler installed with
//!   `SA_RESETHAND`, as Node's own SIGINT and SIGTERM handlers that reset the terminal and
//!   re-raise are), the handler wakes a clean-up thread, waits a bounded time for it, puts the
//!   old disposition back and re-raises: the process dies of the signal as it would have;
//! - any other handler (libuv's, once the application listens in JavaScript; another native
//!   library's) is called as it would have been, and nothing is removed: it decides.
//! - an ignored signal stays ignored: no handler is installed for it.
//!
//! A JavaScript listener added later (the application's, or the package's own stand-in on
//! the main thread) makes libuv replace this handler, which is what should happen: then the
//! JavaScript side decides. When the last such listener goes, libuv sets the default back, and
//! nothing would clean up any more: so before each scratch is created the handler is put back
//! wherever the disposition is the default again ([`rearm_signal_guard`]). Only `write`, `poll`, `sigaction` and `raise` run in the handler,
//! all async-signal-safe; the clean-up itself (a lock, file removals) runs on its own thread.

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

const SIGNALS: [c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// How long a signal waits for the clean-up: longer than the live set's own wait for creates
/// under way (1 s), short enough that a hung file system cannot hold the process's end for long.
const CLEAN_UP_WAIT_MS: c_int = 3_000;

/// Written by the handler to wake the clean-up thread.
static WAKE: AtomicI32 = AtomicI32::new(-1);
/// Readable once the clean-up has run.
static DONE: AtomicI32 = AtomicI32::new(-1);
static CLEANED: AtomicBool = AtomicBool::new(false);
/// Set once the guard is in place: only then is it ever put back.
static GUARDED: AtomicBool = AtomicBool::new(false);

/// How many times each signal's handler may take its place. Each time records the disposition
/// it replaced in a slot of its own, written once, so the handler never reads a half-written
/// one; an application that adds and removes its last listener more often than this keeps the
/// default from then on.
const PLACINGS: usize = 64;
/// The disposition each signal had before the handler took its place, one slot per placing.
static PREVIOUS: [[OnceLock<libc::sigaction>; PLACINGS]; 3] =
    [const { [const { OnceLock::new() }; PLACINGS] }; 3];
/// Per signal, the slot of the latest placing (`NO_SLOT`: none recorded yet or ignored).
static CURRENT: [AtomicUsize; 3] = [const { AtomicUsize::new(NO_SLOT) }; 3];
/// Per signal, how many slots have been taken.
static TAKEN: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];
const NO_SLOT: usize = usize::MAX;

/// Install the guard, once per process; `clean_up` runs on its own thread when a signal that
/// would end the process arrives. A failure leaves the process as it was.
pub fn guard_signals(clean_up: fn()) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if start_clean_up_thread(clean_up).is_ok() {
            keep_loaded();
            for index in 0..SIGNALS.len() {
                put_in_place(index);
            }
            GUARDED.store(true, Ordering::SeqCst);
        }
    });
}

/// Put the handler back for each signal whose disposition is the default again: libuv sets the
/// default when the main thread's last JavaScript listener for it goes, and a worker's publish
/// would then be left to the default action. Three `sigaction` queries where the guard is in
/// place; nothing elsewhere. A publish already under way when the listener went is covered
/// from the next scratch created on.
pub fn rearm_signal_guard() {
    if !GUARDED.load(Ordering::Relaxed) {
        return;
    }
    for (index, &signal) in SIGNALS.iter().enumerate() {
        // SAFETY: queries the disposition into a zeroed local.
        let is_default = unsafe {
            let mut now: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, std::ptr::null(), &mut now) == 0
                && now.sa_sigaction == libc::SIG_DFL
        };
        if is_default {
            put_in_place(index);
        }
    }
}

fn start_clean_up_thread(clean_up: fn()) -> std::io::Result<()> {
    let (wake_read, wake_write) = pipe()?;
    let (done_read, done_write) = pipe()?;
    WAKE.store(wake_write, Ordering::SeqCst);
    DONE.store(done_read, Ordering::SeqCst);
    // The clean-up thread must never take the signal itself: it would wait for its own work.
    spawn_with_signals_blocked(move || loop {
        let mut byte = 0u8;
        // SAFETY: reads one byte into a live local from a descriptor this thread owns.
        let n = unsafe { libc::read(wake_read, (&raw mut byte).cast(), 1) };
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            return;
        }
        clean_up();
        CLEANED.store(true, Ordering::SeqCst);
        // SAFETY: writes one byte from a live local; the pipe is never closed.
        unsafe { libc::write(done_write, (&raw const byte).cast(), 1) };
    })
}

/// Take the signal's place, reading the old disposition in the same call (so a JavaScript
/// listener's handler installed just before is recorded, not lost). An ignored signal is given
/// straight back: it stays ignored (a process started under nohup keeps its SIGHUP).
fn put_in_place(index: usize) {
    let signal = SIGNALS[index];
    let slot = TAKEN[index].fetch_add(1, Ordering::SeqCst);
    if slot >= PLACINGS {
        return;
    }
    // SAFETY: a fully initialised action whose handler is an `extern "C"` function of the
    // SA_SIGINFO shape; its mask blocks the three signals while it runs.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        for s in SIGNALS {
            libc::sigaddset(&mut action.sa_mask, s);
        }
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signal, &action, &mut old) != 0 {
            return;
        }
        if old.sa_sigaction == libc::SIG_IGN {
            libc::sigaction(signal, &old, std::ptr::null_mut());
            CURRENT[index].store(NO_SLOT, Ordering::SeqCst);
            return;
        }
        // Another thread put it back a moment ago: what it recorded still stands.
        if old.sa_sigaction == on_signal as *const () as libc::sighandler_t {
            return;
        }
        if PREVIOUS[index][slot].set(old).is_ok() {
            CURRENT[index].store(slot, Ordering::SeqCst);
        }
    }
}

/// Does this disposition end the process? The default action of these three signals does,
/// and so does a one-shot handler (Node's own: reset the terminal, then re-raise).
fn ends_process(action: &libc::sigaction) -> bool {
    action.sa_sigaction == libc::SIG_DFL || action.sa_flags & libc::SA_RESETHAND != 0
}

extern "C" fn on_signal(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let saved = errno();
    // Not yet recorded (the handler took its place a moment ago) or ignored: nothing to do.
    let Some(&previous) = SIGNALS
        .iter()
        .position(|&s| s == signal)
        .and_then(|i| PREVIOUS[i].get(CURRENT[i].load(Ordering::SeqCst)))
        .and_then(OnceLock::get)
    else {
        return;
    };
    if !ends_process(&previous) {
        chain(&previous, signal, info, context);
        set_errno(saved);
        return;
    }
    if !CLEANED.load(Ordering::SeqCst) {
        let byte = 1u8;
        // SAFETY: write(2) and poll(2) are async-signal-safe; the descriptors live for the
        // process's lifetime.
        unsafe {
            libc::write(WAKE.load(Ordering::SeqCst), (&raw const byte).cast(), 1);
            let mut ready = libc::pollfd {
                fd: DONE.load(Ordering::SeqCst),
                events: libc::POLLIN,
                revents: 0,
            };
            // A signal interrupting the wait shortens it; the wait stays bounded either way.
            for _ in 0..3 {
                if libc::poll(&mut ready, 1, CLEAN_UP_WAIT_MS) >= 0 {
                    break;
                }
            }
        }
    }
    // The old disposition back, and the signal again: it is delivered to it once this returns
    // (it is blocked while its own handler runs).
    // SAFETY: sigaction(2) and raise(3) are async-signal-safe; `previous` is a valid action.
    unsafe {
        libc::sigaction(signal, &previous, std::ptr::null_mut());
        libc::raise(signal);
    }
    set_errno(saved);
}

/// Call the handler that was in place before, as the kernel would have.
fn chain(
    previous: &libc::sigaction,
    signal: c_int,
    info: *mut libc::siginfo_t,
    context: *mut c_void,
) {
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        return;
    }
    // SAFETY: a handler other than SIG_DFL/SIG_IGN is a function of the shape its flags say.
    unsafe {
        if previous.sa_flags & libc::SA_SIGINFO != 0 {
            let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                std::mem::transmute(handler);
            f(signal, info, context);
        } else {
            let f: extern "C" fn(c_int) = std::mem::transmute(handler);
            f(signal);
        }
    }
}

fn pipe() -> std::io::Result<(c_int, c_int)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: pipe(2) fills two descriptors; fcntl(2) only sets flags on them.
    unsafe {
        if libc::pipe(fds.as_mut_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        for fd in fds {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        // The handler must never block on a full pipe.
        libc::fcntl(fds[1], libc::F_SETFL, libc::O_NONBLOCK);
    }
    Ok((fds[0], fds[1]))
}

/// A thread inherits its creator's signal mask: block the three while creating it.
fn spawn_with_signals_blocked(body: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    // SAFETY: pthread_sigmask only changes this thread's mask, restored below.
    unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        for s in SIGNALS {
            libc::sigaddset(&mut block, s);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        let spawned = std::thread::Builder::new()
            .name("atomic-publish-signals".into())
            .spawn(body);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        spawned.map(drop)
    }
}

/// The handler and the clean-up thread outlive the worker that installed them: pin the library
/// in memory, should the addon be unloaded when the last environment that loaded it ends.
fn keep_loaded() {
    // SAFETY: dladdr fills `info` for an address inside this library; dlopen with RTLD_NOLOAD
    // only takes another reference to the already loaded library, never released.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(on_signal as *const c_void, &mut info) != 0 && !info.dli_fname.is_null() {
            libc::dlopen(
                info.dli_fname,
                libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
            );
        }
    }
}

fn errno() -> c_int {
    // SAFETY: the thread's errno location is always valid.
    unsafe { *errno_location() }
}

fn set_errno(value: c_int) {
    // SAFETY: as above.
    unsafe { *errno_location() = value }
}

#[cfg(target_os = "linux")]
unsafe fn errno_location() -> *mut c_int {
    libc::__errno_location()
}

#[cfg(target_vendor = "apple")]
unsafe fn errno_location() -> *mut c_int {
    libc::__error()
}
