//! Unix (Linux and macOS). Linux-only and macOS-only parts are marked where they occur.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata, OpenOptions, Permissions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{fchown, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use nix::errno::Errno;

use crate::errors::{ErrnoName, FileKind};

// ---------------------------------------------------------------------------------------------
// Errors

/// The errno `raw` as Node names it, or `None` for a number the platform does not know.
pub fn name_raw(raw: i32) -> Option<ErrnoName> {
    let errno = Errno::from_raw(raw);
    if errno == Errno::UnknownErrno {
        return None;
    }
    Some(describe(errno))
}

/// The errno called `code` (one of the names `errors::errno_name` falls back to).
pub fn name_code(code: &str) -> ErrnoName {
    let errno = match code {
        "ENOENT" => Errno::ENOENT,
        "EACCES" => Errno::EACCES,
        "EEXIST" => Errno::EEXIST,
        "EINVAL" => Errno::EINVAL,
        "EINTR" => Errno::EINTR,
        "ENOSPC" => Errno::ENOSPC,
        "EISDIR" => Errno::EISDIR,
        "ENOTDIR" => Errno::ENOTDIR,
        "EROFS" => Errno::EROFS,
        _ => Errno::EIO,
    };
    describe(errno)
}

fn describe(errno: Errno) -> ErrnoName {
    // libuv's messages are strerror's with a lowercase first letter.
    let desc = errno.desc();
    let mut description = String::with_capacity(desc.len());
    let mut chars = desc.chars();
    if let Some(first) = chars.next() {
        description.extend(first.to_lowercase());
        description.push_str(chars.as_str());
    }
    ErrnoName {
        code: format!("{errno:?}"),
        errno: -(errno as i32),
        description,
    }
}

/// EISDIR.
pub fn is_a_directory() -> io::Error {
    io::Error::from_raw_os_error(nix::libc::EISDIR)
}

/// EBADF.
pub fn bad_descriptor() -> io::Error {
    io::Error::from_raw_os_error(nix::libc::EBADF)
}

/// ELOOP.
pub fn too_many_links() -> io::Error {
    io::Error::from_raw_os_error(nix::libc::ELOOP)
}

/// EMFILE/ENFILE: the process (or system) is out of file descriptors for now.
pub fn is_out_of_descriptors(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EMFILE) | Some(nix::libc::ENFILE)
    )
}

/// A rename on Unix never fails because another process holds the target open.
pub fn is_transient_rename_failure(_err: &io::Error) -> bool {
    false
}

/// What a caller's retry budget also waits out (atomically's list): EPERM, EBUSY, EACCES and
/// EAGAIN, which another process's momentary hold or a permission being changed can cause.
pub fn is_busy_or_refused(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EPERM | nix::libc::EBUSY | nix::libc::EACCES | nix::libc::EAGAIN)
    )
}

// ---------------------------------------------------------------------------------------------
// Process limits

/// The soft limit on open descriptors (1024 if it cannot be read).
pub fn open_file_limit() -> u64 {
    use nix::sys::resource::{getrlimit, Resource};
    getrlimit(Resource::RLIMIT_NOFILE).map_or(1024, |(soft, _)| soft)
}

// ---------------------------------------------------------------------------------------------
// Directories

/// What identifies a directory whatever the spelling of its path: device and inode (one
/// `stat`, where resolving the path would take a `readlink` per component).
pub type DirKey = (u64, u64);

pub fn dir_key(path: &Path) -> io::Result<DirKey> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// A rename is durable only once its directory is fsynced.
pub const DIRECTORY_FSYNC: bool = true;

// ---------------------------------------------------------------------------------------------
// Scratch files

/// Default permission bits of a new file before the umask, as `fs.writeFile` uses.
const NEW_FILE_MODE: u32 = 0o666;

/// Give a file about to be created the mode `fs.writeFile` would.
pub fn set_new_file_mode(options: &mut OpenOptions) {
    options.mode(NEW_FILE_MODE);
}

