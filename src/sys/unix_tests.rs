use super::*;
use crate::sys::unix_dir::{flag_refused, TargetDir};
use std::cell::Cell;

fn fallback_for(errno: i32) -> (io::Result<()>, bool) {
    let plain_ran = Cell::new(false);
    let result = full_fsync_with_fallback(
        || Err(io::Error::from_raw_os_error(errno)),
        || {
            plain_ran.set(true);
            Ok(())
        },
    );
    (result, plain_ran.get())
}

#[test]
fn full_fsync_unsupported_by_the_file_system_falls_back_to_fsync() {
    for errno in [nix::libc::ENOTSUP, nix::libc::ENOTTY, nix::libc::EINVAL] {
        let (result, plain_ran) = fallback_for(errno);
        assert!(plain_ran, "errno {errno} must fall back");
        assert!(result.is_ok());
    }
}

#[test]
fn full_fsync_failing_with_eio_is_the_answer_without_a_fallback() {
    for errno in [nix::libc::EIO, nix::libc::ENOSPC, nix::libc::EBADF] {
        let (result, plain_ran) = fallback_for(errno);
        assert!(!plain_ran, "errno {errno} must not fall back");
        assert_eq!(result.unwrap_err().raw_os_error(), Some(errno));
    }
}

#[test]
fn a_successful_full_fsync_needs_no_plain_fsync() {
    let plain_ran = Cell::new(false);
    full_fsync_with_fallback(
        || Ok(()),
        || {
            plain_ran.set(true);
            Ok(())
        },
    )
    .unwrap();
    assert!(!plain_ran.get());
}

#[test]
fn a_failed_fallback_reports_the_fallbacks_error() {
    let result = full_fsync_with_fallback(
        || Err(io::Error::from_raw_os_error(nix::libc::ENOTTY)),
        || Err(io::Error::from_raw_os_error(nix::libc::EIO)),
    );
    assert_eq!(result.unwrap_err().raw_os_error(), Some(nix::libc::EIO));
}

fn two_files() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (dir.path().join("from"), dir.path().join("to"));
    std::fs::write(&from, "new").unwrap();
    (dir, from, to)
}

/// Both the system call and the link fallback: EEXIST over a file, a move onto no file.
#[test]
fn an_exclusive_rename_refuses_an_existing_name_and_takes_a_free_one() {
    type Rename = fn(&TargetDir, &Path, &Path) -> io::Result<()>;
    for (name, rename) in [
        ("rename_noreplace", TargetDir::rename_noreplace as Rename),
        ("link_then_unlink", TargetDir::link_then_unlink as Rename),
    ] {
        let (dir, from, to) = two_files();
        let dir = TargetDir::open(dir.path()).unwrap();
        let rename = |from: &Path, to: &Path| rename(&dir, from, to);
        std::fs::write(&to, "old").unwrap();
        let refused = rename(&from, &to).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists, "{name}");
        assert_eq!(std::fs::read(&to).unwrap(), b"old", "{name}");
        std::fs::remove_file(&to).unwrap();
        rename(&from, &to).unwrap();
        assert_eq!(std::fs::read(&to).unwrap(), b"new", "{name}");
        assert!(!from.exists(), "{name}: the scratch name is gone");
    }
}

#[test]
fn flags_a_file_system_refuses_fall_back_to_the_link() {
    for errno in [nix::libc::EINVAL, nix::libc::ENOSYS, nix::libc::ENOTSUP] {
        assert!(flag_refused(&io::Error::from_raw_os_error(errno)));
    }
    assert!(!flag_refused(&io::Error::from_raw_os_error(
        nix::libc::EEXIST
    )));
}

#[test]
fn refused_attributes_are_benign_only_as_graceful_fs_says() {
    let benign = |errno| is_benign_attribute_refusal(&io::Error::from_raw_os_error(errno));
    assert!(benign(nix::libc::ENOSYS));
    assert!(!benign(nix::libc::EIO));
    let root = nix::unistd::getuid().is_root();
    assert_eq!(benign(nix::libc::EPERM), !root);
    assert_eq!(benign(nix::libc::EINVAL), !root);
}

#[test]
fn a_long_utf8_name_is_cut_at_a_character_boundary() {
    let name = OsStr::new("ééééé"); // 10 bytes
    assert_eq!(truncate_file_name(name, 5), OsStr::new("éé"));
    assert_eq!(truncate_file_name(name, 10), name);
}
