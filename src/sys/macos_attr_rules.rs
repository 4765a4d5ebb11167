//! macOS: which of a replaced file's extended attributes and ACL the new file takes, and which
//! refusals fail the publish. Pure decisions on names and outcomes, so they are unit-tested on
//! every Unix; `macos_xattr.rs` makes the calls.
//!
//! Sources, by reading: xnu `bsd/vfs/vfs_xattr.c` (`xattr_protected`: every
//! `com.apple.system.` name is the kernel's own, refused without an entitlement),
//! `bsd/sys/xattr.h` (the resource fork and FinderInfo names), and Apple's copyfile
//! (`copyfile.c`: `copyfile_xattr` copies every listed name and leaves behind one the
//! destination refuses; `copyfile_rsrc` copies the resource fork in pieces through the
//! `position` argument; `copyfile_security` keeps the source's ACL and drops entries that the
//! destination's directory added); `xattr_flags.c` (the flags a name may declare after `#`,
//! and which of them a safe save drops).

/// The kernel's own names (ACL storage, SIP markers): never carried.
const KERNEL_PREFIX: &[u8] = b"com.apple.system.";

/// Names that describe the old bytes or are the system's alone, carried by nobody:
/// `com.apple.rootless` marks SIP-protected files; `com.apple.decmpfs` holds the *old* file's
/// compressed data (visible only with `XATTR_SHOWCOMPRESSION`, which is never asked for, but
/// it must never reach new bytes).
/// `com.apple.root.installed` marks what the system's installer put there (copyfile's
/// `xattr_flags.c`: content-dependent, "copyable by entitled callers"): new bytes are not that.
const NEVER_CARRIED: [&[u8]; 3] = [
    b"com.apple.rootless",
    b"com.apple.decmpfs",
    b"com.apple.root.installed",
];

/// The quarantine flag: Gatekeeper checks a file that has it before it runs. A new file without
/// it would run unchecked where the old one would not.
pub const QUARANTINE: &[u8] = b"com.apple.quarantine";

/// The resource fork: the one attribute that may exceed what one call moves, and the one the
/// kernel reads and writes at an offset.
pub const RESOURCE_FORK: &[u8] = b"com.apple.ResourceFork";

/// FinderInfo: 32 bytes; all zeros means "none" to the file systems (HFS+ hides it).
pub const FINDER_INFO: &[u8] = b"com.apple.FinderInfo";

/// How many bytes of the resource fork move per call (copyfile's `XATTR_MAX_GET_RSRC_SIZE`).
#[cfg_attr(not(target_vendor = "apple"), allow(dead_code))]
pub const RESOURCE_FORK_PIECE: usize = 1024 * 1024;

/// What a replace does with one extended attribute of the old file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XattrRule {
    /// Never carried.
    Skip,
    /// Carried in one call; a refusal (EPERM, no support, no room) leaves it behind, as
    /// copyfile and `cp -p` leave it.
    BestEffort,
    /// The resource fork: carried in pieces; a refusal leaves none of it.
    InPieces,
    /// A security marker: carried, or the publish fails.
    Required,
}

/// Names that copyfile keeps for backups only (`xattr_flags.c`, flag `B`): sharing state
/// that belongs to the old file alone.
const ONLY_BACKUP: [&[u8]; 5] = [
    b"com.apple.metadata:kMDItemCollaborationIdentifier",
    b"com.apple.metadata:kMDItemIsShared",
    b"com.apple.metadata:kMDItemSharedItemCurrentUserRole",
    b"com.apple.metadata:kMDItemOwnerName",
    b"com.apple.metadata:kMDItemFavoriteRank",
];

/// Whether the flags a name declares after its last `#` (copyfile's `xattr_name_with_flags`:
/// an upper-case letter sets a flag, its lower-case form clears it, in order) say that a
/// replace must not carry it: `C` (tied to the old contents, as a checksum), `N` (never
/// preserved) or `B` (backups only). These are the flags copyfile's safe-save intent
/// (`XATTR_OPERATION_INTENT_SAVE`) drops.
fn declared_not_for_replace(name: &[u8]) -> bool {
    let Some(at) = name.iter().rposition(|&b| b == b'#') else {
        return false;
    };
    let (mut content, mut never, mut backup) = (false, false, false);
    for &flag in &name[at + 1..] {
        match flag {
            b'C' | b'c' => content = flag == b'C',
            b'N' | b'n' => never = flag == b'N',
            b'B' | b'b' => backup = flag == b'B',
            _ => {}
        }
    }
    content || never || backup
}

