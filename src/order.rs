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
//! The JavaScript side orders the calls to one path. A record also keeps the tickets bound to
//! it and still alive, so that a call reaching the same file through another spelling (a
//! symlink, a symlinked directory) or from another thread is held back here, once it knows its
//! file, on the same rule: a no-overwrite call behind any earlier call still under way, an
//! ordinary one behind an earlier no-overwrite one ([`Ticket::enter`]). A sync call so held
//! back fails (it cannot wait); an async one is answered [`OrderPending`] before it has
//! created anything, keeps its place (unbound), and is submitted again by the JavaScript side
//! a little later. Nothing ever waits on a pool thread: a pool full of waiting calls could
//! never run the ones they wait for. Only earlier calls hold a call back, so every wait ends.

use crate::target::{self, FileKey};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    under_way: Mutex<UnderWay>,
}

/// Tickets bound to one target and still alive, with the no-overwrite ones apart, so that
/// either check is one ordered look-up however many calls are under way.
#[derive(Debug, Default)]
struct UnderWay {
    all: BTreeSet<u64>,
    exclusive: BTreeSet<u64>,
}

/// Bound tickets still alive in the whole process, and how many of them may not overwrite:
/// with none of either before it, a call can be held back by nothing (see [`Ticket::alone`]).
static UNDER_WAY: AtomicUsize = AtomicUsize::new(0);
static UNDER_WAY_EXCLUSIVE: AtomicUsize = AtomicUsize::new(0);

impl UnderWay {
    /// Would a call with `seq` overtake a call under way whose answer it could change, or
    /// that could change its own?
    fn holds_back(&self, seq: u64, exclusive: bool) -> bool {
        let earlier = if exclusive {
            &self.all
        } else {
            &self.exclusive
        };
        earlier.range(..seq).next().is_some()
    }

