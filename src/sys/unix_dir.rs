//! The target's directory, open once per publish, and everything done relative to it.
//!
//! The directory is opened `O_DIRECTORY|O_CLOEXEC`: whatever another user swaps in at its path
//! (a FIFO above all), the open fails at once instead of waiting. The scratch is created,
//! linked and renamed relative to that descriptor, and the descriptor itself is fsynced, so
//! every step acts on the directory that was resolved and none opens it again by path.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
// For the exclusive rename's raw call, which only Linux and Apple systems have.
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
use std::{ffi::CString, os::fd::AsRawFd, os::unix::ffi::OsStrExt};

use nix::fcntl::{openat, OFlag, AT_FDCWD};
use nix::sys::stat::Mode;

use super::unix::DirKey;

/// An open directory that a publish works in.
#[derive(Debug)]
pub struct TargetDir {
    dir: File,
}

/// How every directory is opened: read-only, refused at once if not a directory (so a FIFO
/// swapped in never makes the open wait), never inherited by a child.
pub(super) const DIR_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_CLOEXEC);

impl TargetDir {
    /// The directory at `path`, links followed as `fs` follows them; never waits.
    pub fn open(path: &Path) -> io::Result<Self> {
        let fd = openat(AT_FDCWD, path, DIR_FLAGS, Mode::empty())?;
        Ok(Self { dir: fd.into() })
    }

    /// A descriptor that only names the directory (`O_PATH`): its fsync fails with EBADF.
    #[cfg(all(test, target_os = "linux"))]
    pub fn named_only(path: &Path) -> Self {
        let fd = openat(AT_FDCWD, path, DIR_FLAGS | OFlag::O_PATH, Mode::empty()).unwrap();
        Self { dir: fd.into() }
    }

    /// Its identity, whatever the spelling of its path, and what it is now.
    pub fn key_and_metadata(&self) -> io::Result<(DirKey, Metadata)> {
        let meta = self.dir.metadata()?;
        Ok(((meta.dev(), meta.ino()), meta))
    }

    /// Whether `name` here is still the file `existing` describes (or still nothing): the
    /// path was resolved before the directory was opened, and another user who controls a
    /// component of it may have swapped in a different directory meanwhile.
    pub fn still_holds(&self, name: &OsStr, existing: Option<&Metadata>) -> io::Result<bool> {
        use nix::fcntl::AtFlags;
        match nix::sys::stat::fstatat(&self.dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            // `st_dev` and `st_ino` differ in width between platforms.
            #[allow(clippy::unnecessary_cast)]
            Ok(now) => Ok(existing.is_some_and(|old| {
                (now.st_dev as u64, now.st_ino as u64) == (old.dev(), old.ino())
            })),
            Err(nix::errno::Errno::ENOENT) => Ok(existing.is_none()),
            Err(e) => Err(e.into()),
        }
    }

    /// The entry `name` here, itself (never through a link, never waiting): opened to read
    /// where this process may, else (`O_PATH`) only to name it.
    #[cfg(target_os = "linux")]
    pub fn open_entry(&self, name: &OsStr) -> io::Result<File> {
        let only = OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let read = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | only;
        match openat(&self.dir, name, read, Mode::empty()) {
            Err(nix::errno::Errno::EACCES) => {
                Ok(openat(&self.dir, name, OFlag::O_PATH | only, Mode::empty())?.into())
            }
            other => Ok(other?.into()),
        }
    }

    /// The entry `name` here, itself (never through a link, never waiting), opened to read.
    /// macOS has no `O_PATH`: a file this process may not read is EACCES, and its attributes
    /// could not be read anyway (xnu asks read permission for extended attributes).
    #[cfg(target_vendor = "apple")]
    pub fn open_entry(&self, name: &OsStr) -> io::Result<File> {
        let flags = OFlag::O_RDONLY
            | OFlag::O_NONBLOCK
            | OFlag::O_NOCTTY
            | OFlag::O_NOFOLLOW
            | OFlag::O_CLOEXEC;
        Ok(openat(&self.dir, name, flags, Mode::empty())?.into())
    }

