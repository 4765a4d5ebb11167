//! The mode and owner a new file gets (guarantee 9).
//!
//! They are given to the scratch before any byte is written, so the file is never readable by
//! more people than the final one. The set-id bits alone wait until after the last write:
//! the kernel clears them on every write by a process without CAP_FSETID. What a platform can
//! express (permission bits and owner on Unix, only the read-only attribute on Windows) is up
//! to `sys`; the policy is here.

use std::fs::File;
use std::io;

use crate::errors::{FsFailure, Syscall};
use crate::sys;
use crate::target::ResolvedTarget;

/// How the new file's permissions and owner are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModePolicy {
    /// `withMode(m)`: exactly `m`, not masked by the umask.
    Exact(u32),
    /// Keep what the replaced file had, or `0o666 & ~umask` for a new file.
    Inherit,
}

/// Set-user-ID and set-group-ID: cleared by the kernel on a write, so set after the last one.
const SET_ID_BITS: u32 = 0o6000;

/// Give the freshly created scratch `file` the mode and owner the published file must have.
/// Returns the mode to set once the last byte is written, when it has set-id bits.
pub fn apply(
    file: &File,
    target: &ResolvedTarget,
    mode: ModePolicy,
) -> Result<Option<u32>, FsFailure> {
    let wanted = match (mode, &target.existing) {
        (ModePolicy::Exact(bits), _) => bits,
        (ModePolicy::Inherit, Some(old)) => sys::mode_bits(old),
        // A new file already has 0o666 & ~umask from the exclusive create.
        (ModePolicy::Inherit, None) => return Ok(None),
    };
    let after_writes = (wanted & SET_ID_BITS != 0).then_some(wanted);
    let now = wanted & !SET_ID_BITS;
    let chmod = || {
        sys::set_mode_bits(file, now)
            .map(|()| after_writes)
            .map_err(|e| FsFailure::target(e, Syscall::Fchmod))
    };
    let mine = file
        .metadata()
        .map_err(|e| FsFailure::target(e, Syscall::Stat))?;
    if let Some(old) = &target.existing {
        if !sys::same_owner(&mine, old) {
            // Keep the replaced file's owner where this process may; an unprivileged
            // process can only replace a file it owns anyway, which is not a failure.
            match sys::copy_owner(file, old) {
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {}
                other => other.map_err(|e| FsFailure::target(e, Syscall::Fchown))?,
            }
            // A change of owner can clear set-id bits: set the mode after it, always.
            return chmod();
        }
    }
    // Most replaced files already have the mode a new one gets: skip the call then.
    if sys::mode_bits(&mine) == now {
        return Ok(after_writes);
    }
    chmod()
}
