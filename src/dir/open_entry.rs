//! A staged file filled piece by piece (a stream): created at its path in the stage, appended
//! to, then finished (verified, moded, stamped). Dropped unfinished, it is removed and its path
//! is free again; a hash mismatch at the finish fails the whole stage, as for any staged file.

use std::ffi::OsStr;
use std::fs::File;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{fs_err, staging, DirStage, Entry, EntryOptions, EntryPath, ManifestEntry};
use crate::errors::{FsFailure, PublishError, Syscall};
use crate::hash::Hasher;
use crate::sys::{self, StageDir};

/// One staged file being written.
pub struct OpenEntry {
    stage: Arc<DirStage>,
    path: EntryPath,
    /// Its directory in the stage (`None`: the stage's root).
    dir: Option<Arc<StageDir>>,
    file: File,
    hasher: Hasher,
    written: u64,
    options: EntryOptions,
    finished: bool,
}

impl DirStage {
    /// Create the staged file at the relative path `raw`, to be filled by
    /// [`OpenEntry::append`] and ended by [`OpenEntry::finish`].
    pub fn open_entry(
        self: &Arc<Self>,
        raw: &OsStr,
        options: EntryOptions,
    ) -> Result<OpenEntry, PublishError> {
        let path = EntryPath::parse(raw).map_err(|reason| PublishError::InvalidEntry {
            path: raw.to_string_lossy().into_owned(),
            reason,
        })?;
        let was_linked = self.reserve(&path)?;
        let opened = self.open_dirs(path.dirs()).and_then(|dir| {
            let at = dir.as_deref().unwrap_or(&self.root);
            if was_linked {
                at.unlink(path.name())
                    .map_err(|e| fs_err(e, Syscall::Unlink))?;
            }
            let file = at
                .create_file(path.name(), 0o666)
                .map_err(|e| fs_err(e, Syscall::Open))?;
            Ok((dir, file))
        });
        match opened {
            Ok((dir, file)) => Ok(OpenEntry {
                stage: self.clone(),
                path,
                dir,
                file,
                hasher: Hasher::new(),
                written: 0,
                options,
                finished: false,
            }),
            Err(e) => {
                self.state().entries.remove(&path);
                Err(e)
            }
        }
    }
}

impl OpenEntry {
    /// Append `chunk`; returns the bytes written so far.
    pub fn append(&mut self, chunk: &[u8]) -> Result<u64, PublishError> {
        if self.stage.cancelled() {
            return Err(PublishError::Aborted);
        }
        sys::write_all_at(&self.file, chunk, self.written)
            .map_err(|e| FsFailure::target(e, Syscall::Write))?;
        self.hasher.update(chunk);
        self.written += chunk.len() as u64;
        let n = chunk.len() as u64;
        let total = self.stage.staged_bytes.fetch_add(n, Ordering::AcqRel) + n;
        if let Some(control) = &self.stage.options.control {
            control.record(total);
        }
        Ok(self.written)
    }

    /// Verify, give the mode and mtime, and record the file as staged.
    pub fn finish(mut self) -> Result<ManifestEntry, PublishError> {
        let hash = self.hasher.digest();
        if let Some(expected) = self.options.expected_hash.filter(|&e| e != hash) {
            return Err(self.stage.poison(PublishError::HashMismatch {
                expected,
                actual: hash,
            }));
        }
        let on_disk = self
            .file
            .metadata()
            .map_err(|e| fs_err(e, Syscall::Stat))?
            .len();
        if on_disk != self.written {
            return Err(fs_err(std::io::ErrorKind::WriteZero.into(), Syscall::Write));
        }
        staging::finish(&self.file, &self.options)?;
        if self.stage.writes_back_each() {
            sys::start_writeback(&self.file);
        }
        self.finished = true;
        let size = self.written;
        self.stage
            .state()
            .entries
            .insert(self.path.clone(), Entry::Written { size, hash });
        Ok(ManifestEntry {
            path: self.path.joined(),
            size,
            hash,
        })
    }
}

impl Drop for OpenEntry {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let dir = self.dir.as_deref().unwrap_or(&self.stage.root);
        let _ = dir.unlink(self.path.name());
        self.stage.state().entries.remove(&self.path);
    }
}
