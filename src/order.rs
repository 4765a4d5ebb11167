//! Call order for publishes to one target (guarantee 7): the last call's bytes win.
//!
//! Every publish takes a [`Ticket`] when it is *called* (on the JS thread, before any I/O), so
//! tickets number publishes in call order. Publishes then run concurrently on the thread pool
//! and may finish in any order, so the rename is the only ordered step: under a lock for that
//! one target, a publish renames only if no later ticket has already committed there; if one
//! has, it is *superseded*, removes its scratch and reports that instead. Different targets
//! never share a lock.
//!
//! A target's record must outlive every publish that might still commit to it, otherwise an
//! old publish arriving late would find no record and win. A ticket *binds* to its target's
//! record once the target is resolved, and holds it; a ticket not yet bound could still turn
//! out to be for any target. So a record may go once no bound ticket holds it and its last
//! commit is older than every unbound ticket: whoever commits there next is newer anyway.
//! Records are pruned when their number doubles, so the walk costs O(1) per call amortised,
//! whatever tickets stay alive meanwhile (a long stream holds only its own record).
//!
//! A sync call cannot wait for earlier calls (guarantee 7). The JavaScript side refuses one
//! that would overtake an earlier call to the same path; a record also keeps the tickets bound
//! to it and still alive, so that a sync call reaching the same file through another spelling
//! (a symlink) or from another thread is refused here, once it knows its file, on the same
//! rule: a no-overwrite call after any call still under way, an ordinary one after a
//! no-overwrite one.

use crate::target::{self, FileKey};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Never prune below this many records: small maps are cheaper to keep than to walk.
const PRUNE_FLOOR: usize = 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The last commit to one target.
#[derive(Debug, Default)]
pub struct Commit {
    /// The ticket of the last publish that renamed onto this target (0: none yet).
    pub ticket: u64,
    /// Whether that publish's bytes were fsynced before its rename.
    pub synced: bool,
}

/// What call order knows of one target. The calls under way have a lock of their own: the
/// commit's is held across a rename, and a ticket retired on the JS thread must not wait
/// for one.
#[derive(Debug, Default)]
pub struct TargetRecord {
    commit: Mutex<Commit>,
    /// Tickets bound here and still alive, each with whether it may not overwrite.
    under_way: Mutex<BTreeMap<u64, bool>>,
}

impl TargetRecord {
    /// Would a sync call with `seq` overtake a call under way whose answer it could change,
    /// or that could change its own?
    fn overtaken_by(under_way: &BTreeMap<u64, bool>, seq: u64, exclusive: bool) -> bool {
        under_way
            .range(..seq)
            .any(|(_, &earlier_exclusive)| exclusive || earlier_exclusive)
    }
}

type Record = Arc<TargetRecord>;

/// What is known of a call that has not yet found its file.
#[derive(Debug, Clone)]
struct Unbound {
    /// It may not overwrite.
    exclusive: bool,
    /// The path it was called with, where known.
    path: Option<PathBuf>,
}

/// Past this many earlier calls to look up, a sync call is refused rather than stat them all.
const LOOKUP_LIMIT: usize = 1024;

#[derive(Default)]
struct Registry {
    next: u64,
    /// Tickets issued and not yet bound to a target, nor retired.
    unbound: BTreeMap<u64, Unbound>,
    records: HashMap<FileKey, Record>,
    prune_at: usize,
}

impl Registry {
    fn oldest_unbound(&self) -> u64 {
        self.unbound.keys().next().copied().unwrap_or(self.next)
    }

    fn prune_if_due(&mut self) {
        if self.records.len() < self.prune_at.max(PRUNE_FLOOR) {
            return;
        }
        let oldest = self.oldest_unbound();
        // Held by a bound ticket (strong count > 1): in use. Otherwise only a commit no older
        // than some unbound ticket still decides anything.
        self.records
            .retain(|_, r| Arc::strong_count(r) > 1 || lock(&r.commit).ticket >= oldest);
        self.prune_at = self.records.len() * 2;
    }
}

fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    lock(REGISTRY.get_or_init(|| {
        Mutex::new(Registry {
            next: 1,
            ..Default::default()
        })
    }))
}

/// A publish's place in call order. Dropping it retires it.
#[derive(Debug)]
pub struct Ticket {
    seq: u64,
    /// Taken by a sync call, which cannot wait for earlier ones.
    sync: bool,
    /// The call will never publish (its abort was accepted): nothing waits for it.
    withdrawn: AtomicBool,
    record: Mutex<Option<Record>>,
}

/// A sync call would overtake earlier calls to its file that are still under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPending;

impl Ticket {
    /// Take the next place in call order for an ordinary async call.
    pub fn issue() -> Self {
        Self::take(false, false, None)
    }

    /// Take the next place in call order for an async call to `path` (`None`: not known
    /// yet) that may (or, `exclusive`, may not) overwrite.
    pub fn issue_for(exclusive: bool, path: Option<PathBuf>) -> Self {
        Self::take(false, exclusive, path)
    }

    /// Take the next place in call order for a sync call to `path` (see [`Ticket::enter`]).
    /// Until it has found its file, a sync call on another thread checks it by this path;
    /// without one it could be any file, and would hold back every call it might overtake.
    pub fn issue_sync(exclusive: bool, path: Option<PathBuf>) -> Self {
        Self::take(true, exclusive, path)
    }

