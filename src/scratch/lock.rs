//! Advisory locks that tell sweepers a scratch is live, whatever its mtime says.
//!
//! A writer holds the lock on its scratch from the moment the name exists until the rename or
//! removal (a publish with an mtime in the past stamps it before the rename, so age alone
//! cannot tell). A sweeper removes a scratch only while it holds that lock itself, and only
//! if the name still names the file it locked. So a writer that takes the lock after its
//! exclusive create, and then finds its name still naming its file, holds a scratch no
//! sweeper can take: any sweeper that took it would have unlinked the name before the
//! writer's lock. A dead process holds no lock. File systems without locks go without, and
//! sweepers fall back to age.

use std::fs::{File, TryLockError};
use std::io;
use std::path::Path;

use crate::sys;

/// What came of a writer's claim on the scratch it has just created.
pub enum Claim {
    /// Locked (or no locks here), and the name is still this file's.
    Held,
    /// A sweeper holds the lock or has removed the name: create another scratch.
    Lost(io::Error),
}

/// Lock the freshly created scratch `file` at `path` for as long as `file` stays open, and
/// check that no sweeper took it between the create and the lock.
pub fn claim(file: &File, path: &Path) -> Claim {
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Claim::Lost(sys::lock_contended()),
        // No locks on this file system: sweepers go by age alone.
        Err(TryLockError::Error(_)) => return Claim::Held,
    }
    match sys::names_file(path, file) {
        Ok(true) => Claim::Held,
        Ok(false) => Claim::Lost(io::ErrorKind::NotFound.into()),
        Err(e) => Claim::Lost(e),
    }
}

/// For a sweeper: does a writer, in any process, hold the lock on the scratch open as `file`?
/// If not, `file` holds the lock from now on (or this file system has none, and only the
/// age rule tells), so no writer can be mid-publish with it.
pub fn held_by_writer(file: &File) -> bool {
    matches!(file.try_lock(), Err(TryLockError::WouldBlock))
}

/// Lock a freshly made stage directory (open as `dir`) for as long as it stays open, as a
/// scratch file is locked: the sweep never takes a locked stage. `Lost` if a sweeper holds it.
pub fn lock_directory(dir: &File) -> Claim {
    match dir.try_lock() {
        Ok(()) | Err(TryLockError::Error(_)) => Claim::Held,
        Err(TryLockError::WouldBlock) => Claim::Lost(sys::lock_contended()),
    }
}
