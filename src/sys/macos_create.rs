//! macOS: an owner-only scratch is born without the directory's inheritable ACL entries.
//!
//! Such entries are not masked by the mode. Created by a plain `openat`, an owner-only scratch
//! would grant them from its first instant, and a descriptor another user opened then stays
//! valid after they are removed. xnu's `kauth_acl_inherit` (`bsd/kern/kern_authorization.c`)
//! inherits nothing when the creating call brings an ACL flagged `KAUTH_ACL_NO_INHERIT`; only
//! `open_extended` (Libc `sys/openx_np.c`, `openx_np`) brings one, and it takes a path. That
//! path is the bare name, resolved against this thread's working directory set to the
//! publish's directory descriptor (`pthread_fchdir_np`, libpthread `src/pthread_cwd.c`, as
//! Libc's `fts` does with `FTS_THREAD_FCHDIR`) and reset to the process's at once: no
//! directory path is resolved, so no link or renamed directory can move the create elsewhere.
//! The reset is to the process's directory: a thread of a host that had given it a working
//! directory of its own (`pthread_chdir_np`) loses it; neither Node nor libuv gives one.

use std::ffi::{c_char, c_int, c_void, CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::FromRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;

use super::macos_xattr::{drop_inherited_acl, Acl, Filesec, FILESEC_ACL};

// <sys/fcntl.h>: the mode property of a filesec, a `mode_t`.
const FILESEC_MODE: c_int = 4;
// <sys/acl.h>: `ACL_FLAG_NO_INHERIT` (= `KAUTH_ACL_NO_INHERIT`, xnu `bsd/sys/kauth.h`).
const ACL_FLAG_NO_INHERIT: c_int = 1 << 17;

extern "C" {
    fn acl_init(count: c_int) -> *mut c_void;
    fn acl_get_flagset_np(obj: *mut c_void, flagset: *mut *mut c_void) -> c_int;
    fn acl_add_flag_np(flagset: *mut c_void, flag: c_int) -> c_int;
    fn filesec_set_property(fsec: *mut c_void, property: c_int, value: *const c_void) -> c_int;
    fn openx_np(path: *const c_char, flags: c_int, fsec: *mut c_void) -> c_int;
    fn pthread_fchdir_np(fd: c_int) -> c_int;
}

/// Create `name` in `dir` with `flags` (which hold O_CREAT|O_EXCL) and `bits` (masked by the
/// umask), with no ACL entry from the directory at any instant and no ACL at all once
/// returned. A file system that keeps no ACLs refuses any ACL with EINVAL before it creates
/// anything (xnu `vnode_authattr_new_internal`); it inherits none either, so a plain create
/// serves there.
pub(super) fn create_without_inherited_acl(
    dir: &File,
    name: &OsStr,
    flags: c_int,
    bits: u32,
) -> io::Result<File> {
    let c_name = CString::new(name.as_bytes())?;
    let file = create_refusing_inheritance(dir, &c_name, flags, bits)?;
    // The empty ACL that refused inheritance goes too (or, after a plain create, whatever
    // the file got): the scratch then has only its mode, as on a directory without ACLs.
    if let Err(e) = drop_inherited_acl(&file) {
        drop(file);
        // SAFETY: a NUL-terminated name of the file just created exclusively in `dir`.
        unsafe { libc::unlinkat(dir.as_raw_fd(), c_name.as_ptr(), 0) };
        return Err(e);
    }
    Ok(file)
}

/// Create `name` in `dir` with an empty ACL that refuses the directory's entries, or, where
/// the file system refuses any ACL, by a plain `openat`.
fn create_refusing_inheritance(
    dir: &File,
    name: &CString,
    flags: c_int,
    bits: u32,
) -> io::Result<File> {
    let fsec = no_inherit_filesec(bits)?;
    let fd = match create_in(dir, name, flags, &fsec)? {
        Some(fd) => fd,
        None => {
            // SAFETY: a NUL-terminated name, a valid directory descriptor.
            let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, bits) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            fd
        }
    };
    // SAFETY: a descriptor just returned, owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// A filesec with `bits` and an empty ACL flagged to refuse inheritance.
fn no_inherit_filesec(bits: u32) -> io::Result<Filesec> {
    let fsec = Filesec::new()?;
    // SAFETY: `acl_init` returns an ACL owned here (freed by `Acl`'s drop) or null; its
    // flagset points into it; `filesec_set_property` copies both the ACL and the mode.
    unsafe {
        let acl = acl_init(0);
        if acl.is_null() {
            return Err(io::Error::last_os_error());
        }
        let acl = Acl(acl);
        let mut flags: *mut c_void = std::ptr::null_mut();
        if acl_get_flagset_np(acl.0, &raw mut flags) != 0
            || acl_add_flag_np(flags, ACL_FLAG_NO_INHERIT) != 0
            || filesec_set_property(fsec.0, FILESEC_ACL, (&raw const acl.0).cast()) != 0
        {
            return Err(io::Error::last_os_error());
        }
        let mode = (bits & 0o7777) as libc::mode_t;
        if filesec_set_property(fsec.0, FILESEC_MODE, (&raw const mode).cast()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(fsec)
}

/// `openx_np(name)` relative to `dir`; `None` where the file system refuses the ACL (EINVAL).
fn create_in(
    dir: &File,
    name: &CString,
    flags: c_int,
    fsec: &Filesec,
) -> io::Result<Option<c_int>> {
    // SAFETY: a valid directory descriptor; -1 afterwards returns the thread to the process's
    // working directory (the only way this thread ever leaves it).
    if unsafe { pthread_fchdir_np(dir.as_raw_fd()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a NUL-terminated relative name and a filesec valid for the call.
    let fd = unsafe { openx_np(name.as_ptr(), flags, fsec.0) };
    // Read before the reset below can overwrite it.
    let err = io::Error::last_os_error();
    // SAFETY: as above.
    let reset = unsafe { pthread_fchdir_np(-1) };
    if reset != 0 {
        let reset_err = io::Error::last_os_error();
        if fd >= 0 {
            // SAFETY: `fd` was just returned and is closed once; the name is in `dir`.
            unsafe {
                libc::close(fd);
                libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0);
            }
        }
        return Err(reset_err);
    }
    match fd {
        fd if fd >= 0 => Ok(Some(fd)),
        _ if err.raw_os_error() == Some(libc::EINVAL) => Ok(None),
        _ => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// What `ls -le` shows of `path`'s ACL (an empty ACL shows no entry).
    fn acl_listing(path: &std::path::Path) -> String {
        let out = Command::new("/bin/ls")
            .arg("-led")
            .arg(path)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn an_owner_only_file_takes_no_entry_from_the_directory_even_at_creation() {
        let dir = tempfile::tempdir().unwrap();
        let granted = Command::new("/bin/chmod")
            .args(["+a", "user:nobody allow read,file_inherit"])
            .arg(dir.path())
            .status()
            .unwrap()
            .success();
        if !granted {
            eprintln!("SKIPPED: this volume keeps no ACLs");
            return;
        }
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        assert!(
            acl_listing(&plain).contains("nobody"),
            "a plain create inherits"
        );
        let handle = File::open(dir.path()).unwrap();
        let flags =
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let name = CString::new("scratch").unwrap();
        // Before the empty ACL is removed: born with it, never with the directory's entry.
        let born = create_refusing_inheritance(&handle, &name, flags, 0o600).unwrap();
        let path = dir.path().join("scratch");
        assert!(
            !acl_listing(&path).contains("nobody"),
            "{}",
            acl_listing(&path)
        );
        drop(born);
        std::fs::remove_file(&path).unwrap();
        // And once returned, no ACL at all; the mode is the one asked, masked by the umask.
        let file =
            create_without_inherited_acl(&handle, OsStr::new("scratch"), flags, 0o600).unwrap();
        assert!(read_acl_is_none(&file));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_name_taken_is_eexist_and_the_thread_goes_back_to_the_process_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("taken"), b"x").unwrap();
        let handle = File::open(dir.path()).unwrap();
        let flags =
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let err =
            create_without_inherited_acl(&handle, OsStr::new("taken"), flags, 0o600).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EEXIST), "{err:?}");
        assert!(
            !std::path::Path::new("taken").exists(),
            "a relative name resolves in the process's directory again"
        );
    }

    fn read_acl_is_none(file: &File) -> bool {
        super::super::macos_xattr::has_no_acl(file).unwrap()
    }
}
