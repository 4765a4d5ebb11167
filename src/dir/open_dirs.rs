//! The directories of a stage, held open while it is filled: staging many files into one
//! directory walks its path (a `mkdirat` and an `openat` per component) once, not once per
//! file. Like the stage's root, a directory is then used by descriptor: one that is renamed
//! or replaced by a link after it was opened is still the directory written into, and no link
//! is ever followed. The commit reopens every directory from the root, never through a link.

use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::{Arc, Mutex};

use super::{fs_err, DirStage};
use crate::errors::{PublishError, Syscall};
use crate::sys::StageDir;

/// Descriptors held at once, at most; past that the cache starts again (a directory in use
/// stays open through its own reference).
const MOST_OPEN: usize = 256;

/// Open directories of the stage below its root, by component list.
#[derive(Default)]
pub(super) struct OpenDirs {
    open: Mutex<HashMap<Vec<OsString>, Arc<StageDir>>>,
}

impl OpenDirs {
    fn get(&self, dirs: &[OsString]) -> Option<Arc<StageDir>> {
        self.lock().get(dirs).cloned()
    }

    fn keep(&self, dirs: &[OsString], dir: &Arc<StageDir>) {
        let mut open = self.lock();
        if open.len() >= MOST_OPEN {
            open.clear();
        }
        open.insert(dirs.to_vec(), dir.clone());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<OsString>, Arc<StageDir>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl DirStage {
    /// Open (making as needed) the directories `dirs` in the stage, never through a link;
    /// `None` for the root itself. The system calls run outside any lock: two calls making
    /// one directory at once both succeed (`mkdirat`'s EEXIST is taken as made).
    pub(super) fn open_dirs(
        &self,
        dirs: &[OsString],
    ) -> Result<Option<Arc<StageDir>>, PublishError> {
        if dirs.is_empty() {
            return Ok(None);
        }
        if let Some(dir) = self.open_dirs.get(dirs) {
            return Ok(Some(dir));
        }
        let mut at: Option<Arc<StageDir>> = None;
        let mut made = Vec::new();
        for depth in 1..=dirs.len() {
            if let Some(dir) = self.open_dirs.get(&dirs[..depth]) {
                at = Some(dir);
                continue;
            }
            let parent = at.as_deref().unwrap_or(&self.root);
            let (dir, new) = parent
                .subdir(&dirs[depth - 1])
                .map_err(|e| fs_err(e, Syscall::Mkdir))?;
            if new {
                made.push(dirs[..depth].to_vec());
            }
            let dir = Arc::new(dir);
            self.open_dirs.keep(&dirs[..depth], &dir);
            at = Some(dir);
        }
        if !made.is_empty() {
            self.state().dirs.extend(made);
        }
        Ok(at)
    }
}
