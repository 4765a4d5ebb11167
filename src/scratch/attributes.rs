//! The mode and owner a new file gets (guarantee 9).
//!
//! They are given to the scratch before any byte is written, so the file is never readable by
//! more people than the final one, and never visible at the target with another owner. The
//! set-id bits alone wait until after the last write: the kernel clears them on every write by
//! a process without CAP_FSETID. What a platform can express (permission bits and owner on
//! Unix, only the read-only attribute on Windows) is up to `sys`; the policy is here.

use std::fs::{File, OpenOptions};
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

/// Everything about the scratch's metadata that is settled before its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes {
    pub mode: ModePolicy,
    pub owner: OwnerPolicy,
    /// Ignore a chown or chmod refused as write-file-atomic and atomically ignore it (see
    /// `sys::is_benign_attribute_refusal`). Without it, a refused `withOwner` publishes nothing.
    pub best_effort: bool,
}

impl Default for Attributes {
    fn default() -> Self {
        Self {
            mode: ModePolicy::Inherit,
            owner: OwnerPolicy::Inherit,
            best_effort: false,
        }
    }
}

/// Set-user-ID and set-group-ID: cleared by the kernel on a write, so set after the last one.
const SET_ID_BITS: u32 = 0o6000;

/// The mode bits the scratch is created with, before the umask.
pub fn set_create_mode(options: &mut OpenOptions, attributes: &Attributes) {
    match attributes.mode {
        ModePolicy::Masked(bits) => sys::set_create_mode(options, bits),
        _ => sys::set_new_file_mode(options),
    }
}

/// Give the freshly created scratch `file` the mode and owner the published file must have.
/// Returns the mode to set once the last byte is written, when it has set-id bits.
pub fn apply(
    file: &File,
    target: &ResolvedTarget,
    attributes: &Attributes,
) -> Result<Option<u32>, FsFailure> {
    let tolerate = |e: io::Error, syscall: Syscall| {
        if attributes.best_effort && sys::is_benign_attribute_refusal(&e) {
            Ok(())
        } else {
            Err(FsFailure::target(e, syscall))
        }
    };
    let wanted = match (attributes.mode, &target.existing) {
        (ModePolicy::Exact(bits), _) => Some(bits),
        (ModePolicy::Inherit, Some(old)) => Some(sys::mode_bits(old)),
        // A new file already has 0o666 & ~umask from the exclusive create, and a masked mode
        // was given to the create.
        (ModePolicy::Inherit, None) | (ModePolicy::Masked(_), _) => None,
    };
    let after_writes = wanted.filter(|bits| bits & SET_ID_BITS != 0);
    let now = wanted.map(|bits| bits & !SET_ID_BITS);
    let mine = file
        .metadata()
        .map_err(|e| FsFailure::target(e, Syscall::Stat))?;
    let chowned = match (attributes.owner, &target.existing) {
        (OwnerPolicy::Set { uid, gid }, _) => {
            sys::set_owner(file, uid, gid).or_else(|e| tolerate(e, Syscall::Fchown))?;
            true
        }
        (OwnerPolicy::Inherit, Some(old)) if !sys::same_owner(&mine, old) => {
            // Keep the replaced file's owner where this process may; an unprivileged
            // process can only replace a file it owns anyway, which is not a failure.
            match sys::copy_owner(file, old) {
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {}
                other => other.or_else(|e| tolerate(e, Syscall::Fchown))?,
            }
            true
        }
        _ => false,
    };
    match now {
        // A change of owner can clear set-id bits: set the mode after it, always. Most
        // replaced files already have the mode a new one gets: skip the call then.
        Some(bits) if chowned || sys::mode_bits(&mine) != bits => sys::set_mode_bits(file, bits)
            .or_else(|e| tolerate(e, Syscall::Fchmod))
            .map(|()| after_writes),
        _ => Ok(after_writes),
    }
}
