use super::*;
use crate::sys::unix_dir::{flag_refused, TargetDir};

/// Which of `F_FULLFSYNC`, `F_BARRIERFSYNC` and `fsync` ran, in order, when each fails with
/// the errno given (`None`: succeeds), and what the caller got.
fn sync_with(
    full: Option<i32>,
    barrier: Option<i32>,
    plain: Option<i32>,
) -> (Vec<&'static str>, io::Result<()>) {
    let ran = std::cell::RefCell::new(Vec::new());
    let step = |name: &'static str, errno: Option<i32>| {
        ran.borrow_mut().push(name);
        errno.map_or(Ok(()), |e| Err(io::Error::from_raw_os_error(e)))
    };
    let result = full_fsync_with_fallback(
        || step("full", full),
        || step("barrier", barrier),
        || step("plain", plain),
    );
    (ran.into_inner(), result)
}

#[test]
fn a_successful_full_fsync_needs_nothing_else() {
    let (ran, result) = sync_with(None, None, None);
    assert_eq!(ran, ["full"]);
    assert!(result.is_ok());
}

#[test]
fn any_full_fsync_failure_falls_back_to_the_barrier_as_libuv_does() {
    // ENOTSUP (SMB), EOPNOTSUPP (102 on macOS), ENOTTY (exFAT), EINVAL (webdav), ENOSYS (FUSE).
    let refusals = [
        nix::libc::ENOTSUP,
        nix::libc::EOPNOTSUPP,
        nix::libc::ENOTTY,
        nix::libc::EINVAL,
        nix::libc::ENOSYS,
    ];
    for errno in refusals {
        let (ran, result) = sync_with(Some(errno), None, None);
        assert_eq!(ran, ["full", "barrier"], "errno {errno}");
        assert!(result.is_ok(), "errno {errno}");
    }
}

#[test]
fn a_flush_that_lost_data_is_the_answer_without_a_fallback() {
    for errno in [nix::libc::EIO, nix::libc::ENOSPC, nix::libc::EDQUOT] {
        let (ran, result) = sync_with(Some(errno), None, None);
        assert_eq!(ran, ["full"], "errno {errno}");
        assert_eq!(result.unwrap_err().raw_os_error(), Some(errno));
        let (ran, result) = sync_with(Some(nix::libc::ENOTTY), Some(errno), None);
        assert_eq!(ran, ["full", "barrier"], "errno {errno}");
        assert_eq!(result.unwrap_err().raw_os_error(), Some(errno));
    }
}

#[test]
fn a_failed_barrier_falls_back_to_fsync_whose_answer_is_the_answer() {
    let (ran, result) = sync_with(Some(nix::libc::ENOSYS), Some(nix::libc::EINVAL), None);
    assert_eq!(ran, ["full", "barrier", "plain"]);
    assert!(result.is_ok());
    let (ran, result) = sync_with(
        Some(nix::libc::ENOTTY),
        Some(nix::libc::ENOTTY),
        Some(nix::libc::EIO),
    );
    assert_eq!(ran, ["full", "barrier", "plain"]);
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
        (
            "rename_noreplace",
            (|dir, from, to| dir.rename_noreplace(None, from, to)) as Rename,
        ),
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
