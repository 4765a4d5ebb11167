//! The scratch file: where the new bytes are written before they become the target.
//!
//! Invariant: a [`Scratch`] either commits (its file is renamed onto the target) or its file is
//! removed. There is no third outcome, because the only way out of `commit` without a rename
//! is through [`Scratch::discard`], and dropping a `Scratch` unlinks the file too. That is what
//! lets every failure path, including a panic or an abandoned stream, leave no scratch behind.
//!
//! Its parts: [`name`] (how scratch files are named and recognised), [`live`] (the in-flight
//! registry), [`lock`] (advisory locks against sweepers), [`attributes`] (mode and owner),
//! [`unnamed`] (a scratch named only once its bytes are checked).

mod attributes;
mod live;
mod lock;
mod name;
mod unnamed;

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::{NamedTempFile, TempPath};

use crate::errors::{FsFailure, PublishError, Syscall};
use crate::retry;
use crate::sys;
use crate::target::ResolvedTarget;

pub use attributes::{Attributes, ModePolicy, OwnerPolicy};
pub use live::{
    any_in_flight, close_and_remove, has_ended, is_live, CreateTicket as LiveTicket,
    Kind as LiveKind, LiveEntry, Owner,
};
pub use lock::{held_by_writer, lock_directory, Claim};
pub use name::{
    is_scratch_name, random_part, scratch_prefix, sweep_aside_name, RANDOM_LEN, SCRATCH_INFIX,
};
pub use unnamed::Unnamed;

/// How many scratch files a publish creates, one after another, while sweepers keep taking
/// them between create and lock, before it gives up.
const CLAIM_ATTEMPTS: usize = 16;

use live::CreateTicket;

/// How one publish's scratch is made and, on failure, disposed of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScratchSpec {
    pub attributes: Attributes,
    /// A caller's retry budget for the create (see `retry::open_within`).
    pub retry_budget: Option<Duration>,
    /// A failed publish leaves its scratch instead of removing it (the compatibility entry's
    /// `tmpPurge: false`); `sweepOrphans` finds it later like any orphan.
    pub keep_on_failure: bool,
}

/// Fields drop in order: the file (unlinked unless renamed or kept) before it leaves the
/// live set, so the set never misses a scratch that still exists.
pub struct Scratch {
    file: NamedTempFile,
    keep_on_failure: bool,
    _live: LiveEntry,
}

impl Scratch {
    /// Create the scratch in the target's directory, claimed against sweepers (see [`lock`]),
    /// with the mode and owner the published file must have: created exclusively
    /// (O_CREAT|O_EXCL), then locked and checked; after a claim lost to a sweeper, on Linux,
    /// made without a name, locked, then linked under its name (20% more per publish on
    /// tmpfs than the named way, so only then). Done before any byte is written, so the file is never readable by more people
    /// than the final one.
    pub fn create(
        target: &ResolvedTarget,
        spec: &ScratchSpec,
        owner: Owner,
    ) -> Result<Self, PublishError> {
        // Our own exclusive open rather than `tempfile_in`: tempfile wraps its errors with the
        // path, which hides the errno (EMFILE could then be neither retried nor named).
        let bits = attributes::create_mode(&spec.attributes, target.existing.as_ref());
        let create = |path: &Path| target.dir_handle.create_new(path, bits);
        let mut attempts = 0;
        let (file, ticket) = loop {
            let ticket = CreateTicket::take(owner).ok_or(PublishError::Aborted)?;
            let file = retry::open_within(spec.retry_budget, || under_fresh_name(target, create))
                .map_err(|e| FsFailure::target(e, Syscall::Open))?;
            match lock::claim(file.as_file(), file.path()) {
                Claim::Held => break (file, ticket),
                // A sweeper took it, or the directory was renamed under it: what is left of it
                // goes (found through its descriptor if it moved), and a new name starts over.
                // A sweeper that fast may take every fresh name before its lock, so where the
                // file system can make a file without a name, the next scratch is locked before
                // it has one, and no sweeper can take it.
                Claim::Lost(e) => {
                    let (lost, path) = file.into_parts();
                    if let Some(left) = remove_scratch(path, Some(&lost)) {
                        // Never go on past a file left behind that no error would name.
                        let mut failure = FsFailure::target(e, Syscall::Open);
                        failure.scratch_left = Some(left);
                        return Err(failure.into());
                    }
                    drop(ticket);
                    if let Some(unnamed) = Unnamed::create(target, spec)? {
                        return unnamed.name(target, owner);
                    }
                    attempts += 1;
                    if attempts == CLAIM_ATTEMPTS {
                        return Err(FsFailure::target(e, Syscall::Open).into());
                    }
                }
            }
        };
        // Windows: the replaced file's DACL, before a byte is written (see `sys`).
        if let Some(old) = &target.existing {
            if let Err(e) = sys::carry_security(file.as_file(), &target.file, old) {
                let (lost, path) = file.into_parts();
                let mut failure = FsFailure::target(e, Syscall::Fsetxattr);
                failure.scratch_left = remove_scratch(path, Some(&lost));
                return Err(failure.into());
            }
        }
        let (file, path) = file.into_parts();
        let (live, path) = enter_live(ticket, target, path)?;
        Ok(Self {
            file: NamedTempFile::from_parts(file, path),
            keep_on_failure: spec.keep_on_failure,
            _live: live,
        })
    }

