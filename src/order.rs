//! Call order for publishes to one target (guarantee 7): the last call's bytes win.
//!
//! Every publish takes a [`Ticket`] when it is *called* (on the JS thread, before any I/O), so
//! tickets number publishes in call order. Publishes then run concurrently on the thread pool
//! and may finish in any order, so the rename is the only ordered step: under a lock for that
//! one target, a publish renames only if no later ticket has already committed there; if one
//! has, it is *superseded*, removes its scratch and reports that instead. Either way it then
//! waits for a directory fsync that began after that check (see `dirsync`), so a superseded
//! publish returns only once the bytes that overtook it are durable. Different targets never
//! share a lock.
//!
//! A target's record must outlive every publish that might still commit to it, otherwise an
//! old publish arriving late would find no record and win. Records are therefore dropped only
//! when their last commit is older than every ticket still in flight.

use crate::target::FileKey;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Prune records once there are this many; pruning is a walk over all of them.
const PRUNE_AT: usize = 1024;

static NEXT_TICKET: AtomicU64 = AtomicU64::new(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Tickets not yet retired, ordered so the oldest is cheap to find.
fn in_flight() -> &'static Mutex<BTreeSet<u64>> {
    static IN_FLIGHT: OnceLock<Mutex<BTreeSet<u64>>> = OnceLock::new();
    IN_FLIGHT.get_or_init(Default::default)
}

/// A publish's place in call order. Dropping it retires it.
#[derive(Debug)]
pub struct Ticket {
    seq: u64,
}

impl Ticket {
    /// Take the next place in call order.
    pub fn issue() -> Self {
        let mut flying = lock(in_flight());
        let seq = NEXT_TICKET.fetch_add(1, Ordering::Relaxed);
        flying.insert(seq);
        Self { seq }
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        lock(in_flight()).remove(&self.seq);
    }
}

/// The oldest ticket still in flight, or "none" as the next ticket to be issued.
fn oldest_in_flight() -> u64 {
    let flying = lock(in_flight());
    flying
        .first()
        .copied()
        .unwrap_or_else(|| NEXT_TICKET.load(Ordering::Relaxed))
}

#[derive(Default)]
struct TargetRecord {
    /// The ticket of the last publish that renamed onto this target.
    last_committed: u64,
}

type Records = Mutex<HashMap<FileKey, Arc<Mutex<TargetRecord>>>>;

fn records() -> &'static Records {
    static RECORDS: OnceLock<Records> = OnceLock::new();
    RECORDS.get_or_init(Default::default)
}

fn record_for(target: &FileKey) -> Arc<Mutex<TargetRecord>> {
    let mut all = lock(records());
    if all.len() >= PRUNE_AT {
        let oldest = oldest_in_flight();
        // A record still locked by someone (strong count > 1) is in use: keep it.
        all.retain(|_, r| Arc::strong_count(r) > 1 || lock(r).last_committed >= oldest);
    }
    all.entry(target.clone()).or_default().clone()
}

/// Has a later call already committed to `target`? Cheap check before doing any work.
pub fn is_overtaken(target: &FileKey, ticket: &Ticket) -> bool {
    let record = lock(records()).get(target).cloned();
    record.is_some_and(|r| lock(&r).last_committed > ticket.seq)
}

/// Run `rename` for `ticket` unless a later ticket has committed to `target`; `None` when
/// superseded. An `Err` from `rename` means nothing was renamed; anything it returns as `Ok`
/// (even a failure after the rename) counts as a commit. `target` is the file's key, the
/// same for every spelling of it.
pub fn commit_in_order<T, E>(
    target: &FileKey,
    ticket: &Ticket,
    rename: impl FnOnce() -> Result<T, E>,
) -> Result<Option<T>, E> {
    let record = record_for(target);
    let mut state = lock(&record);
    if state.last_committed > ticket.seq {
        return Ok(None);
    }
    let done = rename()?;
    state.last_committed = ticket.seq;
    Ok(Some(done))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::DirId;
    use std::path::Path;

    /// A key for a made-up file in this process's working directory.
    fn key(name: &str) -> FileKey {
        (
            DirId::of(Path::new(".")).unwrap(),
            format!("order-test-{name}").into(),
        )
    }

    #[test]
    fn tickets_number_calls_in_order() {
        let a = Ticket::issue();
        let b = Ticket::issue();
        assert!(b.seq() > a.seq());
    }

    #[test]
    fn an_older_publish_that_arrives_last_is_superseded() {
        let target = &key("one");
        let older = Ticket::issue();
        let newer = Ticket::issue();
        let mut renamed = Vec::new();
        let r: Result<_, ()> = commit_in_order(target, &newer, || {
            renamed.push("newer");
            Ok(())
        });
        assert_eq!(r, Ok(Some(())));
        assert!(is_overtaken(target, &older));
        let r: Result<_, ()> = commit_in_order(target, &older, || {
            renamed.push("older");
            Ok(())
        });
        assert_eq!(r, Ok(None));
        assert_eq!(renamed, ["newer"]);
    }

    #[test]
    fn a_failed_rename_does_not_count_as_a_commit() {
        let target = &key("two");
        let older = Ticket::issue();
        let newer = Ticket::issue();
        let r: Result<Option<()>, _> = commit_in_order(target, &newer, || Err("disk on fire"));
        assert_eq!(r, Err("disk on fire"));
        let r: Result<_, ()> = commit_in_order(target, &older, || Ok(()));
        assert_eq!(
            r,
            Ok(Some(())),
            "the older bytes are the newest that made it"
        );
    }

    #[test]
    fn different_targets_do_not_order_each_other() {
        let older = Ticket::issue();
        let newer = Ticket::issue();
        let r: Result<_, ()> = commit_in_order(&key("a"), &newer, || Ok(()));
        assert_eq!(r, Ok(Some(())));
        let r: Result<_, ()> = commit_in_order(&key("b"), &older, || Ok(()));
        assert_eq!(r, Ok(Some(())));
    }
}
