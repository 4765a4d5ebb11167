//! Another user on the same machine: what the scratch lets them see before the rename, what a
//! copy's mode may be, and which access list a replaced file keeps.

use super::*;
use crate::scratch::{ModePolicy, OwnerPolicy};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

const NOBODY: u32 = 65534;

fn set_mode(path: &Path, bits: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(bits)).unwrap();
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The scratch of `options` onto `target` as it is before its bytes are verified, then the
/// published file.
fn scratch_then_final(
    target: &Path,
    options: PublishOptions,
) -> (std::fs::Metadata, std::fs::Metadata) {
    let mut publisher = Publisher::begin(target, options, true).unwrap();
    publisher.append(b"secret bytes").unwrap();
    let early = std::fs::metadata(publisher.scratch_path()).unwrap();
    publisher.finish(None).unwrap();
    (early, std::fs::metadata(target).unwrap())
}

#[test]
fn the_scratch_is_nobody_elses_until_its_bytes_are_verified() {
    if !is_root() {
        eprintln!("SKIPPED: giving a file to another user needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let me = nix::unistd::geteuid().as_raw();
    let other_group = PublishOptions {
        scratch: crate::scratch::ScratchSpec {
            attributes: crate::scratch::Attributes {
                owner: OwnerPolicy::Set {
                    uid: None,
                    gid: Some(NOBODY),
                },
                ..Default::default()
            },
            ..Default::default()
        },
        ..PublishOptions::default()
    };
    let owned_by_nobody = PublishOptions {
        mode: ModePolicy::Exact(0o640),
        scratch: crate::scratch::ScratchSpec {
            attributes: crate::scratch::Attributes {
                owner: OwnerPolicy::Set {
                    uid: Some(NOBODY),
                    gid: Some(NOBODY),
                },
                ..Default::default()
            },
            ..Default::default()
        },
        ..PublishOptions::default()
    };
    let widened = PublishOptions {
        mode: ModePolicy::Exact(0o644),
        ..PublishOptions::default()
    };
    for (name, options, final_mode, final_uid) in [
        ("with-owner", owned_by_nobody, 0o640, NOBODY),
        ("with-mode", widened, 0o644, NOBODY),
        ("inherited", PublishOptions::default(), 0o604, NOBODY),
        ("group", other_group, 0o604, me),
    ] {
        let target = dir.path().join(name);
        std::fs::write(&target, b"old").unwrap();
        set_mode(&target, 0o604);
        nix::unistd::chown(&target, Some(NOBODY.into()), None).unwrap();
        let (early, published) = scratch_then_final(&target, options);
        assert_eq!(
            early.uid(),
            me,
            "{name}: owned by the publisher until verified"
        );
        assert_ne!(early.gid(), NOBODY, "{name}: nor in the new group");
        assert_eq!(early.mode() & 0o077, 0, "{name}: {:o}", early.mode());
        assert_eq!(published.mode() & 0o7777, final_mode, "{name}");
        assert_eq!(published.uid(), final_uid, "{name}");
    }
}

#[test]
fn a_copy_gets_no_mode_bit_its_source_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, b"key").unwrap();
    set_mode(&secret, 0o600);
    let new = dir.path().join("new");
    copy_from(&secret, &new, PublishOptions::default()).unwrap();
    assert_eq!(std::fs::metadata(&new).unwrap().mode() & 0o777, 0o600);
    // A replace: the narrower of the old file's mode and the source's.
    let wide = dir.path().join("wide");
    std::fs::write(&wide, b"old").unwrap();
    set_mode(&wide, 0o644);
    copy_from(&secret, &wide, PublishOptions::default()).unwrap();
    assert_eq!(std::fs::metadata(&wide).unwrap().mode() & 0o777, 0o600);
    set_mode(&secret, 0o640);
    let narrow = dir.path().join("narrow");
    std::fs::write(&narrow, b"old").unwrap();
    set_mode(&narrow, 0o604);
    copy_from(&secret, &narrow, PublishOptions::default()).unwrap();
    assert_eq!(std::fs::metadata(&narrow).unwrap().mode() & 0o777, 0o600);
}

// -- access lists ---------------------------------------------------------------------------

const ACL: &str = "system.posix_acl_access";
const DEFAULT_ACL: &str = "system.posix_acl_default";
const ANYONE: u32 = u32::MAX;

/// A POSIX ACL in the kernel's xattr form: owner rw, `nobody` with `named`, group r, mask r,
/// others nothing.
fn acl_granting_nobody(named: u16) -> Vec<u8> {
    let mut bytes = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (0x01u16, 6u16, ANYONE),
        (0x02, named, NOBODY),
        (0x04, 4, ANYONE),
        (0x10, 4, ANYONE),
        (0x20, 0, ANYONE),
    ] {
        bytes.extend(tag.to_le_bytes());
        bytes.extend(perm.to_le_bytes());
        bytes.extend(id.to_le_bytes());
    }
    bytes
}

