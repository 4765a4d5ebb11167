//! The directory walk of `sweep_orphans` on Unix: everything relative to an open directory.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::fcntl::{openat, AtFlags, OFlag, AT_FDCWD};
use nix::sys::stat::{fstat, fstatat, Mode};
use nix::unistd::{unlinkat, UnlinkatFlags};

use super::unix::DirKey;
use super::unix_dir::DIR_FLAGS;
use super::EntryKind;

/// An open directory that a sweep works in. Every step is taken relative to its descriptor
/// (`openat`, `fstatat`, `unlinkat`), so each name is resolved in this very directory however
/// its path changes, and a tree deeper than PATH_MAX can be walked. It holds the descriptor
/// only: a directory stream's buffer (32 KiB in glibc) lives just while the entries are read.
pub struct SweepDir {
    dir: OwnedFd,
    key: DirKey,
}

impl AsFd for SweepDir {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.dir.as_fd()
    }
}

impl SweepDir {
    /// The directory at `path`, links followed (the caller named it).
    pub fn open(path: &Path) -> io::Result<Self> {
        Self::from_fd(openat(AT_FDCWD, path, DIR_FLAGS, Mode::empty())?)
    }

    /// The subdirectory `name`, never through a link.
    pub fn open_subdir(&self, name: &OsStr) -> io::Result<Self> {
        let flags = DIR_FLAGS | OFlag::O_NOFOLLOW;
        Self::from_fd(openat(&self.dir, name, flags, Mode::empty())?)
    }

    /// This directory's parent as it is now (`..`): whoever opens it again checks its key,
    /// since a directory moved meanwhile has another parent.
    pub fn open_parent(&self) -> io::Result<Self> {
        Self::open_subdir(self, OsStr::new(".."))
    }

    fn from_fd(fd: OwnedFd) -> io::Result<Self> {
        let stat = fstat(&fd)?;
        Ok(Self {
            key: (stat.st_dev as u64, stat.st_ino as u64),
            dir: fd,
        })
    }

    /// The identity of this directory, as [`dir_key`] gives it.
    pub fn key(&self) -> DirKey {
        self.key
    }

    /// The entries (without `.` and `..`) for which `keep` says yes, read in one pass.
    pub fn entries(
        &self,
        keep: impl FnMut(&OsStr, EntryKind) -> bool,
    ) -> io::Result<Vec<(OsString, EntryKind)>> {
        read_entries(&self.dir, keep)
    }

    /// Open the entry `name` for reading, never through a link and never waiting (a FIFO
    /// opens at once). What it is, is for the caller to ask the descriptor.
    pub fn open_entry(&self, name: &OsStr) -> io::Result<File> {
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
        Ok(File::from(openat(&self.dir, name, flags, Mode::empty())?))
    }

