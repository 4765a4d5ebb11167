//! macOS: a replace keeps the old file's ACL and extended attributes.
//!
//! A write in place keeps the inode, so its ACL and attributes stay. A rename puts a new inode
//! there, which has only the entries its directory's inheritable ACL gave it, and macOS ACL
//! entries are not masked by the mode bits: an admin's narrowed ACL would silently widen
//! again. So the scratch takes the old file's attributes (see `macos_attr_rules` for which),
//! then exactly the old file's ACL, or none where the old file had none.
//!
//! Everything is read through the descriptor of the old file as the publish's directory holds
//! it, after its identity is checked (`open_old_file`), and written through the scratch's
//! descriptor: no call goes by path, so no link is ever followed.

use std::ffi::{c_int, c_void, CStr, CString, OsStr};
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::io::AsRawFd;

use super::macos_attr_rules::{
    acl_step, after_read_failure, after_set_failure, worth_setting, xattr_rule, AclStep, Next,
    OldAcl, ReadRefusal, XattrRule, RESOURCE_FORK_PIECE,
};
use super::unix_xattr_common::{names_in, open_old_file, read_growing};
use super::TargetDir;

// The libc crate declares the xattr calls for Apple but none of the ACL or filesec ones.
// <sys/acl.h> (Libc `posix1e/acl_file.c`): an `acl_t` is an opaque pointer, `acl_type_t` an
// enum; `acl_set_fd_np` writes through `fchmodx_np`. <sys/stat.h>: `fstatx_np`, which reads
// a file's ACL into a filesec.
type AclT = *mut c_void;
const ACL_TYPE_EXTENDED: c_int = 0x0000_0100;
// <sys/fcntl.h>: `filesec_t` is opaque, FILESEC_ACL is property 5, and the property value
// `_FILESEC_REMOVE_ACL` ((void *)1) asks `fchmodx_np` (<sys/stat.h>) to remove the ACL
// altogether (xnu `bsd/vfs/vfs_syscalls.c`, `chmod_extended`: `va_acl` set to NULL), which an
// `acl_t` with no entries cannot: that stores an empty ACL.
type FilesecT = *mut c_void;
pub(super) const FILESEC_ACL: c_int = 5;

extern "C" {
    fn acl_set_fd_np(fd: c_int, acl: AclT, kind: c_int) -> c_int;
    fn acl_free(obj: *mut c_void) -> c_int;
    fn filesec_init() -> FilesecT;
    fn filesec_free(fsec: FilesecT);
    fn filesec_set_property(fsec: FilesecT, property: c_int, value: *const c_void) -> c_int;
    fn filesec_get_property(fsec: FilesecT, property: c_int, value: *mut c_void) -> c_int;
    fn fstatx_np(fd: c_int, stat: *mut c_void, fsec: FilesecT) -> c_int;
    fn fchmodx_np(fd: c_int, fsec: FilesecT) -> c_int;
}

/// Give `file` the extended attributes and ACL of the file `name` in `dir`, which must still
/// be the file `old` describes. Returns whether `file`'s ACL was set or removed. The ACL
/// fails the publish if it cannot be read or carried (EACCES where reading it is refused),
/// and so does the quarantine flag; any other attribute that the file system or this
/// process's privileges refuse is left behind, as copyfile leaves it.
pub fn carry_extended_attributes(
    file: &File,
    dir: &TargetDir,
    name: &OsStr,
    old: &Metadata,
) -> io::Result<bool> {
    let new = file.as_raw_fd();
    let old_acl = match open_old_file(dir, name, old)? {
        Some(entry) => {
            let from = entry.as_raw_fd();
            // SAFETY: `buf` is valid for `len` bytes (or null with 0).
            let list =
                read_growing(|buf, len| unsafe { libc::flistxattr(from, buf.cast(), len, 0) })?;
            for name in names_in(&list) {
                let rule = xattr_rule(name);
                if rule == XattrRule::Skip {
                    continue;
                }
                let name = CString::new(name)?;
                match rule {
                    XattrRule::InPieces => carry_resource_fork(from, new, &name)?,
                    _ => carry_one(from, new, &name, rule)?,
                }
            }
            read_acl(from)
        }
        None => Ok(None),
    };
    // The attributes go first: an ACL carried over may deny even the owner writing them.
    let old_state = match &old_acl {
        Ok(Some(_)) => OldAcl::Present,
        Ok(None) => OldAcl::Absent,
        Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => {
            OldAcl::Unreadable
        }
        Err(_) => OldAcl::Failed,
    };
    let new_has_acl = read_acl(new)?.is_some();
    match acl_step(old_state, new_has_acl) {
        Ok(AclStep::CopyOld) => {
            let Ok(Some(acl)) = &old_acl else {
                unreachable!("CopyOld only for an ACL that was read")
            };
            // SAFETY: a valid descriptor and an ACL this function owns.
            match unsafe { acl_set_fd_np(new, acl.0, ACL_TYPE_EXTENDED) } {
                0 => Ok(true),
                _ => Err(io::Error::last_os_error()),
            }
        }
        Ok(AclStep::Remove) => remove_acl(new).map(|()| true),
        Ok(AclStep::Keep) => Ok(false),
        Err(next) => Err(failure(next, old_acl.err())),
    }
}