    fn take(sync: bool, exclusive: bool, path: Option<PathBuf>) -> Self {
        let mut reg = registry();
        let seq = reg.next;
        reg.next += 1;
        reg.unbound.insert(seq, Unbound { exclusive, path });
        Self {
            seq,
            sync,
            withdrawn: AtomicBool::new(false),
            record: Mutex::new(None),
        }
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Tie this ticket to `target` (the file's key, the same for every spelling of it), once
    /// the publish knows it. From then on the target's record lives at least as long as this
    /// ticket.
    pub fn bind(&self, target: &FileKey) -> Record {
        self.bind_as(target, false, false)
            .expect("binding unchecked is never refused")
    }

    /// Bind to `target` as a call that may (or, `exclusive`, may not) overwrite. A sync
    /// ticket is refused, and stays unbound, where it would overtake an earlier call under
    /// way there that it cannot wait for.
    pub fn enter(&self, target: &FileKey, exclusive: bool) -> Result<(), OrderPending> {
        self.bind_as(target, exclusive, self.sync).map(drop)
    }

    fn bind_as(
        &self,
        target: &FileKey,
        exclusive: bool,
        check: bool,
    ) -> Result<Record, OrderPending> {
        if check && self.behind_unbound(target, exclusive) {
            return Err(OrderPending);
        }
        let mut reg = registry();
        reg.prune_if_due();
        let record = reg.records.entry(target.clone()).or_default().clone();
        let mut under_way = lock(&record.under_way);
        if check && TargetRecord::overtaken_by(&under_way, self.seq, exclusive) {
            return Err(OrderPending);
        }
        reg.unbound.remove(&self.seq);
        // Bound before it counts as under way, so that `withdraw` finds what to undo.
        *lock(&self.record) = Some(record.clone());
        if !self.withdrawn.load(Ordering::SeqCst) {
            under_way.insert(self.seq, exclusive);
        }
        drop(under_way);
        Ok(record)
    }

    /// Is an earlier call that has not yet found its file possibly for `target`, where this
    /// sync call could change its answer or it this one's? It may be this very file under
    /// another spelling or from another thread. Its path is looked up here, outside the
    /// registry lock; one that binds meanwhile is checked as under way by the caller.
    fn behind_unbound(&self, target: &FileKey, exclusive: bool) -> bool {
        // Many calls queued on a few files are a few look-ups.
        let mut candidates: HashSet<Option<PathBuf>> = HashSet::new();
        for (_, earlier) in registry().unbound.range(..self.seq) {
            if (exclusive || earlier.exclusive)
                && candidates.insert(earlier.path.clone())
                && candidates.len() > LOOKUP_LIMIT
            {
                break;
            }
        }
        candidates.len() > LOOKUP_LIMIT
            || candidates.iter().any(|path| match path {
                // A path whose directory is missing now is not in `target`'s, which exists.
                Some(path) => target::key_now(path).is_some_and(|key| &key == target),
                None => true,
            })
    }

    /// The call will never publish (its abort was accepted, before its rename): later sync
    /// calls need not wait for it, though its clean-up may still be running.
    pub fn withdraw(&self) {
        self.withdrawn.store(true, Ordering::SeqCst);
        let mut reg = registry();
        let bound = lock(&self.record).clone();
        match &bound {
            // Nothing waits for it any more, as if it were done.
            None => {
                reg.unbound.remove(&self.seq);
            }
            Some(_) => drop(reg),
        }
        if let Some(record) = bound {
            lock(&record.under_way).remove(&self.seq);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let bound = lock(&self.record).take();
        match bound {
            Some(record) => {
                lock(&record.under_way).remove(&self.seq);
            }
            None => {
                registry().unbound.remove(&self.seq);
            }
        }
    }
}

/// Run `rename` for `ticket` unless a later ticket has committed to `target`. `Ok(Err(last))`
/// when superseded, with what the later commit did. An `Err` from `rename` means nothing was
/// renamed; anything it returns as `Ok` (even a failure after the rename) counts as a commit,
/// `synced` saying whether the renamed bytes had been fsynced.
pub fn commit_in_order<T, E>(
    target: &FileKey,
    ticket: &Ticket,
    synced: bool,
    rename: impl FnOnce() -> Result<T, E>,
) -> Result<Result<T, Superseded>, E> {
    let bound = lock(&ticket.record).clone();
    let record = bound.unwrap_or_else(|| ticket.bind(target));
    let mut last = lock(&record.commit);
    if last.ticket > ticket.seq {
        return Ok(Err(Superseded {
            later_synced: last.synced,
        }));
    }
    let done = rename()?;
    last.ticket = ticket.seq;
    last.synced = synced;
    Ok(Ok(done))
}

/// [`commit_in_order`] for a publish that may not replace a file (`withOverwrite(false)`): it
/// is never superseded, since its answer must be its own rename's (EEXIST where a file is
/// there, whoever put it there). A success counts as the target's last commit only when no
/// later ticket has committed there already.
pub fn commit_exclusive<T, E>(
    target: &FileKey,
    ticket: &Ticket,
    synced: bool,
    rename: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let bound = lock(&ticket.record).clone();
    let record = bound.unwrap_or_else(|| ticket.bind(target));
    let mut last = lock(&record.commit);
    let done = rename()?;
    if last.ticket < ticket.seq {
        last.ticket = ticket.seq;
        last.synced = synced;
    }
    Ok(done)
}

/// A later call committed to the target first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Superseded {
    /// Whether the bytes that overtook this publish were fsynced before their rename.
    pub later_synced: bool,
}

/// How many target records are kept (for tests of pruning).
#[cfg(test)]
fn record_count() -> usize {
    registry().records.len()
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
