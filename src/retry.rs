//! Transient failures that succeed a moment later, retried with a short bounded backoff.
//!
//! - EMFILE/ENFILE: under heavy concurrency the process (or system) is briefly out of file
//!   descriptors; another publish closing its files frees one. Failing would turn load into
//!   errors that the caller can do nothing about.
//! - On Windows, a rename onto a file that another process holds open (an antivirus scan, a
//!   search indexer) fails with a sharing violation until it lets go.

use std::io;
use std::thread::sleep;
use std::time::Duration;

use crate::sys;

const FIRST_DELAY: Duration = Duration::from_millis(1);
const MAX_DELAY: Duration = Duration::from_millis(50);
/// About one second of waiting in all before the error is reported.
const ATTEMPTS: u32 = 25;

fn with_backoff<T>(
    transient: impl Fn(&io::Error) -> bool,
    mut op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    let mut delay = FIRST_DELAY;
    for _ in 1..ATTEMPTS {
        match op() {
            Err(e) if transient(&e) => {
                sleep(delay);
                delay = (delay * 2).min(MAX_DELAY);
            }
            done => return done,
        }
    }
    op()
}

/// Open something, waiting out a momentary shortage of file descriptors.
pub fn open<T>(op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    with_backoff(sys::is_out_of_descriptors, op)
}

/// Rename, waiting out another process's momentary hold on the target (Windows only).
pub fn rename(op: impl FnMut() -> io::Result<()>) -> io::Result<()> {
    with_backoff(sys::is_transient_rename_failure, op)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn emfile_is_retried_until_it_clears() {
        let calls = Cell::new(0);
        let result = open(|| {
            calls.set(calls.get() + 1);
            if calls.get() < 4 {
                Err(io::Error::from_raw_os_error(nix::libc::EMFILE))
            } else {
                Ok(calls.get())
            }
        });
        assert_eq!(result.unwrap(), 4);
    }

    #[test]
    fn other_errors_are_not_retried() {
        let calls = Cell::new(0);
        let result: io::Result<()> = open(|| {
            calls.set(calls.get() + 1);
            Err(io::Error::from_raw_os_error(nix::libc::ENOENT))
        });
        assert!(result.is_err());
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn a_shortage_that_never_clears_is_reported_after_a_bounded_wait() {
        let calls = Cell::new(0);
        let started = std::time::Instant::now();
        let result: io::Result<()> = open(|| {
            calls.set(calls.get() + 1);
            Err(io::Error::from_raw_os_error(nix::libc::ENFILE))
        });
        assert_eq!(result.unwrap_err().raw_os_error(), Some(nix::libc::ENFILE));
        assert_eq!(calls.get(), ATTEMPTS);
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