/// `name` cut to at most `max` bytes (a file name's limit is in bytes here), at a UTF-8
/// boundary where the name is UTF-8 so it stays readable.
pub fn truncate_file_name(name: &OsStr, max: usize) -> OsString {
    let bytes = name.as_bytes();
    if bytes.len() <= max {
        return name.to_os_string();
    }
    let mut cut = max;
    while cut > 0 && std::str::from_utf8(&bytes[..cut]).is_err() && (bytes[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    OsString::from(OsStr::from_bytes(&bytes[..cut]))
}

/// `pwrite` until all of `data` is at `offset` (a short write is continued).
pub fn write_all_at(file: &File, data: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

/// Positional reads leave the file's cursor alone: another descriptor of the same file may
/// read back what one thread has written while that thread goes on writing at the cursor.
pub const READ_AT_KEEPS_CURSOR: bool = true;

/// `pread` until `buf` is full from `offset` (an early end of file is UnexpectedEof).
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Linux: `sync_file_range(SYNC_FILE_RANGE_WRITE)`, which starts writeback without waiting.
/// macOS has no such call; there it does nothing.
pub fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is owned by `file` and open for the whole call;
        // sync_file_range reads no memory of ours.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// A scratch stays open (and locked against sweepers) until its rename is done.
pub const CLOSE_BEFORE_RENAME: bool = false;

pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// Open an existing file only to fsync it: read access is enough here.
pub fn open_to_sync(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Make `file`'s data and metadata durable.
///
/// macOS: `fsync` there leaves the data in the drive's cache, so this is `F_FULLFSYNC`, with
/// a plain `fsync` where the file system does not support it (see [`full_fsync_unsupported`]).
/// Linux: `fsync`.
pub fn sync_file(file: &File) -> io::Result<()> {
    #[cfg(target_vendor = "apple")]
    {
        use nix::fcntl::{fcntl, FcntlArg};
        let full = || {
            fcntl(file, FcntlArg::F_FULLFSYNC)
                .map(drop)
                .map_err(io::Error::from)
        };
        let plain = || nix::unistd::fsync(file).map_err(io::Error::from);
        full_fsync_with_fallback(full, plain)
    }
    #[cfg(not(target_vendor = "apple"))]
    {
        file.sync_all()
    }
}

/// Run `full`; if it fails because the file system does not support it, run `plain` instead.
/// Any other failure (EIO above all) is the answer: a plain fsync after it could report
/// success for data that never reached the disk.
#[cfg_attr(not(target_vendor = "apple"), allow(dead_code))]
fn full_fsync_with_fallback(
    full: impl FnOnce() -> io::Result<()>,
    plain: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    match full() {
        Err(e) if full_fsync_unsupported(&e) => plain(),
        done => done,
    }
}

/// The errnos with which `F_FULLFSYNC` says the file system cannot do it: ENOTSUP (SMB),
/// ENOTTY (exFAT, msdos), EINVAL (FUSE, webdav). libuv falls back on any error, and tries
/// `F_BARRIERFSYNC` first; only "not supported" falls back here, so an EIO is never retried
/// into a success.
fn full_fsync_unsupported(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::ENOTSUP | nix::libc::ENOTTY | nix::libc::EINVAL)
    )
}

// ---------------------------------------------------------------------------------------------
// Mode and owner

/// The permission bits (with set-id and sticky bits) of a file.
/// What a file that is neither a directory nor a regular file is, for messages.
pub fn file_kind(meta: &Metadata) -> FileKind {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_fifo() {
        FileKind::Fifo
    } else if kind.is_socket() {
        FileKind::Socket
    } else if kind.is_char_device() {
        FileKind::CharDevice
    } else if kind.is_block_device() {
        FileKind::BlockDevice
    } else {
        FileKind::Other
    }
}

/// Where the open `file` is now, when it still has a name: its directory may have been
/// renamed since it was created. Linux reads it from `/proc/self/fd`, macOS from `F_GETPATH`.
pub fn current_name(file: &File) -> Option<std::path::PathBuf> {
    #[cfg(target_os = "linux")]
    use std::os::fd::AsRawFd;
    let meta = file.metadata().ok()?;
    if meta.nlink() == 0 {
        return None;
    }
    #[cfg(target_os = "linux")]
    let path = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
    #[cfg(target_vendor = "apple")]
    let path = {
        let mut path = std::path::PathBuf::new();
        nix::fcntl::fcntl(file, nix::fcntl::FcntlArg::F_GETPATH(&mut path)).ok()?;
        path
    };
    #[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
    let path: std::path::PathBuf = None?;
    // Only the very file: never a name that has since been given to another.
    let there = std::fs::symlink_metadata(&path).ok()?;
    (there.dev() == meta.dev() && there.ino() == meta.ino()).then_some(path)
}

/// A path given as bytes: on Unix, file names are bytes, so any bytes name exactly one path.
pub fn path_from_bytes(bytes: &[u8]) -> Option<std::path::PathBuf> {
    Some(OsStr::from_bytes(bytes).into())
}

pub fn is_fifo(meta: &Metadata) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type())
}