/// The rule for the attribute called `name`.
pub fn xattr_rule(name: &[u8]) -> XattrRule {
    if name.starts_with(KERNEL_PREFIX)
        || NEVER_CARRIED.contains(&name)
        || ONLY_BACKUP.contains(&name)
        || declared_not_for_replace(name)
    {
        XattrRule::Skip
    } else if name == QUARANTINE {
        XattrRule::Required
    } else if name == RESOURCE_FORK {
        XattrRule::InPieces
    } else {
        XattrRule::BestEffort
    }
}

/// Whether a value read from the old file is worth setting: an all-zero FinderInfo is no
/// FinderInfo, and some file systems refuse to store one.
pub fn worth_setting(name: &[u8], value: &[u8]) -> bool {
    !(name == FINDER_INFO && value.iter().all(|&b| b == 0))
}

/// What reading an attribute of the old file failed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadRefusal {
    /// ENOATTR: removed since it was listed; there is nothing to keep.
    Gone,
    /// EPERM or EACCES: this process may not read it.
    NotPermitted,
    /// Anything else (EIO above all).
    Other,
}

/// What the carry does next when an attribute of the old file cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Go on with the next attribute.
    Continue,
    /// Fail the publish with EACCES: the new file could lose a security marker.
    Refuse,
    /// Fail the publish with the error as it came.
    Fail,
}

pub fn after_read_failure(rule: XattrRule, refusal: ReadRefusal) -> Next {
    match (rule, refusal) {
        (_, ReadRefusal::Gone) => Next::Continue,
        (XattrRule::Required, ReadRefusal::NotPermitted) => Next::Refuse,
        (_, ReadRefusal::NotPermitted) => Next::Continue,
        (_, ReadRefusal::Other) => Next::Fail,
    }
}

/// What the carry does when the new file refuses an attribute. `already_there`: the new file
/// has that attribute anyway (a quarantined process's files are quarantined by the kernel).
pub fn after_set_failure(rule: XattrRule, already_there: bool) -> Next {
    match rule {
        XattrRule::Required if !already_there => Next::Fail,
        _ => Next::Continue,
    }
}

/// The old file's ACL, as `acl_get_fd_np` reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OldAcl {
    /// It has one (possibly with entries its own directory gave it: they are its own now).
    Present,
    /// It has none (ENOENT), or the file is gone.
    Absent,
    /// EACCES or EPERM: an ACL can deny reading it.
    Unreadable,
    /// Any other error.
    Failed,
}

/// What is done to the new file's ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclStep {
    /// Replace it whole with the old file's: the entries the directory added at creation go,
    /// exactly the old file's stay.
    CopyOld,
    /// Remove it: the directory added it, and the old file had none.
    Remove,
    /// Nothing to do.
    Keep,
}

