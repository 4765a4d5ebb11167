//! The directory walk of `sweep_orphans` on Windows: paths joined to the directory's path.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::windows::{dir_key, names_file, open_not_following, too_many_links, DirKey};
use super::windows_delete::remove_file;
use super::EntryKind;

/// A directory that a sweep works in. Windows has no `openat`: names are joined to the
/// directory's path, and a reparse point is never entered or followed.
pub struct SweepDir {
    path: PathBuf,
    key: DirKey,
}

impl SweepDir {
    /// The directory at `path`, links followed (the caller named it).
    pub fn open(path: &Path) -> io::Result<Self> {
        if !std::fs::metadata(path)?.is_dir() {
            return Err(io::ErrorKind::NotADirectory.into());
        }
        Ok(Self {
            path: path.to_path_buf(),
            key: dir_key(path)?,
        })
    }

    /// The subdirectory `name`, never through a link.
    pub fn open_subdir(&self, name: &OsStr) -> io::Result<Self> {
        let path = self.path.join(name);
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            return Err(too_many_links());
        }
        if !meta.is_dir() {
            return Err(io::ErrorKind::NotADirectory.into());
        }
        Ok(Self {
            key: dir_key(&path)?,
            path,
        })
    }

    /// This directory's parent by its path as the sweep spelled it: whoever opens it again
    /// checks its key.
    pub fn open_parent(&self) -> io::Result<Self> {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => Self::open(parent),
            _ => Err(io::ErrorKind::NotFound.into()),
        }
    }

    /// The identity of this directory, as [`dir_key`] gives it.
    pub fn key(&self) -> DirKey {
        self.key.clone()
    }

    /// The entries for which `keep` says yes, read in one pass.
    pub fn entries(
        &self,
        mut keep: impl FnMut(&OsStr, EntryKind) -> bool,
    ) -> io::Result<Vec<(OsString, EntryKind)>> {
        let mut kept = Vec::new();
        for entry in std::fs::read_dir(&self.path)? {
            let entry = entry?;
            let name = entry.file_name();
            let kind = match entry.file_type() {
                Ok(t) if t.is_dir() && !t.is_symlink() => EntryKind::Directory,
                Ok(_) => EntryKind::Other,
                Err(_) => EntryKind::Unknown,
            };
            if keep(&name, kind) {
                kept.push((name, kind));
            }
        }
        Ok(kept)
    }

    /// Open the entry `name` for reading as itself (a link is not followed).
    pub fn open_entry(&self, name: &OsStr) -> io::Result<File> {
        open_not_following(&self.path.join(name))
    }

    /// Does `name` here (not followed) still name the file open as `file`?
    pub fn names_file(&self, name: &OsStr, file: &File) -> io::Result<bool> {
        names_file(&self.path.join(name), file)
    }

    /// Remove the entry `name` (never a directory).
    pub fn unlink(&self, name: &OsStr) -> io::Result<()> {
        remove_file(&self.path.join(name))
    }

    /// Remove `name` only if it still names the open `file` (check, then delete; `aside` is
    /// for the Linux way).
    pub fn remove_if_same(
        &self,
        name: &OsStr,
        file: &File,
        _fresh_aside: &dyn Fn() -> OsString,
    ) -> io::Result<bool> {
        if !self.names_file(name, file)? {
            return Ok(false);
        }
        self.unlink(name).map(|()| true)
    }

    /// No stage is ever made here (directory publishes are refused): a scratch-named
    /// directory is left alone.
    pub fn remove_tree_if_same(
        &self,
        _name: &OsStr,
        _dir: &File,
        _fresh_aside: &dyn Fn() -> OsString,
        _path: &Path,
    ) -> io::Result<Option<Vec<(PathBuf, io::Error)>>> {
        Ok(None)
    }
}
