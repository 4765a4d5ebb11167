//! Group commit of directory fsyncs.
//!
//! A publish is durable once an fsync of its directory *that began after its rename* has
//! completed. Concurrent publishes into one directory can share such an fsync: rounds are
//! numbered per directory; a publish that has renamed needs the next round to start; if no
//! round is running it leads that round itself, otherwise it waits for the running one to
//! end and the next to cover it. Ten publishes that rename while one fsync runs then pay for
//! one more fsync between them, not ten.
//!
//! Waiting never deadlocks the thread pool: a waiter only ever waits for a round that a
//! thread is already running (the leader), never for work still queued.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use crate::errors::SharedIoError;
use crate::sys::{self, TargetDir};
use crate::target::DirId;

/// Prune idle directories once there are this many.
const PRUNE_AT: usize = 256;

#[derive(Default)]
struct Rounds {
    /// The last round that was started, and the last that finished.
    started: u64,
    finished: u64,
    running: bool,
    /// The latest round that succeeded, and the latest failure with its round.
    last_ok: u64,
    last_err: Option<(u64, SharedIoError)>,
}

#[derive(Default)]
struct DirRounds {
    rounds: Mutex<Rounds>,
    changed: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn rounds_for(id: &DirId) -> Arc<DirRounds> {
    static DIRS: OnceLock<Mutex<HashMap<DirId, Arc<DirRounds>>>> = OnceLock::new();
    let mut dirs = lock(DIRS.get_or_init(Default::default));
    if dirs.len() >= PRUNE_AT {
        dirs.retain(|_, d| Arc::strong_count(d) > 1);
    }
    dirs.entry(id.clone()).or_default().clone()
}

/// fsync a directory so a rename inside it survives a power cut: the publish's own open
/// directory, never opened again by path (where another user may have swapped in a FIFO).
/// A no-op where the platform has no directory fsync (see `sys::DIRECTORY_FSYNC`).
fn sync_dir(dir: &TargetDir) -> io::Result<()> {
    if !sys::DIRECTORY_FSYNC {
        return Ok(());
    }
    dir.sync()
}

/// Return once an fsync of `dir` that began after this call has completed (or failed).
pub fn sync_after_rename(dir: &TargetDir, id: &DirId) -> io::Result<()> {
    let shared = rounds_for(id);
    let mut rounds = lock(&shared.rounds);
    // Whatever runs now may have started before our rename: only the next round covers it.
    let needed = rounds.started + 1;
    loop {
        if rounds.last_ok >= needed {
            return Ok(());
        }
        if let Some((round, err)) = rounds.last_err {
            if round >= needed {
                return Err(err.to_io());
            }
        }
        if !rounds.running && rounds.finished < needed {
            rounds.started = needed;
            rounds.running = true;
            drop(rounds);
            let result = sync_dir(dir);
            rounds = lock(&shared.rounds);
            rounds.running = false;
            rounds.finished = needed;
            match &result {
                Ok(()) => rounds.last_ok = needed,
                Err(e) => rounds.last_err = Some((needed, SharedIoError::of(e))),
            }
            shared.changed.notify_all();
            return result;
        }
        rounds = shared
            .changed
            .wait(rounds)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

/// How many fsync rounds of this directory have finished (for tests that count them).
#[cfg(test)]
pub fn rounds_finished(id: &DirId) -> u64 {
    lock(&rounds_for(id).rounds).finished
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_publishes_share_directory_fsyncs() {
        let dir = tempfile::tempdir().unwrap();
        let id = DirId::of(dir.path()).unwrap();
        // Counted from now: a directory of an earlier test may have had the same inode, and
        // its rounds are still on record.
        let before = lock(&rounds_for(&id).rounds).finished;
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (handle, id) = (TargetDir::open(dir.path()).unwrap(), id.clone());
                std::thread::spawn(move || sync_after_rename(&handle, &id).unwrap())
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let rounds = lock(&rounds_for(&id).rounds).finished - before;
        assert!((1..=16).contains(&rounds), "{rounds} rounds for 16 callers");
    }

    #[test]
    fn a_caller_is_never_covered_by_a_round_that_started_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let id = DirId::of(dir.path()).unwrap();
        let handle = TargetDir::open(dir.path()).unwrap();
        sync_after_rename(&handle, &id).unwrap();
        let before = lock(&rounds_for(&id).rounds).finished;
        sync_after_rename(&handle, &id).unwrap();
        assert_eq!(lock(&rounds_for(&id).rounds).finished, before + 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_round_fails_the_callers_it_covers() {
        let dir = tempfile::tempdir().unwrap();
        let id = DirId::of(dir.path()).unwrap();
        // A descriptor that only names the directory cannot be fsynced (EBADF).
        let err = sync_after_rename(&TargetDir::named_only(dir.path()), &id).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(nix::libc::EBADF));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_swapped_in_for_the_directory_never_holds_its_fsync() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        let (handle, id) = (TargetDir::open(&dir).unwrap(), DirId::of(&dir).unwrap());
        std::fs::rename(&dir, parent.path().join("moved")).unwrap();
        nix::unistd::mkfifo(&dir, nix::sys::stat::Mode::from_bits_truncate(0o666)).unwrap();
        let (done, waited) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(sync_after_rename(&handle, &id)));
        let synced = waited.recv_timeout(std::time::Duration::from_secs(10));
        assert!(matches!(synced, Ok(Ok(()))), "{synced:?}");
        // The same swap never holds the open of a directory either: it is refused at once.
        let refused = TargetDir::open(&dir).unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(nix::libc::ENOTDIR));
    }
}