    /// Where the scratch is.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    pub fn file(&self) -> &File {
        self.file.as_file()
    }

    pub fn file_mut(&mut self) -> &mut File {
        self.file.as_file_mut()
    }

    /// Write all of `data` at `offset`, however many calls it takes (a short write is
    /// continued, never taken for the end). Positional writes (`pwrite`) keep the data path
    /// apart from the plain `write`s the runtime makes for itself, which is what lets fault
    /// injection target one without the other.
    pub fn write_all_at(&self, data: &[u8], offset: u64) -> Result<(), io::Error> {
        sys::write_all_at(self.file(), data, offset)
    }

    /// The last byte is written and verified: give the scratch the owner, ACL and mode the
    /// published file must have (see `attributes`).
    pub fn finish_attributes(
        &self,
        target: &ResolvedTarget,
        attributes: &Attributes,
    ) -> Result<(), FsFailure> {
        attributes::finish(self.file(), target, attributes)
    }

    /// Start writing the scratch's dirty pages to disk without waiting for them: only a hint
    /// that lets a later fsync find its work begun. It makes nothing durable on its own, so
    /// it is never a substitute for that fsync, and its failure is left for the fsync to see.
    pub fn start_writeback(&self) {
        sys::start_writeback(self.file());
    }

    /// Remove the scratch after `failure`. If the unlink itself fails, the original failure is
    /// kept and says which file was left behind.
    pub fn discard(self, mut failure: FsFailure) -> FsFailure {
        failure.scratch_left = self.remove();
        failure
    }

    /// Remove the scratch of a failed publish (unless it is to be kept); `Some(path)` if it
    /// could not be removed.
    pub fn remove(self) -> Option<PathBuf> {
        self.into_rename().give_up()
    }

    /// Get ready to rename: where the platform cannot rename an open file, close it now.
    pub fn into_rename(self) -> PendingRename {
        let Self {
            file,
            keep_on_failure,
            _live,
            ..
        } = self;
        let (file, path) = file.into_parts();
        PendingRename {
            path,
            keep_on_failure,
            _open: (!sys::CLOSE_BEFORE_RENAME).then_some(file),
            _live,
        }
    }
}

/// `make` the scratch at a fresh `<basename>.oxentmp.<random>` beside the target, trying
/// another name while `make` finds one taken (AlreadyExists).
fn under_fresh_name<R>(
    target: &ResolvedTarget,
    make: impl FnMut(&Path) -> io::Result<R>,
) -> io::Result<NamedTempFile<R>> {
    let prefix = name::scratch_prefix(&target.file_name);
    tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(name::RANDOM_LEN)
        .make_in(&target.dir, make)
}

/// Enter the scratch at `path`, beside `target`, in the live set, with the ticket it was
/// created under. If its owner has ended meanwhile, the file is already gone: the publish is
/// aborted.
fn enter_live(
    ticket: CreateTicket,
    target: &ResolvedTarget,
    path: TempPath,
) -> Result<(LiveEntry, TempPath), PublishError> {
    let key = (
        target.dir_id.clone(),
        path.file_name().unwrap_or_default().to_os_string(),
    );
    match ticket.enter(key, path.to_path_buf()) {
        Some(live) => Ok((live, path)),
        None => {
            // Removed under the registry's lock; its name may belong to another file by now.
            disarm(path);
            Err(PublishError::Aborted)
        }
    }
}

/// A scratch about to be renamed onto its target. Open (and locked against sweepers) until
/// the rename is settled, where the platform lets an open file be renamed. Fields drop in
/// order, as in [`Scratch`].
pub struct PendingRename {
    path: TempPath,
    keep_on_failure: bool,
    _open: Option<File>,
    _live: LiveEntry,
}

