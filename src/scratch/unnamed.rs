//! A scratch made without a name and named only once its bytes have been checked.
//!
//! Large writes straight from the caller's memory can only verify their bytes once they are
//! in the file (see `unread.rs`), yet a mismatched write must touch nothing on disk
//! (guarantee 3). So their scratch starts unnamed (`sys::create_unnamed`): until it is linked
//! under its scratch name, no reader, sweeper or crash can see it. It is locked before it has
//! a name, so a sweeper can never take it between name and lock.

use std::fs::{File, Metadata};

use tempfile::NamedTempFile;

use super::{attributes, enter_live, under_fresh_name, CreateTicket, Owner, Scratch, ScratchSpec};
use crate::errors::{FsFailure, PublishError, Syscall};
use crate::sys;
use crate::target::ResolvedTarget;

/// An unnamed scratch, owner-only until its bytes are checked (see `attributes`).
pub struct Unnamed {
    file: File,
}

impl Unnamed {
    /// Create it in the target's directory. `None` where that cannot be done (another OS, a
    /// file system without unnamed files, or any failure of the create): the publish then
    /// takes the named path, which reports real failures as it always does.
    pub fn create(target: &ResolvedTarget, spec: &ScratchSpec) -> Result<Option<Self>, FsFailure> {
        Self::create_in(&target.dir_handle, target.existing.as_ref(), spec)
    }

    /// [`Unnamed::create`] in `dir`, for a target that is `existing` or not there: the target's
    /// own directory, or the nearest one above it while its directories are still to be made
    /// (same file system: they will be made inside it).
    pub fn create_in(
        dir: &sys::TargetDir,
        existing: Option<&Metadata>,
        spec: &ScratchSpec,
    ) -> Result<Option<Self>, FsFailure> {
        if spec.keep_on_failure {
            // A failed publish must leave its scratch, so it needs a name from the start.
            return Ok(None);
        }
        let bits = attributes::create_mode(&spec.attributes, existing);
        let Ok(Some(file)) = sys::create_unnamed(dir, bits) else {
            return Ok(None);
        };
        // Never contended: no one else can reach this file yet. It fails only where the file
        // system has no locks, and sweepers then go by age.
        let _ = file.try_lock();
        Ok(Some(Self { file }))
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// Link it into the target's directory under a fresh scratch name: from here on it is a
    /// [`Scratch`] like any other (registered as live, removed on failure).
    /// Once `owner` has ended, it is never named: the publish is aborted.
    pub fn name(self, target: &ResolvedTarget, owner: Owner) -> Result<Scratch, PublishError> {
        match self.name_or_give_back(target, owner)? {
            Ok(scratch) => Ok(scratch),
            Err((_, e)) => Err(FsFailure::target(e, Syscall::Link).into()),
        }
    }

    /// [`Unnamed::name`], giving the file back still unnamed where it lives on another file
    /// system than the target's directory (EXDEV: one was mounted there meanwhile), so that its
    /// bytes can be copied there instead.
    pub fn name_or_give_back(
        self,
        target: &ResolvedTarget,
        owner: Owner,
    ) -> Result<Result<Scratch, (Self, std::io::Error)>, PublishError> {
        let ticket = CreateTicket::take(owner).ok_or(PublishError::Aborted)?;
        let linked = under_fresh_name(target, |path| {
            sys::link_unnamed(&self.file, &target.dir_handle, path)
        });
        let (_, path) = match linked {
            Ok(named) => named.into_parts(),
            Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => return Ok(Err((self, e))),
            Err(e) => return Err(FsFailure::target(e, Syscall::Link).into()),
        };
        let (live, path) = enter_live(ticket, target, path)?;
        Ok(Ok(Scratch {
            file: NamedTempFile::from_parts(self.file, path),
            keep_on_failure: false,
            _live: live,
        }))
    }
}
