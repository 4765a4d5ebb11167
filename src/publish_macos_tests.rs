//! macOS: which ACL and extended attributes a replaced file keeps. Each test works on a file
//! of its own in a fresh directory (APFS keeps ACLs and attributes); where the volume does not,
//! the test says so and skips. Also FIFO sources, whose reads without a writer xnu answers with
//! an end of file.

use super::*;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

// <sys/acl.h>: the libc crate declares no ACL calls for Apple.
const ACL_TYPE_EXTENDED: c_int = 0x0000_0100;
extern "C" {
    fn acl_get_file(path: *const c_char, kind: c_int) -> *mut c_void;
    fn acl_to_text(acl: *mut c_void, len: *mut isize) -> *mut c_char;
    fn acl_free(obj: *mut c_void) -> c_int;
}

fn c(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// The file's ACL as text (`None` where it has none).
fn acl_text(path: &Path) -> Option<String> {
    // SAFETY: a NUL-terminated path; what the calls return is freed with `acl_free`.
    unsafe {
        let acl = acl_get_file(c(path).as_ptr(), ACL_TYPE_EXTENDED);
        if acl.is_null() {
            return None;
        }
        let text = acl_to_text(acl, std::ptr::null_mut());
        let owned = CStr::from_ptr(text).to_string_lossy().into_owned();
        acl_free(text.cast());
        acl_free(acl);
        Some(owned)
    }
}

/// `chmod` with an ACL argument (`+a`, `-N`), as an admin would run it; false where the
/// volume keeps no ACLs.
fn chmod(args: &[&str], path: &Path) -> bool {
    Command::new("/bin/chmod")
        .args(args)
        .arg(path)
        .status()
        .unwrap()
        .success()
}

fn set_xattr(path: &Path, name: &CStr, value: &[u8], position: u32) -> std::io::Result<()> {
    // SAFETY: NUL-terminated path and name; `value` is valid for its length.
    let done = unsafe {
        libc::setxattr(
            c(path).as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            position,
            libc::XATTR_NOFOLLOW,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn get_xattr(path: &Path, name: &CStr) -> Option<Vec<u8>> {
    let (path, flags) = (c(path), libc::XATTR_NOFOLLOW);
    // SAFETY: as above; a null buffer asks only the size.
    let size = unsafe {
        libc::getxattr(
            path.as_ptr(),
            name.as_ptr(),
            std::ptr::null_mut(),
            0,
            0,
            flags,
        )
    };
    if size < 0 {
        return None;
    }
    let mut value = vec![0u8; size as usize];
    // SAFETY: `value` is valid for its length.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
            0,
            flags,
        )
    };
    value.truncate(usize::try_from(n).ok()?);
    Some(value)
}

/// A directory whose ACL gives `nobody` read access to every new file in it.
fn dir_granting_nobody() -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    chmod(&["+a", "user:nobody allow read,file_inherit"], dir.path()).then_some(dir)
}

#[test]
fn a_replace_never_gains_the_acl_the_directory_gives_new_files() {
    let Some(dir) = dir_granting_nobody() else {
        eprintln!("SKIPPED: this volume keeps no ACLs");
        return;
    };
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    assert!(
        acl_text(&target).is_some(),
        "the directory's entry is inherited"
    );
    // An admin narrows the old file: `nobody` may no longer read it.
    assert!(chmod(&["-N"], &target));
    assert_eq!(acl_text(&target), None);
    write(&target, b"new", PublishOptions::default()).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    assert_eq!(acl_text(&target), None, "no entry from the directory");
    // A new file gets the directory's entry, as `fs.writeFile` gives it.
    let new = dir.path().join("new");
    write(&new, b"new", PublishOptions::default()).unwrap();
    assert!(acl_text(&new).is_some());
}

#[test]
fn a_replace_keeps_the_old_files_acl_exactly() {
    let Some(dir) = dir_granting_nobody() else {
        eprintln!("SKIPPED: this volume keeps no ACLs");
        return;
    };
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    // Its own entry before the inherited one: `nobody` is denied after all.
    assert!(chmod(&["+a#", "0", "user:nobody deny read"], &target));
    let before = acl_text(&target).expect("an ACL was just set");
    write(&target, b"new", PublishOptions::default()).unwrap();
    assert_eq!(acl_text(&target), Some(before));
}

#[test]
fn a_replace_keeps_extended_attributes_and_the_quarantine_flag() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    let quarantine = b"0083;00000000;Safari;".to_vec();
    if set_xattr(&target, c"com.example.origin", b"build-7", 0).is_err()
        || set_xattr(&target, c"com.apple.quarantine", &quarantine, 0).is_err()
    {
        eprintln!("SKIPPED: this volume keeps no extended attributes");
        return;
    }
    write(&target, b"new", PublishOptions::default()).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    assert_eq!(
        get_xattr(&target, c"com.example.origin").as_deref(),
        Some(&b"build-7"[..])
    );
    assert!(
        get_xattr(&target, c"com.apple.quarantine").is_some(),
        "still quarantined"
    );
}

