//! The directory stage on Unix: every step relative to an open directory, never through a link.
//!
//! A stage is built, synced, swapped in and (once it holds the old tree) removed through
//! descriptors only: `mkdirat`, `openat(O_NOFOLLOW)`, `unlinkat`, `renameat2`. A link planted
//! inside a stage is never followed, so nothing outside it is ever created, written or removed.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fchmod, fstatat, mkdirat, Mode};
use nix::unistd::{unlinkat, UnlinkatFlags};

use super::unix_dir::{TargetDir, DIR_FLAGS};
use super::unix_sweep::read_entries;
use super::EntryKind;

/// Directories exchange atomically here (`renameat2(RENAME_EXCHANGE)` on Linux,
/// `renamex_np(RENAME_SWAP)` on macOS): a directory publish may begin.
pub fn directories_supported() -> io::Result<()> {
    Ok(())
}

/// One open directory of a stage (its root or a subdirectory).
#[derive(Debug)]
pub struct StageDir {
    dir: File,
}

impl AsFd for StageDir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }
}

fn open_dir_at(parent: impl AsFd, name: &OsStr) -> io::Result<File> {
    Ok(openat(parent, name, DIR_FLAGS | OFlag::O_NOFOLLOW, Mode::empty())?.into())
}

impl StageDir {
    /// Make the stage root `name` in `parent`, exclusively, owner-only. Returns it and the
    /// mode a directory made here gets by default (0777 less the umask), which the root takes
    /// at the commit. It is made with the default mode and narrowed at once: the umask is
    /// read that way without changing it for the whole process; nothing is in it meanwhile,
    /// and from the narrowing on, every lookup in it is refused to others.
    pub fn make_root(parent: &TargetDir, name: &OsStr) -> io::Result<(Self, u32)> {
        let parent = parent.as_fd();
        mkdirat(parent, name, Mode::from_bits_truncate(0o777))?;
        let opened = open_dir_at(parent, name).and_then(|dir| {
            let mode = dir.metadata()?.mode() & 0o7777;
            fchmod(&dir, Mode::from_bits_truncate(0o700))?;
            Ok((Self { dir }, mode))
        });
        if opened.is_err() {
            let _ = unlinkat(parent, name, UnlinkatFlags::RemoveDir);
        }
        opened
    }

    /// The subdirectory `name`, made (with the default mode) if missing. True when made here.
    pub fn subdir(&self, name: &OsStr) -> io::Result<(Self, bool)> {
        let made = match mkdirat(&self.dir, name, Mode::from_bits_truncate(0o777)) {
            Ok(()) => true,
            Err(Errno::EEXIST) => false,
            Err(e) => return Err(e.into()),
        };
        Ok((Self::open_subdir(self, name)?, made))
    }

    /// The existing subdirectory `name`, never through a link (ELOOP or ENOTDIR otherwise).
    pub fn open_subdir(&self, name: &OsStr) -> io::Result<Self> {
        Ok(Self {
            dir: open_dir_at(&self.dir, name)?,
        })
    }

    /// The existing directory `name` in `parent` (the current tree), never through a link.
    pub fn open_in(parent: &TargetDir, name: &OsStr) -> io::Result<Self> {
        Ok(Self {
            dir: open_dir_at(parent, name)?,
        })
    }

    /// Create the file `name` here, exclusively, never through a link, with `bits` (masked by
    /// the umask as `open(2)` masks them).
    pub fn create_file(&self, name: &OsStr, bits: u32) -> io::Result<File> {
        let flags =
            OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        Ok(openat(&self.dir, name, flags, Mode::from_bits_truncate(bits as _))?.into())
    }

    /// The entry `name` here, opened to read, never through a link and never waiting.
    pub fn open_file(&self, name: &OsStr) -> io::Result<File> {
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
        Ok(openat(&self.dir, name, flags, Mode::empty())?.into())
    }

