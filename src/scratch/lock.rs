//! Advisory locks that tell sweepers a scratch is live, whatever its mtime says.
//!
//! A writer locks its scratch from creation until the rename or removal (a publish with an
//! mtime in the past stamps it before the rename, so age alone cannot tell). A dead process
//! holds no lock. File systems without locks simply go without, and sweepers fall back to age.

use std::fs::{File, TryLockError};
use std::path::Path;

/// Lock a freshly created scratch for as long as `file` stays open.
pub fn hold(file: &File) {
    let _ = file.try_lock();
}

/// Does a live writer, in any process, hold the lock on the scratch at `path`? If not, the
/// returned file holds the lock now, so no writer can be mid-publish with it.
pub fn lock_if_abandoned(path: &Path) -> Option<File> {
    let file = File::open(path).ok()?;
    match file.try_lock() {
        Ok(()) => Some(file),
        Err(TryLockError::WouldBlock) => None,
        // No locks on this file system: fall back to the age rule alone.
        Err(TryLockError::Error(_)) => Some(file),
    }
}