#[test]
fn a_replace_keeps_a_resource_fork_larger_than_one_piece() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    // Three pieces and a bit, each byte telling where it is.
    let fork: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
    if set_xattr(&target, c"com.apple.ResourceFork", &fork, 0).is_err() {
        eprintln!("SKIPPED: this volume keeps no resource forks");
        return;
    }
    write(&target, b"new", PublishOptions::default()).unwrap();
    let kept = get_xattr(&target, c"com.apple.ResourceFork").expect("a resource fork");
    assert_eq!(kept.len(), fork.len());
    assert!(kept == fork, "the same bytes in the same places");
}

#[test]
fn a_replace_of_a_file_this_process_cannot_read_fails_closed() {
    if nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED: root reads every file");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o200)).unwrap();
    let err = write(&target, b"new", PublishOptions::default()).unwrap_err();
    assert_eq!(err.code(), "EACCES", "{err:?}");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no scratch left behind");
}

#[test]
fn a_replaces_scratch_has_no_entry_from_the_directory_before_its_first_byte() {
    let Some(dir) = dir_granting_nobody() else {
        eprintln!("SKIPPED: this volume keeps no ACLs");
        return;
    };
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    assert!(chmod(&["-N"], &target));
    let mut publisher = Publisher::begin(&target, PublishOptions::default(), true).unwrap();
    assert_eq!(
        acl_text(publisher.scratch_path()),
        None,
        "owner-only from the start"
    );
    publisher.append(b"new").unwrap();
    publisher.finish(None).unwrap();
    assert_eq!(acl_text(&target), None);
}

#[test]
fn creating_a_scratch_leaves_this_threads_working_directory_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    let publisher = Publisher::begin(&target, PublishOptions::default(), true).unwrap();
    let scratch = publisher.scratch_path().to_path_buf();
    assert!(scratch.exists());
    let name = Path::new(scratch.file_name().unwrap());
    // A relative name resolves against the process's directory again, not the target's.
    assert!(
        !name.exists(),
        "the thread still works in the target's directory"
    );
    drop(publisher);
    assert!(!scratch.exists(), "the scratch is removed on drop");
}

#[test]
fn a_replace_that_cannot_keep_the_old_group_opens_nothing_to_the_new_one() {
    use std::os::unix::fs::MetadataExt;
    if nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED: root keeps every group");
        return;
    }
    // A new file takes its directory's group on macOS: made under /private/tmp (group
    // wheel), the old file has a group this process is most likely not in.
    let dir = tempfile::Builder::new().tempdir_in("/private/tmp").unwrap();
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let old_gid = std::fs::metadata(&target).unwrap().gid();
    // `id -G` knows every group (getgroups(2) may list only the first 16 on macOS).
    let groups = Command::new("/usr/bin/id").arg("-G").output().unwrap();
    let member = String::from_utf8_lossy(&groups.stdout)
        .split_whitespace()
        .any(|g| g == old_gid.to_string());
    if member || old_gid == nix::unistd::getegid().as_raw() {
        eprintln!("SKIPPED: this process is in the old file's group");
        return;
    }
    // The scratch will take the directory's new group, this process's own.
    nix::unistd::chown(dir.path(), None, Some(nix::unistd::getegid())).unwrap();
    write(&target, b"new", PublishOptions::default()).unwrap();
    let meta = std::fs::metadata(&target).unwrap();
    assert_ne!(
        meta.gid(),
        old_gid,
        "this process may not give it that group"
    );
    assert_eq!(
        meta.mode() & 0o7777,
        0o600,
        "no access for a group it never had"
    );
}

/// A FIFO in a fresh directory, and a writer that opens it after `delay` and writes `bytes`.
fn fifo_with_late_writer(
    delay: std::time::Duration,
    bytes: Vec<u8>,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::thread::JoinHandle<()>,
) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            std::fs::write(fifo, bytes).unwrap();
        })
    };
    (dir, fifo, writer)
}

#[test]
fn a_fifo_source_is_waited_for_not_taken_as_empty_before_its_writer_comes() {
    let late = std::time::Duration::from_millis(300);
    let (dir, fifo, writer) = fifo_with_late_writer(late, vec![9u8; 100_000]);
    let target = dir.path().join("out");
    let published = copy_from(&fifo, &target, PublishOptions::default()).unwrap();
    writer.join().unwrap();
    assert_eq!(published.bytes, 100_000);
    assert_eq!(std::fs::read(&target).unwrap(), vec![9u8; 100_000]);
}

#[test]
fn a_fifo_writer_that_leaves_without_a_byte_publishes_an_empty_file() {
    let (dir, fifo, writer) = fifo_with_late_writer(std::time::Duration::ZERO, Vec::new());
    let target = dir.path().join("out");
    let published = copy_from(&fifo, &target, PublishOptions::default()).unwrap();
    writer.join().unwrap();
    assert_eq!(published.bytes, 0);
    assert_eq!(std::fs::read(&target).unwrap(), b"");
}
