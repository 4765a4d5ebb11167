//! Transient failures that succeed a moment later, retried with a short bounded backoff.
//!
//! - EMFILE/ENFILE: under heavy concurrency the process (or system) is briefly out of file
//!   descriptors; another publish closing its files frees one. Failing would turn load into
//!   errors that the caller can do nothing about.
//! - On Windows, a rename onto a file that another process holds open (an antivirus scan, a
//!   search indexer) fails with a sharing violation until it lets go.
//!
//! A caller may instead give a budget of time (the compatibility entry's `timeout`, as
//! atomically defines it): then EPERM, EBUSY, EACCES, EMFILE, ENFILE and EAGAIN are all tried
//! again until it is spent, and a budget of zero tries once.

use std::io;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::order::{self, Superseded, Ticket};
use crate::sys;
use crate::target::FileKey;

const FIRST_DELAY: Duration = Duration::from_millis(1);
const MAX_DELAY: Duration = Duration::from_millis(50);
/// About one second of waiting in all before the error is reported.
const ATTEMPTS: u32 = 25;

/// How long to keep trying: the default number of attempts, or until a caller's budget is spent.
#[derive(Debug, Clone, Copy)]
enum Patience {
    Attempts(u32),
    Until(Instant),
}

impl Patience {
    fn of(budget: Option<Duration>) -> Self {
        match budget {
            Some(budget) => Self::Until(Instant::now() + budget),
            None => Self::Attempts(ATTEMPTS),
        }
    }

    /// May attempt number `made + 1` follow after a pause of `delay`? Returns the pause.
    fn next(self, made: u32, delay: Duration) -> Option<Duration> {
        match self {
            Self::Attempts(most) => (made < most).then_some(delay),
            Self::Until(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| delay.min(left))
            }
        }
    }
}

fn with_backoff<T, E>(
    transient: impl Fn(&E) -> bool,
    op: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    with_patience(Patience::Attempts(ATTEMPTS), transient, op)
}

fn with_patience<T, E>(
    patience: Patience,
    transient: impl Fn(&E) -> bool,
    mut op: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let mut delay = FIRST_DELAY;
    let mut made = 1;
    loop {
        match op() {
            Err(e) if transient(&e) => match patience.next(made, delay) {
                Some(pause) => {
                    sleep(pause);
                    delay = (delay * 2).min(MAX_DELAY);
                    made += 1;
                }
                None => return Err(e),
            },
            done => return done,
        }
    }
}

/// Open something, waiting out a momentary shortage of file descriptors.
pub fn open<T>(op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    with_backoff(sys::is_out_of_descriptors, op)
}

/// [`open`], or with a caller's budget, every failure that budget covers until it is spent.
pub fn open_within<T>(
    budget: Option<Duration>,
    op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    match budget {
        None => open(op),
        Some(_) => with_patience(Patience::of(budget), budgeted_failure, op),
    }
}

fn budgeted_failure(err: &io::Error) -> bool {
    sys::is_out_of_descriptors(err)
        || sys::is_transient_rename_failure(err)
        || sys::is_busy_or_refused(err)
}

/// How a rename in call order ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InOrder {
    Renamed,
    /// A later call committed to the target first; nothing was renamed.
    Superseded(Superseded),
    /// `may_begin` refused (the publish was cancelled); nothing was renamed.
    Aborted,
}

/// How one publish's rename takes part in call order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenameRules {
    /// Were the bytes fsynced before the rename (recorded with the commit)?
    pub synced: bool,
    /// May not replace a file: never superseded, its rename tried whatever came later (see
    /// `order::commit_exclusive`).
    pub exclusive: bool,
    /// A caller's retry budget, instead of the default retries.
    pub budget: Option<Duration>,
}

impl RenameRules {
    /// An ordinary publish: may replace, superseded by later commits, default retries.
    pub fn ordered(synced: bool) -> Self {
        Self {
            synced,
            exclusive: false,
            budget: None,
        }
    }
}

