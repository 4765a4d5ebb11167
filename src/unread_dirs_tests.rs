//! Writes from memory into directories still to be made: the bytes are filled and checked in
//! the nearest directory that exists, and the directories are made only once they match.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Barrier;

use super::*;
use crate::errors::PublishError;
use crate::test_support::{assert_mismatch, names_in, payload_200k, with_hash};

pub(super) fn memory_of(bytes: &[u8]) -> CallerMemory {
    CallerMemory::new(bytes.as_ptr() as usize, bytes.len())
}

/// 9 MiB: what JavaScript hands over unread (above 8 MiB), in more than one piece.
pub(super) fn nine_mib() -> Vec<u8> {
    payload_200k().repeat((9 << 20) / 200_000 + 1)[..9 << 20].to_vec()
}

pub(super) fn fill(target: &Path, data: &[u8], options: PublishOptions) -> Filled {
    fill_unread(target, memory_of(data), options)
        .expect("this file system has unnamed files")
        .unwrap()
}

/// The directory's entries and its own mtime and ctime: a create and unlink, even undone,
/// moves the times.
pub(super) fn dir_state(dir: &Path) -> (Vec<std::ffi::OsString>, i64, i64, i64, i64) {
    let meta = std::fs::metadata(dir).unwrap();
    (
        names_in(dir),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec(),
    )
}

#[test]
fn a_mismatch_into_missing_directories_leaves_no_directory_and_no_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a/b/blob");
    let data = nine_mib();
    let before = dir_state(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let result = fill_unread(&target, memory_of(&data), with_hash(7))
        .expect("taken unnamed, not left to the copying path");
    assert_mismatch(result.map(|_| ()), 7, hash::digest(&data));
    assert_eq!(dir_state(dir.path()), before, "no directory, no scratch");
}

#[test]
fn filled_bytes_make_no_directory_until_published_and_discarding_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a/b/blob");
    let data = payload_200k();
    let before = dir_state(dir.path());
    let filled = fill(&target, &data, PublishOptions::default());
    assert_eq!(dir_state(dir.path()), before, "nothing made once filled");
    filled.discard();
    assert_eq!(dir_state(dir.path()), before, "nor once discarded");
}

#[test]
fn a_publish_makes_the_directories_with_the_modes_a_named_publish_gives() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a/b/blob");
    let data = nine_mib();
    let published = fill(&target, &data, with_hash(hash::digest(&data)))
        .publish()
        .unwrap();
    assert_eq!(published.hash, Some(hash::digest(&data)));
    assert!(std::fs::read(&target).unwrap() == data);
    assert_eq!(names_in(&dir.path().join("a/b")), ["blob"]);
    // What the copying path (and `mkdir -p`, `fs.writeFile`) gives, under this umask.
    let named = dir.path().join("named/c/blob");
    crate::publish::write(&named, b"x", PublishOptions::default()).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode();
    assert_eq!(mode(&dir.path().join("a")), mode(&dir.path().join("named")));
    assert_eq!(
        mode(&dir.path().join("a/b")),
        mode(&dir.path().join("named/c"))
    );
    assert_eq!(mode(&target), mode(&named));
}