    /// Create the file named as `path`'s last component here, exclusively, never through a
    /// link, with `bits` (masked by the umask as `open(2)` masks them).
    pub fn create_new(&self, path: &Path, bits: u32) -> io::Result<File> {
        let flags =
            OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        // macOS: a file asked for owner-only would get the directory's inheritable ACL
        // entries, which the mode does not mask, from its first instant.
        #[cfg(target_vendor = "apple")]
        if bits & 0o077 == 0 {
            return super::macos_create::create_without_inherited_acl(
                &self.dir,
                name_of(path)?,
                flags.bits(),
                bits,
            );
        }
        let fd = openat(
            &self.dir,
            name_of(path)?,
            flags,
            Mode::from_bits_truncate(bits as _),
        )?;
        Ok(fd.into())
    }

    /// fsync the directory, so that a rename inside it survives a power cut.
    pub fn sync(&self) -> io::Result<()> {
        super::sync_file(&self.dir)
    }

    /// Rename the entry named as `from`'s last component onto `to`'s, both here.
    /// The scratch's open file (`_scratch`) is not needed here, where renames go by name.
    pub fn rename(&self, _scratch: Option<&File>, from: &Path, to: &Path) -> io::Result<()> {
        nix::fcntl::renameat(&self.dir, name_of(from)?, &self.dir, name_of(to)?)
            .map_err(io::Error::from)
    }

    /// [`TargetDir::rename`] only where `to` does not exist, in one step of the kernel, so
    /// that of many racing renames exactly one wins and the others get EEXIST.
    ///
    /// Linux: `renameat2(RENAME_NOREPLACE)`; macOS: `renameatx_np(RENAME_EXCL)`. Where the file
    /// system (or an old kernel) refuses the flag, `linkat()` then `unlinkat()`: the link is
    /// made only where no name exists, just as atomically. Should the unlink of the scratch
    /// name then fail, that name is one more link to the published file, which
    /// `sweepOrphans` removes like any orphan.
    pub fn rename_noreplace(
        &self,
        _scratch: Option<&File>,
        from: &Path,
        to: &Path,
    ) -> io::Result<()> {
        match self.rename_exclusive(name_of(from)?, name_of(to)?) {
            Err(e) if flag_refused(&e) => self.link_then_unlink(from, to),
            done => done,
        }
    }

    /// The exclusive rename's fallback: a link is made only where no name exists.
    pub(super) fn link_then_unlink(&self, from: &Path, to: &Path) -> io::Result<()> {
        let (from, to) = (name_of(from)?, name_of(to)?);
        let no_follow = nix::fcntl::AtFlags::empty();
        nix::unistd::linkat(&self.dir, from, &self.dir, to, no_follow)?;
        let _ = nix::unistd::unlinkat(&self.dir, from, nix::unistd::UnlinkatFlags::NoRemoveDir);
        Ok(())
    }

    #[cfg(any(target_os = "linux", target_vendor = "apple"))]
    fn rename_exclusive(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        let (from, to) = (c_name(from)?, c_name(to)?);
        let fd = self.dir.as_fd().as_raw_fd();
        // The raw system call on Linux: musl, and glibc before 2.28, have no wrapper for it.
        // SAFETY: both names are NUL-terminated and outlive the call; the descriptor is open.
        #[cfg(target_os = "linux")]
        let done = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                fd,
                from.as_ptr(),
                fd,
                to.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        // SAFETY: as above.
        #[cfg(target_vendor = "apple")]
        let done =
            unsafe { libc::renameatx_np(fd, from.as_ptr(), fd, to.as_ptr(), libc::RENAME_EXCL) };
        if done == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Elsewhere only the link fallback is known to be exclusive.
    #[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
    fn rename_exclusive(&self, _from: &OsStr, _to: &OsStr) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(nix::libc::ENOSYS))
    }
}

impl AsFd for TargetDir {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.dir.as_fd()
    }
}

/// The last component of `path`: the name relative to the directory it is in.
fn name_of(path: &Path) -> io::Result<&OsStr> {
    path.file_name()
        .ok_or_else(|| io::ErrorKind::InvalidInput.into())
}

/// EINVAL: a file system without the flag (some FUSE and network ones); ENOSYS: a kernel
/// before 3.15; ENOTSUP: macOS on a volume without exclusive renames.
pub(super) fn flag_refused(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EINVAL | nix::libc::ENOSYS | nix::libc::ENOTSUP)
    )
}

#[cfg(any(target_os = "linux", target_vendor = "apple"))]
fn c_name(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}