/// The step that leaves the new file readable by nobody the old one was not readable by.
/// `Err(Next::Refuse)` when the old ACL cannot be read: publishing without it could widen.
pub fn acl_step(old: OldAcl, new_has_acl: bool) -> Result<AclStep, Next> {
    match old {
        OldAcl::Present => Ok(AclStep::CopyOld),
        OldAcl::Absent if new_has_acl => Ok(AclStep::Remove),
        OldAcl::Absent => Ok(AclStep::Keep),
        OldAcl::Unreadable => Err(Next::Refuse),
        OldAcl::Failed => Err(Next::Fail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_and_sip_names_and_old_compressed_bytes_are_never_carried() {
        for name in [
            &b"com.apple.system.Security"[..],
            b"com.apple.system.anything",
            b"com.apple.rootless",
            b"com.apple.root.installed",
            b"com.apple.decmpfs",
        ] {
            assert_eq!(xattr_rule(name), XattrRule::Skip, "{name:?}");
        }
    }

    #[test]
    fn names_that_declare_themselves_tied_to_the_contents_never_or_backup_only_are_skipped() {
        for name in [
            &b"com.example.sha256#C"[..],
            b"com.example.token#N",
            b"com.example.state#PB",
            b"com.example.x#cN",
            b"com.apple.metadata:kMDItemIsShared",
            b"com.apple.metadata:kMDItemOwnerName",
        ] {
            assert_eq!(xattr_rule(name), XattrRule::Skip, "{name:?}");
        }
        for name in [
            &b"com.example.tag#S"[..],
            b"com.example.tag#PS",
            b"com.example.x#Cc",
            b"com.example.saved#X",
            b"com.apple.metadata:kMDItemWhereFroms",
            b"user.no-flags",
        ] {
            assert_eq!(xattr_rule(name), XattrRule::BestEffort, "{name:?}");
        }
    }

    #[test]
    fn the_quarantine_flag_is_required_and_the_resource_fork_goes_in_pieces() {
        assert_eq!(xattr_rule(b"com.apple.quarantine"), XattrRule::Required);
        assert_eq!(xattr_rule(b"com.apple.ResourceFork"), XattrRule::InPieces);
        // A name that only starts like one is an ordinary attribute.
        assert_eq!(xattr_rule(b"com.apple.quarantine2"), XattrRule::BestEffort);
        assert_eq!(xattr_rule(b"com.apple.systemx"), XattrRule::BestEffort);
        assert_eq!(xattr_rule(b"com.apple.FinderInfo"), XattrRule::BestEffort);
        assert_eq!(xattr_rule(b"user.origin"), XattrRule::BestEffort);
    }

    #[test]
    fn an_all_zero_finder_info_is_not_set_and_any_other_value_is() {
        assert!(!worth_setting(FINDER_INFO, &[0; 32]));
        let mut typed = [0u8; 32];
        typed[..4].copy_from_slice(b"TEXT");
        assert!(worth_setting(FINDER_INFO, &typed));
        assert!(worth_setting(b"user.empty", &[]));
        assert!(worth_setting(b"user.zeros", &[0; 8]));
    }

    #[test]
    fn an_unreadable_quarantine_flag_refuses_the_publish_and_other_names_are_left_behind() {
        let required = XattrRule::Required;
        let ordinary = XattrRule::BestEffort;
        assert_eq!(
            after_read_failure(required, ReadRefusal::NotPermitted),
            Next::Refuse
        );
        assert_eq!(
            after_read_failure(ordinary, ReadRefusal::NotPermitted),
            Next::Continue
        );
        assert_eq!(
            after_read_failure(required, ReadRefusal::Gone),
            Next::Continue
        );
        assert_eq!(after_read_failure(ordinary, ReadRefusal::Other), Next::Fail);
        assert_eq!(after_read_failure(required, ReadRefusal::Other), Next::Fail);
    }

    #[test]
    fn a_refused_quarantine_flag_fails_unless_the_new_file_is_quarantined_anyway() {
        assert_eq!(after_set_failure(XattrRule::Required, false), Next::Fail);
        assert_eq!(after_set_failure(XattrRule::Required, true), Next::Continue);
        assert_eq!(
            after_set_failure(XattrRule::BestEffort, false),
            Next::Continue
        );
        assert_eq!(
            after_set_failure(XattrRule::InPieces, false),
            Next::Continue
        );
    }

    #[test]
    fn the_new_file_ends_with_exactly_the_old_files_acl_or_none() {
        assert_eq!(acl_step(OldAcl::Present, false), Ok(AclStep::CopyOld));
        // The directory's inherited entries are replaced, never merged.
        assert_eq!(acl_step(OldAcl::Present, true), Ok(AclStep::CopyOld));
        assert_eq!(acl_step(OldAcl::Absent, true), Ok(AclStep::Remove));
        assert_eq!(acl_step(OldAcl::Absent, false), Ok(AclStep::Keep));
    }

    #[test]
    fn an_old_acl_that_cannot_be_read_fails_closed() {
        assert_eq!(acl_step(OldAcl::Unreadable, false), Err(Next::Refuse));
        assert_eq!(acl_step(OldAcl::Unreadable, true), Err(Next::Refuse));
        assert_eq!(acl_step(OldAcl::Failed, false), Err(Next::Fail));
    }
}
