//! Linux: a replace keeps the old file's access ACL and extended attributes.
//!
//! A write in place (`fs.writeFile`) keeps the inode, so its ACL and xattrs stay. A rename
//! puts a new inode there, which has only what its directory's default ACL gave it: an admin's
//! narrowed ACL would silently widen again. So the scratch takes the old file's list, except
//! `security.capability` (a file capability must never pass to new bytes) and the default ACL
//! (which only a directory has), and loses an access ACL the old file did not have.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

const ACCESS_ACL: &CStr = c"system.posix_acl_access";
const NEVER_CARRIED: [&[u8]; 2] = [b"security.capability", b"system.posix_acl_default"];

/// Give `file` the access ACL and extended attributes of the file at `old` (its last
/// component not followed). Returns whether `file`'s access ACL was set or removed, after
/// which its mode must be set again. An ACL that cannot be carried fails the publish (the
/// file would be readable by more people than the old one); any other attribute that the
/// file system or this process's privileges refuse is left behind, as `cp -p` leaves it.
pub fn carry_extended_attributes(file: &File, old: &Path) -> io::Result<bool> {
    let old = CString::new(old.as_os_str().as_bytes())?;
    let names = match read_list(|buf, len| unsafe {
        // SAFETY: `buf` is valid for `len` bytes (or null with 0), `old` is NUL-terminated.
        libc::llistxattr(old.as_ptr(), buf.cast(), len)
    }) {
        Ok(names) => names,
        // Removed or replaced by a directory meanwhile: there is no list to keep, and the
        // scratch still loses an ACL the old file cannot have had.
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut had_acl = false;
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        if NEVER_CARRIED.contains(&name) {
            continue;
        }
        let name = CString::new(name)?;
        let is_acl = name.as_c_str() == ACCESS_ACL;
        let value = match read_list(|buf, len| unsafe {
            // SAFETY: as above; `name` is NUL-terminated.
            libc::lgetxattr(old.as_ptr(), name.as_ptr(), buf.cast(), len)
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

/// Call `read(buf, len)` as `listxattr`/`getxattr` want: with room that grows until the
/// value fits (ERANGE means it changed size meanwhile).
fn read_list(read: impl Fn(*mut u8, usize) -> isize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        let n = read(buf.as_mut_ptr(), buf.len());
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ERANGE) => {
                let size = read(std::ptr::null_mut(), 0);
                if size < 0 {
                    return Err(io::Error::last_os_error());
                }
                buf.resize((size as usize).max(buf.len() * 2), 0);
            }
            Some(libc::ENOTSUP) => return Ok(Vec::new()),
            _ => return Err(e),
        }
    }
}
