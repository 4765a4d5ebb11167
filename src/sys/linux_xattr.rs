//! Linux: a replace keeps the old file's access ACL and extended attributes.
//!
//! A write in place (`fs.writeFile`) keeps the inode, so its ACL and xattrs stay. A rename
//! puts a new inode there, which has only what its directory's default ACL gave it: an admin's
//! narrowed ACL would silently widen again. So the scratch takes the old file's list, except
//! `security.capability` (a file capability must never pass to new bytes) and the default ACL
//! (which only a directory has), and loses an access ACL the old file did not have.

use std::ffi::{CStr, CString, OsStr};
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::io::AsRawFd;

use super::unix_xattr_common::{names_in, open_old_file, read_growing};
use super::TargetDir;

const ACCESS_ACL: &CStr = c"system.posix_acl_access";
const NEVER_CARRIED: [&[u8]; 2] = [b"security.capability", b"system.posix_acl_default"];

/// Give `file` the access ACL and extended attributes of the file `name` in `dir`, which must
/// still be the file `old` describes (see `open_old_file`). Returns whether `file`'s access
/// ACL was set or removed, after which its mode must be set again. An ACL that cannot be
/// carried fails the publish (the file would be readable by more people than the old one);
/// any other attribute that the file system or this process's privileges refuse is left
/// behind, as `cp -p` leaves it.
pub fn carry_extended_attributes(
    file: &File,
    dir: &TargetDir,
    name: &OsStr,
    old: &Metadata,
) -> io::Result<bool> {
    let entry = open_old_file(dir, name, old)?;
    let names = match &entry {
        Some(entry) => read_growing(|buf, len| unsafe {
            // SAFETY: `buf` is valid for `len` bytes (or null with 0), the path is
            // NUL-terminated.
            match libc::flistxattr(entry.as_raw_fd(), buf.cast(), len) {
                -1 if is_path_only() => libc::listxattr(proc_path(entry).as_ptr(), buf.cast(), len),
                n => n,
            }
        })?,
        None => Vec::new(),
    };
    let mut had_acl = false;
    for name in names_in(&names) {
        if NEVER_CARRIED.contains(&name) {
            continue;
        }
        let name = CString::new(name)?;
        let is_acl = name.as_c_str() == ACCESS_ACL;
        let Some(entry) = &entry else { break };
        let value = match read_growing(|buf, len| unsafe {
            // SAFETY: as above; `name` is NUL-terminated.
            match libc::fgetxattr(entry.as_raw_fd(), name.as_ptr(), buf.cast(), len) {
                -1 if is_path_only() => {
                    libc::getxattr(proc_path(entry).as_ptr(), name.as_ptr(), buf.cast(), len)
                }
                n => n,
            }
        }) {
            Ok(value) => value,
            // Removed meanwhile: there is nothing to keep.
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => continue,
            Err(e) => return Err(e),
        };
        // SAFETY: `value` is valid for its length for the whole call.
        let set = unsafe {
            libc::fsetxattr(
                file.as_raw_fd(),
                name.as_ptr(),
                value.as_ptr().cast(),
                value.len(),
                0,
            )
        };
        match set {
            0 => had_acl |= is_acl,
            _ if is_acl => return Err(io::Error::last_os_error()),
            _ => {}
        }
    }
    if had_acl {
        return Ok(true);
    }
    // SAFETY: a valid descriptor and a NUL-terminated name.
    match unsafe { libc::fremovexattr(file.as_raw_fd(), ACCESS_ACL.as_ptr()) } {
        0 => Ok(true),
        _ => match io::Error::last_os_error().raw_os_error() {
            Some(libc::ENODATA | libc::EOPNOTSUPP) => Ok(false),
            _ => Err(io::Error::last_os_error()),
        },
    }
}

/// EBADF: the entry was opened `O_PATH` (not readable by this process).
fn is_path_only() -> bool {
    io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
}

/// The path that reaches exactly the inode `entry` names (`*xattr` on an `O_PATH` descriptor
/// itself is EBADF); it must be followed, which goes to that inode and no further.
fn proc_path(entry: &File) -> CString {
    CString::new(format!("/proc/self/fd/{}", entry.as_raw_fd())).expect("no NUL in a number")
}
