//! The mode and owner a new file gets (guarantee 9), and when the scratch gets them.
//!
//! The scratch is created owner-only, or with the final mode where the kernel computes it
//! (a new file: `0o666 & ~umask`, and whatever a default ACL makes of it, exactly as for
//! `fs.writeFile`). Anything that widens it or hands it to another owner waits until its last
//! byte is written and verified: a local user who opens the scratch early never reads bytes
//! the final file would deny them, and a new owner never gets a scratch it could still
//! rewrite before the hash check (it can between the chown and the rename: handing the file
//! to another user hands it the bytes too). Set-id bits come last, since a chown clears
//! them. What a platform can express (permission bits, owner, ACLs on Unix, only the
//! read-only attribute on Windows) is up to `sys`; the policy is here.

use std::fs::{File, Metadata};
use std::io;

use crate::errors::{FsFailure, Syscall};
use crate::sys;
use crate::target::ResolvedTarget;

/// How the new file's permissions are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModePolicy {
    /// `withMode(m)`: exactly `m`, not masked by the umask.
    Exact(u32),
    /// Keep what the replaced file had, or `0o666 & ~umask` for a new file.
    Inherit,
    /// `m & ~umask`, whatever the replaced file had (the compatibility entry's `mode: false`).
    Masked(u32),
}

/// Who owns the new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerPolicy {
    /// Keep the replaced file's owner where this process may; a new file is this process's.
    Inherit,
    /// This process's, whatever the replaced file had (the compatibility entry's `chown: false`).
    Process,
    /// `withOwner(uid, gid)`; `None` leaves that id as the create made it.
    Set { uid: Option<u32>, gid: Option<u32> },
}

/// Everything about the scratch's metadata that the caller decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes {
    pub mode: ModePolicy,
    pub owner: OwnerPolicy,
    /// Ignore a chown or chmod refused as write-file-atomic and atomically ignore it (see
    /// `sys::is_benign_attribute_refusal`). Without it, a refused `withOwner` publishes nothing.
    pub best_effort: bool,
    /// A copy's source's mode bits: without `withMode`, the copy gets no bit its source lacks
    /// (as `fs.copyFile`), and a replaced file the narrower of the two.
    pub at_most: Option<u32>,
}

impl Default for Attributes {
    fn default() -> Self {
        Self {
            mode: ModePolicy::Inherit,
            owner: OwnerPolicy::Inherit,
            best_effort: false,
            at_most: None,
        }
    }
}

/// The mode of a scratch whose final mode is only set at the end: nobody else's.
const OWNER_ONLY: u32 = 0o600;

/// What `fs.writeFile` gives a new file, before the umask.
const NEW_FILE_MODE: u32 = 0o666;

/// The mode bits the scratch is created with, before the umask: the final ones where the
/// kernel computes them (a new file without `withMode`), else owner-only.
pub fn create_mode(attributes: &Attributes, existing: Option<&Metadata>) -> u32 {
    let cap = attributes.at_most.unwrap_or(0o7777);
    match (attributes.mode, existing) {
        (ModePolicy::Masked(bits), _) => bits & cap,
        (ModePolicy::Inherit, None) => NEW_FILE_MODE & cap,
        (ModePolicy::Inherit, Some(_)) | (ModePolicy::Exact(_), _) => OWNER_ONLY,
    }
}

/// The mode a replace keeps: the old file's bits, without its group's (and set-gid) where the
/// new file could not take its group. The scratch's group is this process's or, on BSD and
/// macOS, its directory's: the old bits would open the new bytes to another group.
fn inherited_bits(old_bits: u32, group_kept: bool) -> u32 {
    if group_kept {
        old_bits
    } else {
        old_bits & !0o2070
    }
}

/// The scratch's last byte is written and verified: give it the owner, access list and mode
/// the published file must have, in that order (a chown clears set-id bits; a mode sets an
/// ACL's mask).
pub fn finish(
    file: &File,
    target: &ResolvedTarget,
    attributes: &Attributes,
) -> Result<(), FsFailure> {
    let tolerate = |e: io::Error, syscall: Syscall| {
        if attributes.best_effort && sys::is_benign_attribute_refusal(&e) {
            Ok(())
        } else {
            Err(FsFailure::target(e, syscall))
        }
    };
    let existing = target.existing.as_ref();
    let cap = attributes.at_most.unwrap_or(0o7777);
    let wanted = match (attributes.mode, existing) {
        (ModePolicy::Exact(bits), _) => Some(bits),
        (ModePolicy::Inherit, Some(old)) => Some(sys::mode_bits(old) & cap),
        // Created with its final mode (see `create_mode`).
        (ModePolicy::Inherit, None) | (ModePolicy::Masked(_), _) => None,
    };
    let mine = file
        .metadata()
        .map_err(|e| FsFailure::target(e, Syscall::Stat))?;
    let mut group_kept = true;
    let chowned = match (attributes.owner, existing) {
        (OwnerPolicy::Set { uid, gid }, _) => {
            sys::set_owner(file, uid, gid).or_else(|e| tolerate(e, Syscall::Fchown))?;
            true
        }
        (OwnerPolicy::Inherit, Some(old)) if !sys::same_owner(&mine, old) => {
            // Keep the replaced file's owner where this process may; an unprivileged
            // process can only replace a file it owns anyway, which is not a failure.
            match sys::copy_owner(file, old) {
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    group_kept = sys::same_group(&mine, old);
                }
                other => other.or_else(|e| tolerate(e, Syscall::Fchown))?,
            }
            true
        }
        _ => false,
    };
    let wanted = match (attributes.mode, wanted) {
        (ModePolicy::Inherit, Some(bits)) => Some(inherited_bits(bits, group_kept)),
        (_, wanted) => wanted,
    };
    // A replace keeps the old file's access ACL and extended attributes, as a write in place
    // would, and never an ACL that the directory's default one gave the scratch; the
    // compatibility entry's masked mode is a new file's, so it takes neither.
    let relisted = match (existing, wanted) {
        (Some(old), Some(_)) => {
            sys::carry_extended_attributes(file, &target.dir_handle, &target.file_name, old)
                .map_err(|e| FsFailure::target(e, Syscall::Fsetxattr))?
        }
        _ => false,
    };
    match wanted {
        // Most replaced files already have the mode the scratch got: skip the call then.
        Some(bits) if chowned || relisted || sys::mode_bits(&mine) != bits => {
            sys::set_mode_bits(file, bits).or_else(|e| tolerate(e, Syscall::Fchmod))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::inherited_bits;

    #[test]
    fn a_replace_that_could_not_keep_the_group_gives_no_group_access() {
        assert_eq!(inherited_bits(0o640, true), 0o640);
        assert_eq!(inherited_bits(0o2750, true), 0o2750);
        assert_eq!(inherited_bits(0o640, false), 0o600);
        assert_eq!(inherited_bits(0o2775, false), 0o705);
        assert_eq!(inherited_bits(0o4755, false), 0o4705);
    }
}