fn c(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) -> std::io::Result<()> {
    let name = CString::new(name).unwrap();
    // SAFETY: NUL-terminated strings and a value valid for its length.
    let rc = unsafe {
        libc::setxattr(
            c(path).as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    (rc == 0)
        .then_some(())
        .ok_or_else(std::io::Error::last_os_error)
}

fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let name = CString::new(name).unwrap();
    let mut buf = vec![0u8; 4096];
    // SAFETY: as above.
    let n = unsafe {
        libc::getxattr(
            c(path).as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    (n >= 0).then(|| {
        buf.truncate(n as usize);
        buf
    })
}

/// A directory whose default ACL gives `nobody` read access to every new file, or `None`
/// where the file system keeps no ACLs.
fn dir_granting_nobody() -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    set_xattr(dir.path(), DEFAULT_ACL, &acl_granting_nobody(4))
        .ok()
        .map(|()| dir)
}

#[test]
fn a_replace_keeps_the_access_list_an_admin_narrowed() {
    let Some(dir) = dir_granting_nobody() else {
        eprintln!("SKIPPED: this file system keeps no ACLs");
        return;
    };
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    set_xattr(&target, ACL, &acl_granting_nobody(0)).unwrap();
    write(&target, b"new", PublishOptions::default()).unwrap();
    assert_eq!(get_xattr(&target, ACL), Some(acl_granting_nobody(0)));
}

#[test]
fn a_replace_never_gains_the_access_list_the_default_one_would_add() {
    let Some(dir) = dir_granting_nobody() else {
        eprintln!("SKIPPED: this file system keeps no ACLs");
        return;
    };
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    // SAFETY: a NUL-terminated path and name.
    unsafe { libc::removexattr(c(&target).as_ptr(), c"system.posix_acl_access".as_ptr()) };
    set_mode(&target, 0o600);
    assert_eq!(get_xattr(&target, ACL), None);
    write(&target, b"new", PublishOptions::default()).unwrap();
    assert_eq!(get_xattr(&target, ACL), None);
    assert_eq!(std::fs::metadata(&target).unwrap().mode() & 0o777, 0o600);
    // A new file gets the default ACL, as `fs.writeFile` gives it.
    let new = dir.path().join("new");
    write(&new, b"new", PublishOptions::default()).unwrap();
    assert!(get_xattr(&new, ACL).is_some());
}

#[test]
fn a_replace_keeps_user_attributes_and_never_a_file_capability() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("tool");
    std::fs::write(&target, b"old").unwrap();
    if set_xattr(&target, "user.origin", b"build-7").is_err() {
        eprintln!("SKIPPED: this file system keeps no user attributes");
        return;
    }
    // cap_net_raw, effective and permitted (VFS_CAP_REVISION_2).
    let capability = [
        0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let has_capability =
        is_root() && set_xattr(&target, "security.capability", &capability).is_ok();
    write(&target, b"new", PublishOptions::default()).unwrap();
    assert_eq!(
        get_xattr(&target, "user.origin").as_deref(),
        Some(&b"build-7"[..])
    );
    if has_capability {
        assert_eq!(get_xattr(&target, "security.capability"), None);
    }
}

#[test]
fn a_replaced_file_removed_before_the_rename_still_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    let mut publisher = Publisher::begin(&target, PublishOptions::default(), true).unwrap();
    publisher.append(b"new").unwrap();
    std::fs::remove_file(&target).unwrap();
    publisher.finish(None).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
}

#[test]
fn a_replace_reads_the_access_list_in_the_directory_it_opened_not_where_the_path_now_leads() {
    let base = tempfile::tempdir().unwrap();
    let (mine, theirs) = (base.path().join("mine"), base.path().join("theirs"));
    std::fs::create_dir(&mine).unwrap();
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(mine.join("f"), b"old").unwrap();
    std::fs::write(theirs.join("f"), b"planted").unwrap();
    if set_xattr(&theirs.join("f"), ACL, &acl_granting_nobody(6)).is_err() {
        eprintln!("SKIPPED: this file system keeps no ACLs");
        return;
    }
    let sub = base.path().join("sub");
    std::os::unix::fs::symlink(&mine, &sub).unwrap();
    let mut publisher = Publisher::begin(&sub.join("f"), PublishOptions::default(), true).unwrap();
    publisher.append(b"new").unwrap();
    // Another user who controls `sub` points it elsewhere before the publish ends.
    std::fs::remove_file(&sub).unwrap();
    std::os::unix::fs::symlink(&theirs, &sub).unwrap();
    publisher.finish(None).unwrap();
    assert_eq!(std::fs::read(mine.join("f")).unwrap(), b"new");
    assert_eq!(
        get_xattr(&mine.join("f"), ACL),
        None,
        "no ACL from the other file"
    );
}
