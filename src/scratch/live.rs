//! The scratch files of this process's publishes that are still in flight.
//!
//! `sweep_orphans` must never take one of them (it looks them up by key), and an ending
//! JavaScript environment removes its own (by path): a worker thread that ends removes the
//! scratch files of its publishes and touches no other thread's, while an exiting process
//! removes them all. An entry lives exactly as long as its [`LiveEntry`].
//!
//! Ending is a gate, not a single pass: pool threads keep running while an environment ends
//! (libuv even runs queued work during the process's exit), so once [`close_and_remove`] has
//! begun for an owner, no scratch of that owner is created any more. A create takes a
//! [`CreateTicket`] before the file exists and enters the set with it, both under the set's
//! lock; the closing pass waits for tickets already out, so a file never exists unseen by it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use crate::target::FileKey;

/// Who started a publish: one number per JavaScript environment (0 for none).
pub type Owner = u64;

/// How long an ending environment waits for creates already under way. A create is one open
/// (and a lock that never blocks); only a hung file system takes longer, and an exit must
/// not hang on it. A create that outlives the wait still finds the gate closed at its entry.
const CREATES_UNDER_WAY_WAIT: Duration = Duration::from_secs(1);

/// What a live entry is: a scratch file, or a directory stage (removed as a whole tree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Stage,
}

/// Remove the scratch or stage at `path`; true if it went.
fn remove(path: &std::path::Path, kind: Kind) -> bool {
    match kind {
        Kind::File => crate::sys::remove_file(path).is_ok(),
        Kind::Stage => crate::sys::remove_tree_by_path(path).is_empty(),
    }
}

#[derive(Default)]
struct Registry {
    live: HashMap<FileKey, (PathBuf, Owner, Kind)>,
    /// Creates that hold a ticket, per owner.
    creating: HashMap<Owner, usize>,
    /// Owners whose environment has ended, and the thread that ended each; `all_closed` once
    /// the process is exiting.
    closed: HashMap<Owner, ThreadId>,
    all_closed: Option<ThreadId>,
}

impl Registry {
    /// Has `owner` ended, for a create on this thread? The thread that ended it may still
    /// publish synchronously (an 'exit' handler saving its state): such a publish runs to its
    /// end or removes its scratch before that thread does anything else, so nothing is left.
    /// Every other thread (the pool's, above all) is refused.
    fn is_closed(&self, owner: Owner) -> bool {
        let here = std::thread::current().id();
        let by_other = |closer: &ThreadId| *closer != here;
        self.all_closed.as_ref().is_some_and(by_other)
            || self.closed.get(&owner).is_some_and(by_other)
    }

    fn creates_under_way(&self, owner: Option<Owner>) -> bool {
        match owner {
            None => self.creating.values().any(|&n| n > 0),
            Some(o) => self.creating.get(&o).is_some_and(|&n| n > 0),
        }
    }
}

struct Shared {
    registry: Mutex<Registry>,
    /// Signalled each time a ticket is given back.
    ticket_returned: Condvar,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| Shared {
        registry: Mutex::default(),
        ticket_returned: Condvar::new(),
    })
}

fn registry() -> MutexGuard<'static, Registry> {
    shared()
        .registry
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Is any scratch of this process in flight, or being created?
pub fn any_in_flight() -> bool {
    let reg = registry();
    !reg.live.is_empty() || reg.creating.values().any(|&n| n > 0)
}

/// Is this the scratch of a publish of this process still in flight?
pub fn is_live(key: &FileKey) -> bool {
    registry().live.contains_key(key)
}

/// End `owner`'s publishes, or with `None` every one (a process about to exit): no scratch of
/// theirs is created from now on, and those in flight are removed, including any whose create
/// was under way. Returns how many were removed. A publish still running afterwards fails at
/// its rename, or at its create (`ABORT_ERR`), unless it runs synchronously on this very
/// thread (see `Registry::is_closed`).
pub fn close_and_remove(owner: Option<Owner>) -> usize {
    let mut reg = registry();
    let here = std::thread::current().id();
    match owner {
        None => reg.all_closed = Some(here),
        Some(o) => {
            reg.closed.insert(o, here);
        }
    }
    let deadline = Instant::now() + CREATES_UNDER_WAY_WAIT;
    while reg.creates_under_way(owner) {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        reg = shared()
            .ticket_returned
            .wait_timeout(reg, left)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
    }
    reg.live
        .values()
        .filter(|(_, of, _)| owner.is_none_or(|o| o == *of))
        .filter(|(path, _, kind)| remove(path, *kind))
        .count()
}

/// Has `owner` ended, for a publish about to start on this thread? Checked before a publish
/// creates the target's missing directories, so that nothing at all is made once it has.
pub fn has_ended(owner: Owner) -> bool {
    registry().is_closed(owner)
}

/// Leave to create one scratch file for `owner`; `None` once `owner` has ended.
pub struct CreateTicket(Owner);

impl CreateTicket {
    pub fn take(owner: Owner) -> Option<Self> {
        {
            let mut reg = registry();
            if reg.is_closed(owner) {
                return None;
            }
            *reg.creating.entry(owner).or_default() += 1;
        }
        // Counted as being created first, then the guard: before the file exists, a signal
        // finds the handler in place, and the watch over it sees this create.
        crate::sys::rearm_signal_guard();
        Some(Self(owner))
    }

    /// Enter the scratch called `key` at `path` in the live set. If its owner ended while it
    /// was being made (the wait for it having run out), the file is removed here instead,
    /// before the ticket is given back, and `None` tells the caller it is gone.
    pub fn enter(self, key: FileKey, path: PathBuf) -> Option<LiveEntry> {
        self.enter_as(key, path, Kind::File)
    }

    /// [`CreateTicket::enter`] for a scratch of either kind.
    pub fn enter_as(self, key: FileKey, path: PathBuf, kind: Kind) -> Option<LiveEntry> {
        let mut reg = registry();
        if reg.is_closed(self.0) {
            remove(&path, kind);
            return None;
        }
        reg.live.insert(key.clone(), (path, self.0, kind));
        Some(LiveEntry(key))
    }
}

impl Drop for CreateTicket {
    fn drop(&mut self) {
        let mut reg = registry();
        if let Some(n) = reg.creating.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                reg.creating.remove(&self.0);
            }
        }
        drop(reg);
        shared().ticket_returned.notify_all();
    }
}

/// Membership in the live set, for as long as the scratch exists.
pub struct LiveEntry(FileKey);

impl Drop for LiveEntry {
    fn drop(&mut self) {
        registry().live.remove(&self.0);
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