/// Remove whatever ACL `file` was created with: the empty one that refused the directory's
/// inheritable entries (`macos_create`), or, where the file system took none, anything.
pub(super) fn drop_inherited_acl(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    match read_acl(fd)? {
        Some(_) => remove_acl(fd),
        None => Ok(()),
    }
}

/// Whether `file` has no ACL at all.
#[cfg(test)]
pub(super) fn has_no_acl(file: &File) -> io::Result<bool> {
    Ok(read_acl(file.as_raw_fd())?.is_none())
}

/// The error a fail-closed decision reports: EACCES for a refusal, else what happened.
fn failure(next: Next, cause: Option<io::Error>) -> io::Error {
    match (next, cause) {
        (Next::Fail, Some(e)) => e,
        _ => io::Error::from_raw_os_error(libc::EACCES),
    }
}

fn read_refusal(err: &io::Error) -> ReadRefusal {
    match err.raw_os_error() {
        Some(libc::ENOATTR) => ReadRefusal::Gone,
        Some(libc::EPERM | libc::EACCES) => ReadRefusal::NotPermitted,
        _ => ReadRefusal::Other,
    }
}

/// Carry the attribute `name` from descriptor `from` to `to` in one call.
fn carry_one(from: c_int, to: c_int, name: &CStr, rule: XattrRule) -> io::Result<()> {
    // The size first: an error then says whether the attribute is still there at all.
    // SAFETY: a NUL-terminated name; a null buffer with size 0 asks only the size.
    let size = unsafe { libc::fgetxattr(from, name.as_ptr(), std::ptr::null_mut(), 0, 0, 0) };
    let value = if size < 0 {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: `buf` is valid for `len` bytes (or null with 0).
        read_growing(|buf, len| unsafe {
            libc::fgetxattr(from, name.as_ptr(), buf.cast(), len, 0, 0)
        })
    };
    let value = match value {
        Ok(value) => value,
        Err(e) => {
            return match after_read_failure(rule, read_refusal(&e)) {
                Next::Continue => Ok(()),
                next => Err(failure(next, Some(e))),
            }
        }
    };
    if !worth_setting(name.to_bytes(), &value) {
        return Ok(());
    }
    // SAFETY: `value` is valid for its length for the whole call.
    let set =
        unsafe { libc::fsetxattr(to, name.as_ptr(), value.as_ptr().cast(), value.len(), 0, 0) };
    if set == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // SAFETY: as for the size above.
    let already_there =
        unsafe { libc::fgetxattr(to, name.as_ptr(), std::ptr::null_mut(), 0, 0, 0) } >= 0;
    match after_set_failure(rule, already_there) {
        Next::Continue => Ok(()),
        next => Err(failure(next, Some(err))),
    }
}