#[test]
fn publishes_racing_into_one_new_directory_all_succeed() {
    const WRITERS: usize = 24;
    let dir = tempfile::tempdir().unwrap();
    let data = nine_mib();
    // All are filled before any makes the directory: each then finds it made by another, or
    // makes it while the others link into it.
    let ready = Barrier::new(WRITERS);
    let results: Vec<_> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|i| {
                let (ready, data) = (&ready, &data);
                let target = dir.path().join(format!("new/blob{i}"));
                scope.spawn(move || {
                    let filled = fill(&target, data, PublishOptions::default());
                    ready.wait();
                    filled.publish()
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for result in results {
        result.unwrap();
    }
    let names = names_in(&dir.path().join("new"));
    assert_eq!(names.len(), WRITERS, "{names:?}");
    for name in names {
        assert!(std::fs::read(dir.path().join("new").join(name)).unwrap() == data);
    }
}

/// Set `dir`'s default ACL to user::rwx, group::r-x, other::---: files made there get at most
/// 0o750 of their create mode, whatever the umask. `false` where the file system has no ACLs.
fn set_default_acl(dir: &Path) -> bool {
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, perm) in [(0x01u16, 7u16), (0x04, 5), (0x20, 0)] {
        acl.extend(tag.to_le_bytes());
        acl.extend(perm.to_le_bytes());
        acl.extend(u32::MAX.to_le_bytes());
    }
    let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
    // SAFETY: both strings are NUL-terminated, `acl` is valid for its length.
    let set = unsafe {
        libc::setxattr(
            path.as_ptr(),
            c"system.posix_acl_default".as_ptr(),
            acl.as_ptr().cast(),
            acl.len(),
            0,
        )
    };
    set == 0
}

#[test]
fn a_default_acl_above_reaches_the_file_as_if_it_were_made_in_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    if !set_default_acl(dir.path()) {
        eprintln!("skipped: this file system has no POSIX ACLs");
        return;
    }
    let target = dir.path().join("a/blob");
    fill(&target, &payload_200k(), PublishOptions::default())
        .publish()
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&target), 0o640, "the ACL's, not the umask's");
    assert_eq!(mode(&dir.path().join("a")), 0o750);
}

#[test]
fn a_directory_made_meanwhile_that_gives_other_attributes_gets_a_file_made_there() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a/blob");
    let data = payload_200k();
    let filled = fill(&target, &data, with_hash(hash::digest(&data)));
    // Someone else makes the directory, with a default ACL its parent does not have.
    std::fs::create_dir(dir.path().join("a")).unwrap();
    if !set_default_acl(&dir.path().join("a")) {
        eprintln!("skipped: this file system has no POSIX ACLs");
        return;
    }
    let published = filled.publish().unwrap();
    assert_eq!(published.hash, Some(hash::digest(&data)));
    assert!(std::fs::read(&target).unwrap() == data);
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "as a file made in that directory");
    assert_eq!(names_in(&dir.path().join("a")), ["blob"]);
}

pub(super) fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A group no file here has: what a set-group-id directory hands down.
const OTHER_GID: u32 = 4242;

fn set_group_id(dir: &Path) {
    std::os::unix::fs::chown(dir, None, Some(OTHER_GID)).unwrap();
    let mode = std::fs::metadata(dir).unwrap().permissions().mode();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o2000)).unwrap();
}