    /// Is `name` here a regular file (not followed)? One `fstatat`, for walks that only
    /// need to know.
    pub fn is_plain_file(&self, name: &OsStr) -> io::Result<bool> {
        let st = fstatat(&self.dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
        Ok(st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFREG)
    }

    /// Remove the entry `name` here (never a directory).
    pub fn unlink(&self, name: &OsStr) -> io::Result<()> {
        Ok(unlinkat(&self.dir, name, UnlinkatFlags::NoRemoveDir)?)
    }

    /// A hard link `name` here to the file `from_name` in `from` (links are not followed).
    pub fn link_from(&self, from: &StageDir, from_name: &OsStr, name: &OsStr) -> io::Result<()> {
        nix::unistd::linkat(&from.dir, from_name, &self.dir, name, AtFlags::empty())?;
        Ok(())
    }

    /// The entries (without `.` and `..`), as their directory entries say they are.
    pub fn entries(&self) -> io::Result<Vec<(OsString, EntryKind)>> {
        list(&self.dir)
    }

    pub fn set_mode(&self, bits: u32) -> io::Result<()> {
        Ok(fchmod(&self.dir, Mode::from_bits_truncate(bits as _))?)
    }

    pub fn sync(&self) -> io::Result<()> {
        super::sync_file(&self.dir)
    }

    /// The open directory, for its lock.
    pub fn file(&self) -> &File {
        &self.dir
    }

    /// Does `name` in `parent` (not followed) still name this directory?
    pub fn is_named(&self, parent: &TargetDir, name: &OsStr) -> io::Result<bool> {
        let at = fstatat(parent, name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
        let open = self.dir.metadata()?;
        #[allow(clippy::unnecessary_cast)]
        Ok((at.st_dev as u64, at.st_ino as u64) == (open.dev(), open.ino()))
    }
}

/// What `name` in `dir` is, not followed: `None` if nothing.
pub fn entry_kind(dir: &TargetDir, name: &OsStr) -> io::Result<Option<EntryKind>> {
    match fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) if st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFDIR => {
            Ok(Some(EntryKind::Directory))
        }
        Ok(_) => Ok(Some(EntryKind::Other)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn list(dir: impl AsFd) -> io::Result<Vec<(OsString, EntryKind)>> {
    read_entries(dir, |_, _| true)
}

/// Swap the entries `a` and `b` of `dir` in one step of the kernel: readers see one or the
/// other at each name, never none.
pub fn exchange(dir: &TargetDir, a: &OsStr, b: &OsStr) -> io::Result<()> {
    rename_flags(dir.as_fd(), a, b, RenameFlag::Exchange)
}

/// Rename `from` onto `to` in `dir` only where `to` does not exist (EEXIST otherwise).
pub fn rename_dir_noreplace(dir: &TargetDir, from: &OsStr, to: &OsStr) -> io::Result<()> {
    rename_flags(dir.as_fd(), from, to, RenameFlag::NoReplace)
}

enum RenameFlag {
    Exchange,
    NoReplace,
}

fn rename_flags(dir: BorrowedFd<'_>, from: &OsStr, to: &OsStr, flag: RenameFlag) -> io::Result<()> {
    let c = |n: &OsStr| {
        std::ffi::CString::new(n.as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let (from, to) = (c(from)?, c(to)?);
    let fd = dir.as_raw_fd();
    // The raw system call on Linux: musl, and glibc before 2.28, have no wrapper for it.
    #[cfg(target_os = "linux")]
    let done = {
        let flag = match flag {
            RenameFlag::Exchange => libc::RENAME_EXCHANGE,
            RenameFlag::NoReplace => libc::RENAME_NOREPLACE,
        };
        // SAFETY: both names are NUL-terminated and outlive the call; the descriptor is open.
        unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                fd,
                from.as_ptr(),
                fd,
                to.as_ptr(),
                flag,
            )
        }
    };
    #[cfg(target_vendor = "apple")]
    let done = {
        let flag = match flag {
            RenameFlag::Exchange => libc::RENAME_SWAP,
            RenameFlag::NoReplace => libc::RENAME_EXCL,
        };
        // SAFETY: as above.
        unsafe { libc::renameatx_np(fd, from.as_ptr(), fd, to.as_ptr(), flag) }
    };
    // Elsewhere no call swaps two names: the errno says so, as a missing system call would.
    #[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
    let done: std::os::raw::c_int = {
        let _ = (fd, from, to, flag);
        nix::errno::Errno::ENOSYS.set();
        -1
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Flush the whole file system that `dir` is on with one `syncfs`, where that is as
/// trustworthy as an fsync of each file: Linux 5.8 and later, whose `syncfs` reports a
/// writeback error of any file of the file system since `dir` was opened (earlier kernels
/// could lose it). `Ok(false)` where it is not (the caller fsyncs each file instead); a
/// failure is the failure, never a reason to try another way.
#[cfg(target_os = "linux")]
pub fn sync_file_system(dir: &StageDir) -> io::Result<bool> {
    if !syncfs_reports_errors() {
        return Ok(false);
    }
    // SAFETY: the descriptor is open for the call.
    if unsafe { libc::syncfs(dir.as_fd().as_raw_fd()) } == 0 {
        Ok(true)
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
pub fn sync_file_system(_dir: &StageDir) -> io::Result<bool> {
    Ok(false)
}

/// Will [`sync_file_system`] flush the file system at once (rather than leave each file to
/// its own fsync)?
pub fn syncs_file_system() -> bool {
    #[cfg(target_os = "linux")]
    return syncfs_reports_errors();
    #[cfg(not(target_os = "linux"))]
    false
}

/// Is this kernel 5.8 or later?
#[cfg(target_os = "linux")]
fn syncfs_reports_errors() -> bool {
    static KNOWN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KNOWN.get_or_init(|| {
        let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
            return false;
        };
        let mut parts = release
            .trim()
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        (major, minor) >= (5, 8)
    })
}

/// One directory of a tree being removed: its descriptor, its path for reports, and the
/// entries still to remove.
struct Level {
    dir: File,
    path: PathBuf,
    name: OsString,
    left: Vec<(OsString, EntryKind)>,
}

/// Remove the tree `name` in `parent` (spelled `path` in reports), never through a link: a
/// link inside is removed itself, and a directory is entered only by `openat(O_NOFOLLOW)`.
/// Depth first with a stack of levels, not recursion. Returns what could not be removed; an
/// entry gone meanwhile is not a failure. `name` itself must be a directory (else ENOTDIR).
pub fn remove_tree(parent: &TargetDir, name: &OsStr, path: &Path) -> Vec<(PathBuf, io::Error)> {
    remove_tree_at(parent.as_fd(), name, path)
}

/// [`remove_tree`] of the tree at `path`, its parent opened by path (an exiting process's
/// clean-up of its stages).
pub fn remove_tree_by_path(path: &Path) -> Vec<(PathBuf, io::Error)> {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return vec![(path.to_path_buf(), io::ErrorKind::InvalidInput.into())];
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    match TargetDir::open(parent) {
        Ok(dir) => remove_tree(&dir, name, path),
        Err(e) => vec![(path.to_path_buf(), e)],
    }
}

pub(super) fn remove_tree_at(
    parent: BorrowedFd<'_>,
    name: &OsStr,
    path: &Path,
) -> Vec<(PathBuf, io::Error)> {
    let mut failures = Vec::new();
    let top = match open_dir_at(parent, name).and_then(|dir| Ok((list(&dir)?, dir))) {
        Ok((left, dir)) => Level {
            dir,
            path: path.to_path_buf(),
            name: name.to_os_string(),
            left,
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => return failures,
        Err(e) => {
            failures.push((path.to_path_buf(), e));
            return failures;
        }
    };
    let mut stack = vec![top];
    while let Some(level) = stack.last_mut() {
        let Some((entry, kind)) = level.left.pop() else {
            let done = stack.pop().expect("a level is on the stack");
            let above = stack.last().map(|l| l.dir.as_fd()).unwrap_or(parent);
            match unlinkat(above, done.name.as_os_str(), UnlinkatFlags::RemoveDir) {
                Ok(()) | Err(Errno::ENOENT) => {}
                // A subdirectory below that could not be emptied is reported already.
                Err(Errno::ENOTEMPTY | Errno::EEXIST) if !failures.is_empty() => {}
                Err(e) => failures.push((done.path, e.into())),
            }
            continue;
        };
        let entry_path = level.path.join(&entry);
        if kind != EntryKind::Other {
            match open_dir_at(&level.dir, &entry).and_then(|dir| Ok((list(&dir)?, dir))) {
                Ok((left, dir)) => {
                    stack.push(Level {
                        dir,
                        path: entry_path,
                        name: entry,
                        left,
                    });
                    continue;
                }
                // Not a directory after all (a link, a file): unlinked below.
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(nix::libc::ENOTDIR | nix::libc::ELOOP)
                    ) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => {
                    failures.push((entry_path, e));
                    continue;
                }
            }
        }
        match unlinkat(&level.dir, entry.as_os_str(), UnlinkatFlags::NoRemoveDir) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(e) => failures.push((entry_path, e.into())),
        }
    }
    failures
}

/// ENOTDIR: something other than a directory is where a tree is to be published.
pub fn not_a_directory() -> io::Error {
    io::Error::from_raw_os_error(nix::libc::ENOTDIR)
}

/// An `openat(O_DIRECTORY|O_NOFOLLOW)` that met a link (ELOOP) or a file (ENOTDIR).
pub fn is_link_or_file(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::ENOTDIR | nix::libc::ELOOP)
    )
}