    /// Does `name` here (not followed) still name the file open as `file`?
    pub fn names_file(&self, name: &OsStr, file: &File) -> io::Result<bool> {
        let at = fstatat(&self.dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
        let open = file.metadata()?;
        Ok((at.st_dev as u64, at.st_ino as u64) == (open.dev(), open.ino()))
    }

    /// Remove the entry `name` (never a directory).
    pub fn unlink(&self, name: &OsStr) -> io::Result<()> {
        Ok(unlinkat(&self.dir, name, UnlinkatFlags::NoRemoveDir)?)
    }

    /// Remove `name` only if it names the open `file`, leaving no moment in which another
    /// file swapped in under the name could be removed instead. Linux: whatever the name holds
    /// is moved aside in one rename, under a name nobody else uses, checked there, then
    /// removed, or put back where no new file took the name meanwhile. Elsewhere: check, then
    /// unlink (a file renamed onto the name between the two would go).
    pub fn remove_if_same(
        &self,
        name: &OsStr,
        file: &File,
        fresh_aside: &dyn Fn() -> OsString,
    ) -> io::Result<bool> {
        #[cfg(target_os = "linux")]
        {
            // A fresh name that is taken (a leftover, however unlikely) is drawn again.
            let mut aside = fresh_aside();
            let mut tries = 0;
            while let Err(e) = renameat_noreplace(&self.dir, name, &aside) {
                tries += 1;
                if e.kind() != io::ErrorKind::AlreadyExists || tries == 8 {
                    return Err(e);
                }
                aside = fresh_aside();
            }
            if self.names_file(&aside, file).unwrap_or(false) {
                self.unlink(&aside)?;
                return Ok(true);
            }
            // Not the file examined: back under its name, unless a new file took it (then it
            // keeps the aside name rather than replace anything).
            let _ = renameat_noreplace(&self.dir, &aside, name);
            Ok(false)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = fresh_aside;
            if !self.names_file(name, file)? {
                return Ok(false);
            }
            self.unlink(name).map(|()| true)
        }
    }
}

impl SweepDir {
    /// Remove the stage directory `name` (spelled `path` in reports) only if it names the
    /// open, locked `dir`, and all of its tree, never through a link. Linux: first moved aside
    /// under a fresh scratch name and checked there, so no directory swapped in under `name`
    /// meanwhile is touched; a tree left half removed keeps that scratch name for the next
    /// sweep. Elsewhere: check, then remove. `None` if `name` no longer names `dir`; else what
    /// could not be removed.
    pub fn remove_tree_if_same(
        &self,
        name: &OsStr,
        dir: &File,
        fresh_aside: &dyn Fn() -> OsString,
        path: &Path,
    ) -> io::Result<Option<Vec<(std::path::PathBuf, io::Error)>>> {
        #[cfg(target_os = "linux")]
        let name = {
            let mut aside = fresh_aside();
            let mut tries = 0;
            while let Err(e) = renameat_noreplace(&self.dir, name, &aside) {
                tries += 1;
                if e.kind() != io::ErrorKind::AlreadyExists || tries == 8 {
                    return Err(e);
                }
                aside = fresh_aside();
            }
            if !self.names_file(&aside, dir).unwrap_or(false) {
                let _ = renameat_noreplace(&self.dir, &aside, name);
                return Ok(None);
            }
            aside
        };
        #[cfg(not(target_os = "linux"))]
        let name = {
            let _ = fresh_aside;
            if !self.names_file(name, dir)? {
                return Ok(None);
            }
            name.to_os_string()
        };
        let left = super::unix_stage::remove_tree_at(self.dir.as_fd(), &name, path);
        Ok(Some(left))
    }
}

/// `renameat2(RENAME_NOREPLACE)` within one directory, by system call: the libc wrapper is
/// missing from older glibc and from some musl builds.
#[cfg(target_os = "linux")]
fn renameat_noreplace(dir: &OwnedFd, from: &OsStr, to: &OsStr) -> io::Result<()> {
    use std::os::fd::{AsFd, AsRawFd};
    let (from, to) = (cstring(from)?, cstring(to)?);
    let fd = dir.as_fd().as_raw_fd();
    // SAFETY: both names are NUL-terminated and outlive the call; the descriptor is open.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            fd,
            from.as_ptr(),
            fd,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(target_os = "linux")]
fn cstring(name: &OsStr) -> io::Result<std::ffi::CString> {
    std::ffi::CString::new(name.as_bytes()).map_err(|_| io::ErrorKind::InvalidInput.into())
}

/// The entries of `dir` (without `.` and `..`) for which `keep` says yes, read in one pass.
pub(super) fn read_entries(
    dir: impl AsFd,
    mut keep: impl FnMut(&OsStr, EntryKind) -> bool,
) -> io::Result<Vec<(OsString, EntryKind)>> {
    // A stream of its own (`.` of this very descriptor, so the same directory), closed
    // with its buffer once read.
    let mut stream = nix::dir::Dir::openat(dir, ".", DIR_FLAGS, Mode::empty())?;
    let mut kept = Vec::new();
    for entry in stream.iter() {
        let entry = entry?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if name == "." || name == ".." {
            continue;
        }
        let kind = match entry.file_type() {
            Some(nix::dir::Type::Directory) => EntryKind::Directory,
            None => EntryKind::Unknown,
            Some(_) => EntryKind::Other,
        };
        if keep(name, kind) {
            kept.push((name.to_os_string(), kind));
        }
    }
    Ok(kept)
}
