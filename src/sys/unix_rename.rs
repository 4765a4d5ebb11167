//! Renames that must not replace what is there (`withOverwrite(false)`, guarantee 13).

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

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
pub(super) fn flag_refused(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EINVAL | nix::libc::ENOSYS | nix::libc::ENOTSUP)
    )
}

/// Once the link is made the new bytes are published; should the unlink of the scratch name
/// fail, that name is one more link to the published file, which `sweepOrphans` removes like
/// any orphan.
pub(super) fn link_then_unlink(from: &Path, to: &Path) -> io::Result<()> {
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