pub fn mode_bits(meta: &Metadata) -> u32 {
    meta.mode() & 0o7777
}

/// fchmod.
pub fn set_mode_bits(file: &File, bits: u32) -> io::Result<()> {
    file.set_permissions(Permissions::from_mode(bits))
}

pub fn same_owner(a: &Metadata, b: &Metadata) -> bool {
    (a.uid(), a.gid()) == (b.uid(), b.gid())
}

/// fchown `file` to the owner and group of `like`.
pub fn copy_owner(file: &File, like: &Metadata) -> io::Result<()> {
    fchown(file, Some(like.uid()), Some(like.gid()))
}

/// fchown `file`; `None` leaves that id as it is (fs.chown's -1).
pub fn set_owner(file: &File, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    fchown(file, uid, gid)
}

/// Create new files with `bits`, masked by the umask as `open(2)` masks them.
pub fn set_create_mode(options: &mut OpenOptions, bits: u32) {
    options.mode(bits);
}

/// A refused chown or chmod that write-file-atomic and atomically ignore (graceful-fs's rule):
/// ENOSYS always, EINVAL and EPERM when the process is not root (a file system without owners,
/// such as exFAT or a Snap's confinement, refuses them for everyone).
pub fn is_benign_attribute_refusal(err: &io::Error) -> bool {
    match err.raw_os_error() {
        Some(nix::libc::ENOSYS) => true,
        Some(nix::libc::EINVAL | nix::libc::EPERM) => !nix::unistd::getuid().is_root(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Scratch locks and sweeping

/// EAGAIN: another process holds the lock right now.
pub fn lock_contended() -> io::Error {
    io::Error::from_raw_os_error(nix::libc::EAGAIN)
}

/// Does `path` (its last component not followed) name the file open as `file`?
pub fn names_file(path: &Path, file: &File) -> io::Result<bool> {
    let (at, open) = (std::fs::symlink_metadata(path)?, file.metadata()?);
    Ok((at.dev(), at.ino()) == (open.dev(), open.ino()))
}

/// The errors of an `open` or `unlink` of one directory entry that say it is gone or is no
/// longer the kind of thing looked for: removed or renamed away (ENOENT), a link (ELOOP with
/// `O_NOFOLLOW`), a directory (EISDIR) or not one (ENOTDIR), a socket (ENXIO, or EOPNOTSUPP
/// on macOS).
pub fn is_gone_or_other_kind(err: &io::Error) -> bool {
    use nix::libc::{EISDIR, ELOOP, ENOENT, ENOTDIR, ENXIO, EOPNOTSUPP};
    matches!(
        err.raw_os_error(),
        Some(ENOENT | ELOOP | EISDIR | ENOTDIR | ENXIO | EOPNOTSUPP)
    )
}

/// Rename `from` onto `to` only where `to` does not exist, in one step of the kernel, so that
/// of many racing renames exactly one wins and the others get EEXIST.
///
/// Linux: `renameat2(RENAME_NOREPLACE)`; macOS: `renamex_np(RENAME_EXCL)`. Where the file
/// system (or an old kernel) refuses the flag, `link()` then `unlink()`: the link is made only
/// where no name exists, just as atomically.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match rename_exclusive(from, to) {
        Err(e) if flag_refused(&e) => link_then_unlink(from, to),
        done => done,
    }
}

/// EINVAL: a file system without the flag (some FUSE and network ones); ENOSYS: a kernel
/// before 3.15; ENOTSUP: macOS on a volume without exclusive renames.
fn flag_refused(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EINVAL | nix::libc::ENOSYS | nix::libc::ENOTSUP)
    )
}

/// Once the link is made the new bytes are published; should the unlink of the scratch name
/// fail, that name is one more link to the published file, which `sweepOrphans` removes like
/// any orphan.
fn link_then_unlink(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::hard_link(from, to)?;
    let _ = std::fs::remove_file(from);
    Ok(())
}