/// Carry the resource fork piece by piece through `position` (copyfile's `copyfile_rsrc`):
/// it can exceed what one buffer should hold. A piece refused or unreadable leaves no fork at
/// all rather than a truncated one.
fn carry_resource_fork(from: c_int, to: c_int, name: &CStr) -> io::Result<()> {
    let mut buf = vec![0u8; RESOURCE_FORK_PIECE];
    let mut position: u32 = 0;
    let outcome = loop {
        // SAFETY: `buf` is valid for its length; a NUL-terminated name.
        let n = unsafe {
            libc::fgetxattr(
                from,
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                position,
                0,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            break match after_read_failure(XattrRule::InPieces, read_refusal(&e)) {
                Next::Continue => Ok(false),
                next => Err(failure(next, Some(e))),
            };
        }
        if n == 0 {
            break Ok(true);
        }
        let n = n as usize;
        // SAFETY: the first `n` bytes of `buf` were just filled.
        let set =
            unsafe { libc::fsetxattr(to, name.as_ptr(), buf.as_ptr().cast(), n, position, 0) };
        let next = u32::try_from(n).ok().and_then(|n| position.checked_add(n));
        match next {
            Some(next) if set == 0 => position = next,
            _ => break Ok(false),
        }
        if n < buf.len() {
            break Ok(true);
        }
    };
    if !matches!(outcome, Ok(true)) && position > 0 {
        // SAFETY: a valid descriptor and a NUL-terminated name.
        unsafe { libc::fremovexattr(to, name.as_ptr(), 0) };
    }
    outcome.map(drop)
}

/// An ACL this process owns (read from a file, or made), freed when dropped (`acl_free`).
pub(super) struct Acl(pub(super) AclT);

impl Drop for Acl {
    fn drop(&mut self) {
        // SAFETY: an ACL from `filesec_get_property` or `acl_init`, freed once.
        unsafe { acl_free(self.0) };
    }
}

/// A filesec (Libc `gen/filesec.c`), freed when dropped.
pub(super) struct Filesec(pub(super) FilesecT);

impl Filesec {
    pub(super) fn new() -> io::Result<Self> {
        // SAFETY: no arguments; null is the failure, with errno set.
        let fsec = unsafe { filesec_init() };
        if fsec.is_null() {
            Err(io::Error::last_os_error())
        } else {
            Ok(Self(fsec))
        }
    }
}

impl Drop for Filesec {
    fn drop(&mut self) {
        // SAFETY: a filesec from `filesec_init`, freed once.
        unsafe { filesec_free(self.0) };
    }
}

/// The ACL of the file open as `fd`; `None` where it has none. This is `acl_get_fd_np`
/// (Libc `posix1e/acl_file.c`) with `errno` read right after the call that set it, not after
/// the frees that follow it there: "no ACL" is ENOENT from `filesec_get_property` (Libc
/// `gen/filesec.c`), and a file system without ACLs has none. Reading it needs no read
/// permission, only that no ACL entry denies it (xnu `vn_stat` asks READ_SECURITY, which has
/// no POSIX fallback): EACCES here is a deny.
fn read_acl(fd: c_int) -> io::Result<Option<Acl>> {
    // Room for either `struct stat` (x86_64's unsuffixed `fstatx_np` fills the 32-bit-inode
    // one, 96 bytes; arm64's the 64-bit-inode one, 144 bytes); only the ACL is used.
    let mut stat = [0u64; 64];
    let fsec = Filesec::new()?;
    let mut acl: AclT = std::ptr::null_mut();
    // SAFETY: `stat` is larger than either layout; the filesec lives through both calls;
    // `acl` receives an ACL this function then owns. Each errno is read right after the
    // call that set it.
    let result = unsafe {
        if fstatx_np(fd, stat.as_mut_ptr().cast(), fsec.0) != 0 {
            Err(io::Error::last_os_error())
        } else if filesec_get_property(fsec.0, FILESEC_ACL, (&raw mut acl).cast()) == 0 {
            Ok(Some(Acl(acl)))
        } else {
            Err(io::Error::last_os_error())
        }
    };
    match result {
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::ENOENT | libc::ENOTSUP | libc::EOPNOTSUPP)
            ) =>
        {
            Ok(None)
        }
        other => other,
    }
}

/// Remove the ACL of the file open as `fd` (as `chmod -N` does), leaving only its mode.
fn remove_acl(fd: c_int) -> io::Result<()> {
    let fsec = Filesec::new()?;
    // SAFETY: a live filesec; `_FILESEC_REMOVE_ACL` is the documented sentinel value, never
    // dereferenced. errno is read before the filesec is freed.
    unsafe {
        let remove = std::ptr::without_provenance::<c_void>(1);
        if filesec_set_property(fsec.0, FILESEC_ACL, remove) != 0 || fchmodx_np(fd, fsec.0) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