#[test]
fn root_only_a_set_group_id_directory_above_hands_its_group_down() {
    if !is_root() {
        eprintln!("skipped: only root can give a directory a group it is not in");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    set_group_id(dir.path());
    let target = dir.path().join("a/blob");
    fill(&target, &payload_200k(), PublishOptions::default())
        .publish()
        .unwrap();
    let made = std::fs::metadata(dir.path().join("a")).unwrap();
    assert_eq!(made.gid(), OTHER_GID);
    assert_ne!(
        made.mode() & 0o2000,
        0,
        "the new directory is set-group-id too"
    );
    assert_eq!(std::fs::metadata(&target).unwrap().gid(), OTHER_GID);
}

#[test]
fn root_only_a_set_group_id_directory_made_meanwhile_gets_a_file_of_its_group() {
    if !is_root() {
        eprintln!("skipped: only root can give a directory a group it is not in");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a/blob");
    let data = payload_200k();
    let filled = fill(&target, &data, PublishOptions::default());
    std::fs::create_dir(dir.path().join("a")).unwrap();
    set_group_id(&dir.path().join("a"));
    filled.publish().unwrap();
    assert!(std::fs::read(&target).unwrap() == data);
    assert_eq!(std::fs::metadata(&target).unwrap().gid(), OTHER_GID);
}

#[test]
fn root_only_a_file_system_mounted_meanwhile_gets_the_bytes_copied_there() {
    if !is_root() {
        eprintln!("skipped: only root can mount");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a/blob");
    let data = nine_mib();
    let filled = fill(&target, &data, with_hash(hash::digest(&data)));
    let mount_point = dir.path().join("a");
    std::fs::create_dir(&mount_point).unwrap();
    let point = CString::new(mount_point.as_os_str().as_bytes()).unwrap();
    // SAFETY: every string is NUL-terminated; tmpfs takes no data.
    let mounted = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            point.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if mounted != 0 {
        let e = std::io::Error::last_os_error();
        eprintln!("skipped: cannot mount a tmpfs here ({e})");
        return;
    }
    let published = filled.publish();
    let found = std::fs::read(&target);
    let names = names_in(&mount_point);
    // SAFETY: as above.
    assert_eq!(unsafe { libc::umount(point.as_ptr()) }, 0);
    assert_eq!(published.unwrap().hash, Some(hash::digest(&data)));
    assert!(found.unwrap() == data);
    assert_eq!(
        names,
        ["blob"],
        "no scratch left on the mounted file system"
    );
    assert_eq!(names_in(dir.path()), ["a"], "none left where it was filled");
}

#[test]
fn a_file_in_the_way_of_a_directory_is_enotdir_and_nothing_is_made() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plain"), b"x").unwrap();
    let target = dir.path().join("plain/a/blob");
    let before = dir_state(dir.path());
    let data = payload_200k();
    match fill_unread(&target, memory_of(&data), PublishOptions::default()) {
        Some(Err(PublishError::Fs(f))) => assert_eq!(f.errno().code, "ENOTDIR"),
        Some(other) => panic!("expected ENOTDIR, got {:?}", other.map(|_| ())),
        None => panic!("expected ENOTDIR, left to the copying path"),
    }
    assert_eq!(dir_state(dir.path()), before);
}

#[test]
fn an_abort_after_the_fill_makes_no_directory() {
    let dir = tempfile::tempdir().unwrap();
    let control = std::sync::Arc::new(crate::publish::Control::default());
    let options = PublishOptions {
        control: Some(control.clone()),
        ..Default::default()
    };
    let before = dir_state(dir.path());
    let filled = fill(&dir.path().join("a/blob"), &payload_200k(), options);
    control.cancel();
    assert!(matches!(filled.publish(), Err(PublishError::Aborted)));
    assert_eq!(dir_state(dir.path()), before);
}

#[test]
fn root_only_a_file_system_that_fills_up_makes_no_directory() {
    if !is_root() {
        eprintln!("skipped: only root can mount");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let point = CString::new(dir.path().as_os_str().as_bytes()).unwrap();
    // SAFETY: every string is NUL-terminated.
    let mounted = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            point.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            c"size=4m".as_ptr().cast(),
        )
    };
    if mounted != 0 {
        let e = std::io::Error::last_os_error();
        eprintln!("skipped: cannot mount a tmpfs here ({e})");
        return;
    }
    let data = nine_mib();
    let result = fill_unread(
        &dir.path().join("a/b/blob"),
        memory_of(&data),
        PublishOptions::default(),
    );
    let left = names_in(dir.path());
    // SAFETY: as above.
    assert_eq!(unsafe { libc::umount(point.as_ptr()) }, 0);
    match result {
        Some(Err(PublishError::Fs(f))) => assert_eq!(f.errno().code, "ENOSPC"),
        Some(other) => panic!("expected ENOSPC, got {:?}", other.map(|_| ())),
        None => panic!("expected ENOSPC, left to the copying path"),
    }
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_target_made_meanwhile_is_replaced_keeping_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a/blob");
    let data = payload_200k();
    let filled = fill(&target, &data, PublishOptions::default());
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    filled.publish().unwrap();
    assert!(std::fs::read(&target).unwrap() == data);
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600);
    assert_eq!(names_in(&dir.path().join("a")), ["blob"]);
}