/// Rename in call order (see `order::commit_in_order`, which records `synced` with a
/// commit). Under the target's order lock, each attempt first asks `may_begin` (the point of
/// no return of a cancellable publish), then runs `attempt`. A rename that another process's
/// momentary hold on the target refuses (Windows only; with a budget, everything the budget
/// covers) is tried again: the lock is held for one attempt at a time and never across the
/// wait, so other publishes to that target carry on meanwhile, and call order is checked
/// afresh before every attempt.
pub fn rename_in_order(
    key: &FileKey,
    ticket: &Ticket,
    rules: RenameRules,
    may_begin: impl Fn() -> bool,
    attempt: impl Fn() -> io::Result<()>,
) -> io::Result<InOrder> {
    let transient = |e: &io::Error| match rules.budget {
        None => sys::is_transient_rename_failure(e),
        Some(_) => budgeted_failure(e),
    };
    rename_in_order_when(transient, key, ticket, rules, may_begin, attempt)
}

fn rename_in_order_when(
    transient: impl Fn(&io::Error) -> bool,
    key: &FileKey,
    ticket: &Ticket,
    rules: RenameRules,
    may_begin: impl Fn() -> bool,
    attempt: impl Fn() -> io::Result<()>,
) -> io::Result<InOrder> {
    enum Refused {
        Cancelled,
        Failed(io::Error),
    }
    let is_transient = |r: &Refused| matches!(r, Refused::Failed(e) if transient(e));
    let once = || {
        if !may_begin() {
            return Err(Refused::Cancelled);
        }
        attempt().map_err(Refused::Failed)
    };
    let outcome = with_patience(Patience::of(rules.budget), is_transient, || {
        if rules.exclusive {
            order::commit_exclusive(key, ticket, rules.synced, once).map(Ok)
        } else {
            order::commit_in_order(key, ticket, rules.synced, once)
        }
    });
    match outcome {
        Ok(Ok(())) => Ok(InOrder::Renamed),
        Ok(Err(later)) => Ok(InOrder::Superseded(later)),
        Err(Refused::Cancelled) => Ok(InOrder::Aborted),
        Err(Refused::Failed(e)) => Err(e),
    }
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

    /// Stands in for a Windows sharing violation, which Linux cannot produce.
    fn busy(err: &io::Error) -> bool {
        err.raw_os_error() == Some(nix::libc::EBUSY)
    }

    fn ebusy() -> io::Error {
        io::Error::from_raw_os_error(nix::libc::EBUSY)
    }

    fn key(name: &str) -> FileKey {
        let dir = crate::target::DirId::of(std::path::Path::new(".")).unwrap();
        (dir, format!("retry-test-{name}").into())
    }

    #[test]
    fn a_busy_rename_waits_without_the_order_lock_and_rechecks_order_after() {
        let target = key("busy");
        let older = Ticket::issue();
        let newer = Ticket::issue();
        let attempts = Cell::new(0);
        // The retry decision runs while the first attempt waits. If the order lock were still
        // held, the newer publish committing here would deadlock on it.
        let transient = |e: &io::Error| {
            let waiting = busy(e);
            if waiting {
                let newer_committed =
                    order::commit_in_order(&target, &newer, true, || Ok::<_, ()>(()));
                assert_eq!(newer_committed, Ok(Ok(())));
            }
            waiting
        };
        let in_order = rename_in_order_when(
            transient,
            &target,
            &older,
            RenameRules::ordered(true),
            || true,
            || {
                attempts.set(attempts.get() + 1);
                Err(ebusy())
            },
        );
        // Once the newer publish has committed, the older one is superseded without
        // another attempt at its rename.
        assert!(
            matches!(in_order, Ok(InOrder::Superseded(_))),
            "{in_order:?}"
        );
        assert_eq!(attempts.get(), 1);
    }

    #[test]
    fn a_busy_rename_that_clears_commits_in_order() {
        let target = key("clears");
        let ticket = Ticket::issue();
        let attempts = Cell::new(0);
        let in_order = rename_in_order_when(
            busy,
            &target,
            &ticket,
            RenameRules::ordered(true),
            || true,
            || {
                attempts.set(attempts.get() + 1);
                if attempts.get() < 3 {
                    Err(ebusy())
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(in_order.unwrap(), InOrder::Renamed);
        assert_eq!(attempts.get(), 3);
    }

    #[test]
    fn a_cancel_accepted_before_the_rename_begins_renames_nothing() {
        let target = key("cancelled");
        let older = Ticket::issue();
        let ticket = Ticket::issue();
        let attempts = Cell::new(0);
        let in_order = rename_in_order_when(
            busy,
            &target,
            &ticket,
            RenameRules::ordered(true),
            || false,
            || {
                attempts.set(attempts.get() + 1);
                Ok(())
            },
        );
        assert_eq!(in_order.unwrap(), InOrder::Aborted);
        assert_eq!(attempts.get(), 0);
        // Nothing was committed, so an older publish is not superseded.
        let r = order::commit_in_order(&target, &older, true, || Ok::<_, ()>(()));
        assert_eq!(r, Ok(Ok(())));
    }

    fn eacces_until(clears_after: u32, calls: &Cell<u32>) -> io::Result<u32> {
        calls.set(calls.get() + 1);
        if calls.get() <= clears_after {
            Err(io::Error::from_raw_os_error(nix::libc::EACCES))
        } else {
            Ok(calls.get())
        }
    }

    #[test]
    fn a_budget_waits_out_eacces_until_it_clears() {
        let calls = Cell::new(0);
        let opened = open_within(Some(Duration::from_secs(5)), || eacces_until(3, &calls));
        assert_eq!(opened.unwrap(), 4);
    }

    #[test]
    fn a_spent_budget_reports_the_error_and_a_zero_budget_tries_once() {
        let calls = Cell::new(0);
        let started = Instant::now();
        let opened = open_within(Some(Duration::from_millis(60)), || {
            eacces_until(u32::MAX, &calls)
        });
        assert_eq!(opened.unwrap_err().raw_os_error(), Some(nix::libc::EACCES));
        assert!(calls.get() > 1 && started.elapsed() < Duration::from_secs(1));
        let calls = Cell::new(0);
        assert!(open_within(Some(Duration::ZERO), || eacces_until(u32::MAX, &calls)).is_err());
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn without_a_budget_eacces_is_not_retried() {
        let calls = Cell::new(0);
        assert!(open_within(None, || eacces_until(1, &calls)).is_err());
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn an_exclusive_rename_is_never_superseded() {
        let target = key("exclusive");
        let older = Ticket::issue();
        let newer = Ticket::issue();
        let committed = order::commit_in_order(&target, &newer, true, || Ok::<_, ()>(()));
        assert_eq!(committed, Ok(Ok(())));
        let attempts = Cell::new(0);
        let rules = RenameRules {
            exclusive: true,
            ..RenameRules::ordered(true)
        };
        let in_order = rename_in_order(
            &target,
            &older,
            rules,
            || true,
            || {
                attempts.set(attempts.get() + 1);
                Err(io::Error::from_raw_os_error(nix::libc::EEXIST))
            },
        );
        assert_eq!(attempts.get(), 1, "it tried its own rename");
        assert_eq!(
            in_order.unwrap_err().raw_os_error(),
            Some(nix::libc::EEXIST)
        );
    }

    #[test]
    fn a_rename_is_tried_once_where_nothing_is_transient() {
        let target = key("once");
        let ticket = Ticket::issue();
        let attempts = Cell::new(0);
        let in_order = rename_in_order(
            &target,
            &ticket,
            RenameRules::ordered(true),
            || true,
            || {
                attempts.set(attempts.get() + 1);
                Err(ebusy())
            },
        );
        assert_eq!(in_order.unwrap_err().raw_os_error(), Some(nix::libc::EBUSY));
        assert_eq!(attempts.get(), 1);
    }
}