    fn insert(&mut self, seq: u64, exclusive: bool) {
        if self.all.insert(seq) {
            UNDER_WAY.fetch_add(1, Ordering::SeqCst);
        }
        if exclusive && self.exclusive.insert(seq) {
            UNDER_WAY_EXCLUSIVE.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn remove(&mut self, seq: u64) {
        if self.all.remove(&seq) {
            UNDER_WAY.fetch_sub(1, Ordering::SeqCst);
        }
        if self.exclusive.remove(&seq) {
            UNDER_WAY_EXCLUSIVE.fetch_sub(1, Ordering::SeqCst);
        }
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

/// Past this many earlier calls to look up, a call is held back rather than stat them all.
const LOOKUP_LIMIT: usize = 1024;

#[derive(Default)]
struct Registry {
    next: u64,
    /// Tickets issued and not yet bound to a target, nor retired.
    unbound: BTreeMap<u64, Unbound>,
    /// The no-overwrite ones among them: all an ordinary call looks up.
    unbound_exclusive: BTreeSet<u64>,
    records: HashMap<FileKey, Record>,
    prune_at: usize,
}

impl Registry {
    fn add_unbound(&mut self, seq: u64, unbound: Unbound) {
        if unbound.exclusive {
            self.unbound_exclusive.insert(seq);
        }
        self.unbound.insert(seq, unbound);
    }

    fn remove_unbound(&mut self, seq: u64) {
        self.unbound.remove(&seq);
        self.unbound_exclusive.remove(&seq);
    }

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
    /// Held back where it would overtake (see [`Ticket::enter`]); a call made from Rust
    /// directly has no one to submit it again, and is not.
    checked: bool,
    /// The call will never publish (its abort was accepted): nothing waits for it.
    withdrawn: AtomicBool,
    record: Mutex<Option<Record>>,
}

/// A call would overtake earlier calls to its file that are still under way: a sync one fails,
/// an async one is submitted again later (it has created nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPending;

impl Ticket {
    /// Take the next place in call order for an ordinary call whose file is not known yet.
    pub fn issue() -> Self {
        Self::issue_unchecked(false, None)
    }

    /// A place for a call that nothing would submit again (one made from Rust directly): it
    /// is never held back, as [`Ticket::issue_for`]'s are.
    pub fn issue_unchecked(exclusive: bool, path: Option<PathBuf>) -> Self {
        let mut reg = registry();
        let mut ticket = Self::take(&mut reg, exclusive, path);
        ticket.checked = false;
        ticket
    }

    /// Take the next place in call order for a call to `path` (`None`: not known yet) that
    /// may (or, `exclusive`, may not) overwrite. Until it has found its file, a later call
    /// checks it by this path; without one it could be any file, and would hold back every
    /// call it might overtake.
    pub fn issue_for(exclusive: bool, path: Option<PathBuf>) -> Self {
        let mut reg = registry();
        Self::take(&mut reg, exclusive, path)
    }

    /// [`Ticket::issue_for`], only where nothing could hold the call back at [`Ticket::enter`]:
    /// no earlier no-overwrite call alive anywhere in the process, and for a no-overwrite call
    /// no earlier call alive at all. `None` (nothing taken) otherwise. For a call that has no
    /// way to be submitted again; O(1).
    pub fn alone(exclusive: bool, path: Option<PathBuf>) -> Option<Self> {
        let mut reg = registry();
        // Under the registry lock nothing becomes under way except by leaving `unbound`.
        let quiet = if exclusive {
            reg.unbound.is_empty() && UNDER_WAY.load(Ordering::SeqCst) == 0
        } else {
            reg.unbound_exclusive.is_empty() && UNDER_WAY_EXCLUSIVE.load(Ordering::SeqCst) == 0
        };
        quiet.then(|| Self::take(&mut reg, exclusive, path))
    }

    fn take(reg: &mut Registry, exclusive: bool, path: Option<PathBuf>) -> Self {
        let seq = reg.next;
        reg.next += 1;
        reg.add_unbound(seq, Unbound { exclusive, path });
        Self {
            seq,
            checked: true,
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

    /// Bind to `target` as a call that may (or, `exclusive`, may not) overwrite. Refused, and
    /// left unbound (its place kept), where it would overtake an earlier call under way there
    /// (or not yet bound, and for this file) whose answer it could change, or that could
    /// change its own: a no-overwrite call behind any, an ordinary one behind a no-overwrite
    /// one. An ordinary call's check is a few ordered look-ups, whatever is queued.
    pub fn enter(&self, target: &FileKey, exclusive: bool) -> Result<(), OrderPending> {
        self.bind_as(target, exclusive, self.checked).map(drop)
    }

    /// Bind to `target` unchecked, as a call that will check at its commit instead
    /// ([`Ticket::may_commit`]): a stream, whose scratch is filled long before it commits.
    pub fn enter_unchecked(&self, target: &FileKey, exclusive: bool) {
        self.bind_as(target, exclusive, false)
            .expect("binding unchecked is never refused");
    }

    /// May this bound call commit now? The check of [`Ticket::enter`], made again at the end.
    pub fn may_commit(&self, target: &FileKey, exclusive: bool) -> Result<(), OrderPending> {
        if !self.checked {
            return Ok(());
        }
        if self.behind_unbound(target, exclusive) {
            return Err(OrderPending);
        }
        let bound = lock(&self.record).clone();
        match bound {
            Some(record) if lock(&record.under_way).holds_back(self.seq, exclusive) => {
                Err(OrderPending)
            }
            Some(_) => Ok(()),
            None => self.enter(target, exclusive),
        }
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
        if check && under_way.holds_back(self.seq, exclusive) {
            return Err(OrderPending);
        }
        reg.remove_unbound(self.seq);
        // Bound before it counts as under way, so that `withdraw` finds what to undo.
        *lock(&self.record) = Some(record.clone());
        if !self.withdrawn.load(Ordering::SeqCst) {
            under_way.insert(self.seq, exclusive);
        }
        drop(under_way);
        Ok(record)
    }

    /// Is an earlier call that has not yet found its file possibly for `target`, where this
    /// call could change its answer or it this one's? It may be this very file under another
    /// spelling or from another thread. Its path is looked up here, outside the registry
    /// lock; one that binds meanwhile is checked as under way by the caller.
    fn behind_unbound(&self, target: &FileKey, exclusive: bool) -> bool {
        // Many calls queued on a few files are a few look-ups; an ordinary call looks only at
        // the no-overwrite ones.
        let mut candidates: HashSet<Option<PathBuf>> = HashSet::new();
        {
            let reg = registry();
            let earlier: Box<dyn Iterator<Item = &Unbound>> = if exclusive {
                Box::new(reg.unbound.range(..self.seq).map(|(_, u)| u))
            } else {
                Box::new(
                    reg.unbound_exclusive
                        .range(..self.seq)
                        .filter_map(|seq| reg.unbound.get(seq)),
                )
            };
            for earlier in earlier {
                if candidates.insert(earlier.path.clone()) && candidates.len() > LOOKUP_LIMIT {
                    break;
                }
            }
        }
        candidates.len() > LOOKUP_LIMIT
            || candidates.iter().any(|path| match path {
                // A path whose directory is missing now is not in `target`'s, which exists.
                Some(path) => target::key_now(path).is_some_and(|key| &key == target),
                None => true,
            })
    }

    /// The call will never publish (its abort was accepted, before its rename): later calls
    /// need not wait for it, though its clean-up may still be running.
    pub fn withdraw(&self) {
        self.withdrawn.store(true, Ordering::SeqCst);
        let mut reg = registry();
        let bound = lock(&self.record).clone();
        match &bound {
            // Nothing waits for it any more, as if it were done.
            None => reg.remove_unbound(self.seq),
            Some(_) => drop(reg),
        }
        if let Some(record) = bound {
            lock(&record.under_way).remove(self.seq);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let bound = lock(&self.record).take();
        match bound {
            Some(record) => lock(&record.under_way).remove(self.seq),
            None => registry().remove_unbound(self.seq),
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
