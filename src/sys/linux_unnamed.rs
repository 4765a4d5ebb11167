//! Linux: a scratch without a name (O_TMPFILE), and writes from memory only the kernel reads.
//!
//! An O_TMPFILE inode lives in its directory's file system but in no directory until it is
//! linked: a failed publish drops it with its descriptor and nothing was ever visible, and a
//! crash leaves no orphan (the kernel frees it, or fsck does after a power cut).

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use super::unix_xattr_common::read_growing;
use super::TargetDir;

/// An unnamed regular file in `dir`, opened by `options` (access and create mode set); `None`
/// where this directory's file system has none (EOPNOTSUPP; EISDIR or EINVAL on kernels and
/// file systems that predate it), or where `/proc` is not there to name it later.
pub fn create_unnamed(dir: &TargetDir, bits: u32) -> io::Result<Option<File>> {
    // Looked at once: /proc does not come and go under a running process.
    static PROC_FD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*PROC_FD.get_or_init(|| Path::new("/proc/self/fd").is_dir()) {
        return Ok(None);
    }
    let flags = OFlag::O_TMPFILE | OFlag::O_RDWR | OFlag::O_CLOEXEC;
    match nix::fcntl::openat(dir, ".", flags, Mode::from_bits_truncate(bits)) {
        Ok(fd) => Ok(Some(fd.into())),
        Err(Errno::EOPNOTSUPP | Errno::EISDIR | Errno::EINVAL) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Give the unnamed `file` the name of `path`'s last component in `dir` (EEXIST if taken).
/// Through its `/proc` link, which needs no privilege, where `AT_EMPTY_PATH` would need
/// CAP_DAC_READ_SEARCH.
pub fn link_unnamed(file: &File, dir: &TargetDir, path: &Path) -> io::Result<()> {
    let name = path.file_name().ok_or(io::ErrorKind::InvalidInput)?;
    let proc_link = format!("/proc/self/fd/{}", file.as_raw_fd());
    nix::unistd::linkat(
        nix::fcntl::AT_FDCWD,
        proc_link.as_str(),
        dir,
        name,
        nix::fcntl::AtFlags::AT_SYMLINK_FOLLOW,
    )
    .map_err(io::Error::from)
}

/// What a file made in a directory takes from it: its file system, the group a
/// set-group-id directory hands down, its default ACL (which also overrides the umask), the
/// inode flags new files inherit (`chattr`). A file made unnamed in one directory and linked
/// into another must look made in the second: the two must give the same.
#[derive(Debug, PartialEq, Eq)]
pub struct NewFileTraits {
    dev: u64,
    handed_down_group: Option<u32>,
    default_acl: Vec<u8>,
    inherited_flags: u32,
}

/// What a file made in `dir` takes from it.
pub fn new_file_traits(dir: &TargetDir) -> io::Result<NewFileTraits> {
    let (_, meta) = dir.key_and_metadata()?;
    Ok(NewFileTraits {
        dev: meta.dev(),
        handed_down_group: (meta.mode() & 0o2000 != 0).then_some(meta.gid()),
        default_acl: default_acl(dir)?,
        inherited_flags: inode_flags(dir)? & FLAGS_NEW_FILES_INHERIT,
    })
}

/// The `FS_IOC_GETFLAGS` flags a new regular file takes from its directory on ext4, xfs or
/// btrfs (linux/fs.h): secure and undeletable removal, compression and its refusal, `sync`,
/// `nodump`, `noatime`, data journalling, no tail merging, no copy on write, DAX, and project
/// inheritance (the project id comes with it).
const FLAGS_NEW_FILES_INHERIT: u32 = 0x0000_0001 // FS_SECRM_FL
    | 0x0000_0002 // FS_UNRM_FL
    | 0x0000_0004 // FS_COMPR_FL
    | 0x0000_0008 // FS_SYNC_FL
    | 0x0000_0040 // FS_NODUMP_FL
    | 0x0000_0080 // FS_NOATIME_FL
    | 0x0000_0400 // FS_NOCOMP_FL
    | 0x0000_4000 // FS_JOURNAL_DATA_FL
    | 0x0000_8000 // FS_NOTAIL_FL
    | 0x0080_0000 // FS_NOCOW_FL
    | 0x0200_0000 // FS_DAX_FL
    | 0x2000_0000; // FS_PROJINHERIT_FL

/// The directory's inode flags; none where its file system keeps none.
fn inode_flags(dir: &TargetDir) -> io::Result<u32> {
    let fd = std::os::fd::AsFd::as_fd(dir).as_raw_fd();
    // The kernel writes an int, whatever the request's declared size.
    let mut flags: libc::c_int = 0;
    // SAFETY: `flags` outlives the call and is as large as what the kernel writes.
    if unsafe { libc::ioctl(fd, libc::FS_IOC_GETFLAGS, &mut flags) } == 0 {
        return Ok(flags as u32);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENOTTY | libc::EINVAL | libc::EOPNOTSUPP) => Ok(0),
        _ => Err(e),
    }
}

/// The directory's default ACL as the kernel stores it; empty where it has none.
fn default_acl(dir: &TargetDir) -> io::Result<Vec<u8>> {
    let fd = std::os::fd::AsFd::as_fd(dir).as_raw_fd();
    let read = read_growing(|buf, len| unsafe {
        // SAFETY: `buf` is valid for `len` bytes (or null with 0), the name is NUL-terminated.
        libc::fgetxattr(fd, c"system.posix_acl_default".as_ptr(), buf.cast(), len)
    });
    match read {
        Err(e) if e.raw_os_error() == Some(libc::ENODATA) => Ok(Vec::new()),
        other => other,
    }
}

// 64-bit file offsets everywhere: 32-bit glibc (armv7) has a 32-bit `off_t` and the 64-bit call
// beside it; musl's `off_t` is always 64 bits.
#[cfg(target_env = "gnu")]
use libc::{off64_t as FileOffset, pwrite64 as pwrite_at};
#[cfg(not(target_env = "gnu"))]
use libc::{off_t as FileOffset, pwrite as pwrite_at};

/// `pwrite` the `len` bytes at address `addr` to `file` at `offset`, continuing short writes.
///
/// The memory belongs to a runtime that may unmap or rewrite it at any moment, so user space
/// never touches it: only the kernel reads it, and fails with EFAULT where a read of ours
/// would crash. Whatever it read is what the file holds, which the caller checks by reading
/// the file back.
pub fn write_all_from(file: &File, addr: usize, len: usize, offset: u64) -> io::Result<()> {
    let mut done = 0usize;
    while done < len {
        let at = FileOffset::try_from(offset + done as u64)
            .map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
        // SAFETY: the kernel validates the range; no Rust reference to it is ever made.
        let n = unsafe {
            pwrite_at(
                file.as_raw_fd(),
                (addr + done) as *const libc::c_void,
                len - done,
                at,
            )
        };
        match n {
            n if n > 0 => done += n as usize,
            0 => return Err(io::ErrorKind::WriteZero.into()),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}