#[cfg(any(target_os = "linux", target_vendor = "apple"))]
fn c_path(path: &Path) -> io::Result<std::ffi::CString> {
    std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

#[cfg(target_os = "linux")]
fn rename_exclusive(from: &Path, to: &Path) -> io::Result<()> {
    let (from, to) = (c_path(from)?, c_path(to)?);
    // The raw system call: musl, and glibc before 2.28, have no wrapper for it.
    // SAFETY: both paths are NUL-terminated and outlive the call, which reads nothing else.
    let done = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(target_vendor = "apple")]
fn rename_exclusive(from: &Path, to: &Path) -> io::Result<()> {
    let (from, to) = (c_path(from)?, c_path(to)?);
    // SAFETY: both paths are NUL-terminated and outlive the call.
    let done = unsafe { libc::renamex_np(from.as_ptr(), to.as_ptr(), libc::RENAME_EXCL) };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere only the link fallback is known to be exclusive.
#[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
fn rename_exclusive(_from: &Path, _to: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(nix::libc::ENOSYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn fallback_for(errno: i32) -> (io::Result<()>, bool) {
        let plain_ran = Cell::new(false);
        let result = full_fsync_with_fallback(
            || Err(io::Error::from_raw_os_error(errno)),
            || {
                plain_ran.set(true);
                Ok(())
            },
        );
        (result, plain_ran.get())
    }

    #[test]
    fn full_fsync_unsupported_by_the_file_system_falls_back_to_fsync() {
        for errno in [nix::libc::ENOTSUP, nix::libc::ENOTTY, nix::libc::EINVAL] {
            let (result, plain_ran) = fallback_for(errno);
            assert!(plain_ran, "errno {errno} must fall back");
            assert!(result.is_ok());
        }
    }

    #[test]
    fn full_fsync_failing_with_eio_is_the_answer_without_a_fallback() {
        for errno in [nix::libc::EIO, nix::libc::ENOSPC, nix::libc::EBADF] {
            let (result, plain_ran) = fallback_for(errno);
            assert!(!plain_ran, "errno {errno} must not fall back");
            assert_eq!(result.unwrap_err().raw_os_error(), Some(errno));
        }
    }

    #[test]
    fn a_successful_full_fsync_needs_no_plain_fsync() {
        let plain_ran = Cell::new(false);
        full_fsync_with_fallback(
            || Ok(()),
            || {
                plain_ran.set(true);
                Ok(())
            },
        )
        .unwrap();
        assert!(!plain_ran.get());
    }

    #[test]
    fn a_failed_fallback_reports_the_fallbacks_error() {
        let result = full_fsync_with_fallback(
            || Err(io::Error::from_raw_os_error(nix::libc::ENOTTY)),
            || Err(io::Error::from_raw_os_error(nix::libc::EIO)),
        );
        assert_eq!(result.unwrap_err().raw_os_error(), Some(nix::libc::EIO));
    }

    fn two_files() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        std::fs::write(&from, "new").unwrap();
        (dir, from, to)
    }

    /// Both the system call and the link fallback: EEXIST over a file, a move onto no file.
    #[test]
    fn an_exclusive_rename_refuses_an_existing_name_and_takes_a_free_one() {
        type Rename = fn(&Path, &Path) -> io::Result<()>;
        for (name, rename) in [
            ("rename_noreplace", rename_noreplace as Rename),
            ("link_then_unlink", link_then_unlink as Rename),
        ] {
            let (_dir, from, to) = two_files();
            std::fs::write(&to, "old").unwrap();
            let refused = rename(&from, &to).unwrap_err();
            assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists, "{name}");
            assert_eq!(std::fs::read(&to).unwrap(), b"old", "{name}");
            std::fs::remove_file(&to).unwrap();
            rename(&from, &to).unwrap();
            assert_eq!(std::fs::read(&to).unwrap(), b"new", "{name}");
            assert!(!from.exists(), "{name}: the scratch name is gone");
        }
    }

    #[test]
    fn flags_a_file_system_refuses_fall_back_to_the_link() {
        for errno in [nix::libc::EINVAL, nix::libc::ENOSYS, nix::libc::ENOTSUP] {
            assert!(flag_refused(&io::Error::from_raw_os_error(errno)));
        }
        assert!(!flag_refused(&io::Error::from_raw_os_error(
            nix::libc::EEXIST
        )));
    }

    #[test]
    fn refused_attributes_are_benign_only_as_graceful_fs_says() {
        let benign = |errno| is_benign_attribute_refusal(&io::Error::from_raw_os_error(errno));
        assert!(benign(nix::libc::ENOSYS));
        assert!(!benign(nix::libc::EIO));
        let root = nix::unistd::getuid().is_root();
        assert_eq!(benign(nix::libc::EPERM), !root);
        assert_eq!(benign(nix::libc::EINVAL), !root);
    }

    #[test]
    fn a_long_utf8_name_is_cut_at_a_character_boundary() {
        let name = OsStr::new("ééééé"); // 10 bytes
        assert_eq!(truncate_file_name(name, 5), OsStr::new("éé"));
        assert_eq!(truncate_file_name(name, 10), name);
    }
}
