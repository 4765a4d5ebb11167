//! Writes from memory whose call ends, or whose target's path changes meaning, while the
//! bytes wait unnamed: nothing may be named or made after an abort, and bytes filled where a
//! file made in the target's directory would differ are not linked there.

use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::sync::Arc;

use super::dirs_tests::{dir_state, fill, memory_of, nine_mib};
use super::*;
use crate::errors::PublishError;
use crate::publish::Control;
use crate::scratch::{close_and_remove, Owner};
use crate::test_support::{names_in, payload_200k, with_hash};

fn cancellable() -> (Arc<Control>, PublishOptions) {
    let control = Arc::new(Control::default());
    let options = PublishOptions {
        control: Some(control.clone()),
        ..Default::default()
    };
    (control, options)
}

#[test]
fn an_abort_during_the_unnamed_fsync_makes_no_directory_and_names_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (control, options) = cancellable();
    let before = dir_state(dir.path());
    let filled = fill(&dir.path().join("a/b/blob"), &payload_200k(), options);
    let result = filled.publish_synced_by(|file| {
        // The abort lands while the fsync is under way.
        assert!(control.cancel());
        file.sync_all()
    });
    assert!(matches!(result, Err(PublishError::Aborted)), "{result:?}");
    assert_eq!(dir_state(dir.path()), before, "no directory, no scratch");
}

#[test]
fn an_abort_during_the_unnamed_fsync_names_no_scratch_beside_an_existing_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    std::fs::write(&target, b"old").unwrap();
    let (control, options) = cancellable();
    let before = dir_state(dir.path());
    let filled = fill(&target, &payload_200k(), options);
    let result = filled.publish_synced_by(|file| {
        assert!(control.cancel());
        file.sync_all()
    });
    assert!(matches!(result, Err(PublishError::Aborted)), "{result:?}");
    // A scratch named and removed again would have changed the directory's times.
    assert_eq!(dir_state(dir.path()), before, "no name was ever made");
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
}

#[test]
fn an_environment_ending_during_the_unnamed_fsync_makes_no_directory() {
    // An owner of this test's own, so that publishes of other tests carry on.
    let owner: Owner = u64::MAX / 4 + u64::from(std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let options = PublishOptions {
        owner,
        ..Default::default()
    };
    let before = dir_state(dir.path());
    let filled = fill(&dir.path().join("a/b/blob"), &payload_200k(), options);
    let result = filled.publish_synced_by(|file| {
        // Ended by another thread, as a JavaScript environment ends from its own.
        std::thread::spawn(move || close_and_remove(Some(owner)))
            .join()
            .unwrap();
        file.sync_all()
    });
    assert!(matches!(result, Err(PublishError::Aborted)), "{result:?}");
    assert_eq!(dir_state(dir.path()), before, "no directory, no scratch");
}

#[test]
fn a_target_spelled_with_dot_dot_after_a_missing_directory_is_left_to_the_named_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    // The kernel resolves `..` physically: where `new` would be a mount point or a link, the
    // target is not below `sub`, where a walk by text would fill the bytes.
    let target = dir.path().join("sub/new/../../blob");
    let before = dir_state(dir.path());
    let data = nine_mib();
    assert!(
        fill_unread(&target, memory_of(&data), PublishOptions::default()).is_none(),
        "not filled unnamed"
    );
    assert_eq!(dir_state(dir.path()), before);
    assert!(names_in(&dir.path().join("sub")).is_empty());
}

#[test]
fn a_dangling_link_among_the_missing_directories_is_left_to_the_named_path() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("gone"), dir.path().join("link")).unwrap();
    let before = dir_state(dir.path());
    let data = payload_200k();
    let target = dir.path().join("link/a/blob");
    assert!(fill_unread(&target, memory_of(&data), PublishOptions::default()).is_none());
    assert_eq!(dir_state(dir.path()), before);
    assert!(names_in(elsewhere.path()).is_empty());
}

/// `FS_NOATIME_FL`, which `chattr +A` sets and new files inherit from their directory.
const NOATIME: libc::c_int = 0x80;

fn inode_flags(path: &Path) -> libc::c_int {
    let file = std::fs::File::open(path).unwrap();
    let mut flags: libc::c_int = 0;
    // SAFETY: `flags` outlives the call and is as large as what the kernel writes.
    let read = unsafe { libc::ioctl(file.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) };
    assert_eq!(read, 0, "{}", std::io::Error::last_os_error());
    flags
}

#[test]
fn a_directory_made_meanwhile_with_inherited_inode_flags_gets_a_file_that_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a/blob");
    let data = nine_mib();
    let filled = fill(&target, &data, with_hash(hash::digest(&data)));
    let made = dir.path().join("a");
    std::fs::create_dir(&made).unwrap();
    let chattr = std::process::Command::new("chattr")
        .arg("+A")
        .arg(&made)
        .output();
    match chattr {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let why = String::from_utf8_lossy(&out.stderr);
            eprintln!(
                "skipped: this file system takes no `chattr +A` ({})",
                why.trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("skipped: no chattr to run ({e})");
            return;
        }
    }
    assert_ne!(inode_flags(&made) & NOATIME, 0);
    let published = filled.publish().unwrap();
    assert_eq!(published.hash, Some(hash::digest(&data)));
    assert!(std::fs::read(&target).unwrap() == data);
    assert_ne!(
        inode_flags(&target) & NOATIME,
        0,
        "as a file made in that directory"
    );
    assert_eq!(names_in(&made), ["blob"]);
    assert_eq!(names_in(dir.path()), ["a"], "none left where it was filled");
}
