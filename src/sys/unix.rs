//! Unix (Linux and macOS). Linux-only and macOS-only parts are marked where they occur.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata, OpenOptions, Permissions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{fchown, MetadataExt, PermissionsExt};
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
        "EDQUOT" => Errno::EDQUOT,
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

/// EAGAIN: the target's directory kept changing while it was resolved, or the file it held was
/// replaced before its attributes were read.
pub fn target_changed() -> io::Error {
    io::Error::from_raw_os_error(nix::libc::EAGAIN)
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
// `rlim_t` is u32 on 32-bit glibc (armv7), i64 on FreeBSD (never negative: infinity is
// i64::MAX) and already u64 elsewhere.
#[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
pub fn open_file_limit() -> u64 {
    use nix::sys::resource::{getrlimit, Resource};
    getrlimit(Resource::RLIMIT_NOFILE)
        .map_or(1024, |(soft, _)| u64::try_from(soft).unwrap_or(u64::MAX))
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
    start_writeback_of(file, 0, 0);
}

/// As [`start_writeback`], for the `len` bytes at `offset` only (0 meaning to the end).
pub fn start_writeback_of(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
            return;
        };
        // SAFETY: the descriptor is owned by `file` and open for the whole call;
        // sync_file_range reads no memory of ours.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
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
/// macOS: `fsync` there leaves the data in the drive's cache, so this is `F_FULLFSYNC`; where
/// the file system refuses it, `F_BARRIERFSYNC`, then a plain `fsync` (see
/// [`full_fsync_with_fallback`]).
/// Linux: `fsync`.
pub fn sync_file(file: &File) -> io::Result<()> {
    #[cfg(target_vendor = "apple")]
    {
        use nix::fcntl::{fcntl, FcntlArg};
        let run = |arg| fcntl(file, arg).map(drop).map_err(io::Error::from);
        let full = || run(FcntlArg::F_FULLFSYNC);
        let barrier = || run(FcntlArg::F_BARRIERFSYNC);
        let plain = || nix::unistd::fsync(file).map_err(io::Error::from);
        full_fsync_with_fallback(full, barrier, plain)
    }
    #[cfg(not(target_vendor = "apple"))]
    {
        file.sync_all()
    }
}

/// Run `full`; if it fails, `barrier`; if that fails too, `plain`, whose answer is the
/// answer. This is libuv's order (`uv__fs_fsync`, `src/unix/fs.c`), so a publish is durable
/// wherever `fs.fsync` succeeds: file systems refuse `F_FULLFSYNC` with ENOTSUP (SMB),
/// EOPNOTSUPP, ENOTTY (exFAT, msdos), EINVAL (webdav) or ENOSYS (a FUSE daemon), and no list
/// of them is complete. One difference: a step that reports lost data ([`lost_data`]) is the
/// answer at once, where libuv would go on: a later `fsync` may find nothing left to write
/// and report success for bytes that never reached the disk.
#[cfg_attr(not(target_vendor = "apple"), allow(dead_code))]
fn full_fsync_with_fallback(
    full: impl FnOnce() -> io::Result<()>,
    barrier: impl FnOnce() -> io::Result<()>,
    plain: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    match full() {
        Err(e) if !lost_data(&e) => match barrier() {
            Err(e) if !lost_data(&e) => plain(),
            done => done,
        },
        done => done,
    }
}

/// The errnos with which a flush says data was not written (rather than that the file system
/// cannot flush this way).
#[cfg_attr(not(target_vendor = "apple"), allow(dead_code))]
fn lost_data(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EIO | nix::libc::ENOSPC | nix::libc::EDQUOT)
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

/// Where the open `file`, once named `name`, is now, when it still has a name: its directory
/// may have been renamed since. Linux reads it from `/proc/self/fd`, macOS from `F_GETPATH`. A
/// file made without a name and linked later shows there as `<its directory now>/#<inode>
/// (deleted)`, so `name` in that directory is tried too.
pub fn current_name(file: &File, name: &OsStr) -> Option<std::path::PathBuf> {
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
    let is_this_file = |path: &Path| {
        std::fs::symlink_metadata(path)
            .is_ok_and(|there| there.dev() == meta.dev() && there.ino() == meta.ino())
    };
    let beside = path.parent().map(|dir| dir.join(name));
    [Some(path), beside]
        .into_iter()
        .flatten()
        .find(|p| is_this_file(p))
}

/// Has the open `file` no name left in any directory?
pub fn is_unlinked(file: &File) -> bool {
    file.metadata().is_ok_and(|meta| meta.nlink() == 0)
}

/// A path given as bytes: on Unix, file names are bytes, so any bytes name exactly one path.
pub fn path_from_bytes(bytes: &[u8]) -> Option<std::path::PathBuf> {
    Some(OsStr::from_bytes(bytes).into())
}

/// When the file's inode last changed (ctime): set by the kernel, never by a caller.
pub fn status_changed(meta: &Metadata) -> Option<std::time::SystemTime> {
    let secs = u64::try_from(meta.ctime()).ok()?;
    let nanos = u32::try_from(meta.ctime_nsec()).ok()?;
    std::time::UNIX_EPOCH.checked_add(std::time::Duration::new(secs, nanos))
}

/// Unix carries the mode, owner and ACL once the bytes are written (see `scratch::attributes`):
/// the scratch is created owner-only, so nothing is needed at its creation.
pub fn carry_security(_file: &File, _old_path: &Path, _old: &Metadata) -> io::Result<()> {
    Ok(())
}

/// Devices, FIFOs and sockets show in their metadata here (see [`file_kind`]).
pub fn device_kind(_file: &File) -> Option<FileKind> {
    None
}

/// See [`device_kind`].
pub fn device_at(_path: &Path) -> Option<FileKind> {
    None
}

/// Every mtime is tried here: a file system that clamps it is caught by reading it back.
pub fn mtime_fits(_secs: i64, _nanos: u32) -> bool {
    true
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

/// Whether `a` and `b` have the same group.
pub fn same_group(a: &Metadata, b: &Metadata) -> bool {
    a.gid() == b.gid()
}

/// fchown `file` to the owner and group of `like`.
pub fn copy_owner(file: &File, like: &Metadata) -> io::Result<()> {
    fchown(file, Some(like.uid()), Some(like.gid()))
}

/// fchown `file`; `None` leaves that id as it is (fs.chown's -1).
pub fn set_owner(file: &File, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    fchown(file, uid, gid)
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

/// Remove the file at `path`: an unlink, which a file's own mode does not restrict.
pub fn remove_file(path: &Path) -> io::Result<()> {
    std::fs::remove_file(path)
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

#[cfg(test)]
#[path = "unix_tests.rs"]
mod tests;

/// How long one wait for a FIFO's writer lasts before a cancel is looked at again.
const FIFO_WAIT_SLICE_MS: u16 = 50;

/// Open a copy's source for reading. A FIFO is opened without waiting for a writer
/// (O_NONBLOCK); [`read_waiting`] then waits in short slices, so that a cancel is seen while no
/// writer comes or one stalls, and no thread of the pool is held forever (libuv joins its
/// threads at exit). A blocking open or read there could not be given up.
pub fn open_source(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, nix::libc::O_NONBLOCK);
    options.open(path)
}

/// Wait until `file`, as [`open_source`] opened it, has something to read (data, or an end
/// after its writer came and went); false once `cancelled` says so. It polls in short slices.
///
/// Polled before any read, as a read of a FIFO whose writer has not come yet gives its end:
/// on Linux a poll reports no end until a writer has come since the open; on macOS (xnu's
/// FIFOs are socket pairs) the read side of a fresh FIFO is not shut until a writer leaves.
pub fn wait_readable(file: &File, cancelled: &dyn Fn() -> bool) -> io::Result<bool> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    loop {
        if cancelled() {
            return Ok(false);
        }
        let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(FIFO_WAIT_SLICE_MS)) {
            Ok(0) | Err(Errno::EINTR) => {}
            Ok(_) => return Ok(true),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Read from `file`, as [`open_source`] opened it, into `buf`: `Ok(None)` once `cancelled`
/// says so, else what `read` gives (0 at the end). It waits for data in short polls, never in
/// a read that could block for good.
pub fn read_waiting(
    file: &File,
    buf: &mut [u8],
    cancelled: &dyn Fn() -> bool,
) -> io::Result<Option<usize>> {
    use std::io::Read;
    loop {
        // Wait first: a FIFO whose writer has not come yet reads as its end.
        if !wait_readable(file, cancelled)? {
            return Ok(None);
        }
        match (&*file).read(buf) {
            Ok(n) => return Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
}