impl PendingRename {
    /// One attempt at renaming onto `target.file`; on failure the scratch is still there.
    /// Without `replace`, only where no file is there (EEXIST otherwise).
    pub fn attempt(&self, target: &ResolvedTarget, replace: bool) -> io::Result<()> {
        if replace {
            target
                .dir_handle
                .rename(self._open.as_ref(), &self.path, &target.file)
        } else {
            target
                .dir_handle
                .rename_noreplace(self._open.as_ref(), &self.path, &target.file)
        }
    }

    /// Renamed: the name now belongs to the target, never unlink it.
    pub fn keep(self) {
        disarm(self.path);
    }

    /// Not renamed (superseded or aborted): remove the scratch; `Some(path)` if it could not
    /// be removed.
    pub fn remove(self) -> Option<PathBuf> {
        remove_scratch(self.path, self._open.as_ref())
    }

    /// The rename failed with `error`: remove the scratch (unless it is to be kept), or name
    /// it as left behind.
    pub fn fail(self, error: io::Error) -> FsFailure {
        let mut failure = FsFailure::target(error, Syscall::Rename);
        failure.scratch_left = self.give_up();
        failure
    }

    /// The publish failed: remove the scratch (unless it is to be kept); `Some(path)` if it
    /// could not be removed.
    fn give_up(self) -> Option<PathBuf> {
        if self.keep_on_failure {
            disarm(self.path);
            return None;
        }
        remove_scratch(self.path, self._open.as_ref())
    }
}

/// Stop `path` from removing its file when dropped, touching nothing on disk (tempfile's
/// `keep` would reset, by path, the attributes of whatever file has that name by then on
/// Windows); its path.
fn disarm(mut path: TempPath) -> PathBuf {
    path.disable_cleanup(true);
    path.to_path_buf()
}

/// How many times the clean-up looks for a scratch whose directory keeps being renamed
/// before it names the file as left behind.
const RELOCATE_ATTEMPTS: usize = 64;

/// Unlink the scratch at `path`; `Some(path)` naming what is left behind if that fails. When
/// the name is gone but the file, still `open`, has a name elsewhere (its directory was
/// renamed meanwhile), it is removed there, found through its descriptor. A scratch that is
/// truly gone (a sweeper in another process took it) is not left behind.
fn remove_scratch(path: TempPath, open: Option<&File>) -> Option<PathBuf> {
    // Disarmed, not closed: tempfile's own unlink would refuse a read-only file on Windows.
    let given = disarm(path);
    match sys::remove_file(&given) {
        Ok(()) => None,
        Err(e) if e.kind() == io::ErrorKind::NotFound => remove_moved(open?, given),
        Err(_) => Some(given),
    }
}

/// The scratch open as `file` is no longer at `given`: its directory was renamed, perhaps
/// again between finding the new name and unlinking it. Look again until the file has no
/// name left (only its link count tells that: a name not found may just have moved on).
fn remove_moved(file: &File, given: PathBuf) -> Option<PathBuf> {
    let name = given.file_name()?.to_os_string();
    let mut last = given;
    for _ in 0..RELOCATE_ATTEMPTS {
        if sys::is_unlinked(file) {
            return None;
        }
        if let Some(moved) = sys::current_name(file, &name) {
            match sys::remove_file(&moved) {
                Ok(()) => return None,
                Err(e) if e.kind() == io::ErrorKind::NotFound => last = moved,
                Err(_) => return Some(moved),
            }
        }
    }
    Some(last)
}

#[cfg(all(test, windows))]
mod windows_tests {
    use super::remove_scratch;
    use std::os::windows::fs::OpenOptionsExt;

    /// The clean-up acts on the scratch's name; if that name now holds another file (the
    /// scratch was moved or swapped away), the clean-up may fail, but must leave that file
    /// as it is, its read-only attribute too.
    #[test]
    fn removing_a_scratch_whose_name_now_holds_another_file_leaves_that_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("f.oxentmp.abcdef");
        let ours = std::fs::File::create(dir.path().join("moved-away")).unwrap();
        std::fs::write(&name, b"someone else's").unwrap();
        let mut perms = std::fs::metadata(&name).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&name, perms).unwrap();
        // Held open by its owner without delete sharing, so nothing can remove it.
        let _held = std::fs::OpenOptions::new()
            .read(true)
            .share_mode(1 | 2)
            .open(&name)
            .unwrap();
        let left = remove_scratch(
            tempfile::TempPath::try_from_path(&name).unwrap(),
            Some(&ours),
        );
        assert_eq!(left.as_deref(), Some(name.as_path()));
        assert_eq!(std::fs::read(&name).unwrap(), b"someone else's");
        assert!(std::fs::metadata(&name).unwrap().permissions().readonly());
    }
}
