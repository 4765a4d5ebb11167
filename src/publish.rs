//! The publish protocol: scratch beside the target, write, verify, stamp, fsync, rename,
//! fsync the directory.
//!
//! A [`Publisher`] is one publish in progress. Its order of steps is the whole guarantee:
//! - the hash is checked before the rename, so a mismatch never becomes visible;
//! - the mtime is stamped after the last write (a write would move it) and before the fsync,
//!   so the stamp is as durable as the bytes;
//! - the file is fsynced before the rename, so a crash can never expose a renamed but empty
//!   file, and the directory after it, so the rename itself survives a power cut.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::dirsync;
pub use crate::durability::Durability;
use crate::errors::{FsFailure, PublishError, Syscall};
use crate::hash::{self, Hasher};
use crate::order::Ticket;
use crate::retry::{self, InOrder, RenameRules};
use crate::scratch::{Attributes, Scratch, ScratchSpec};
use crate::sys;
use crate::target::{self, FileKey, ResolvedTarget};

pub use crate::copy::copy_from;
pub use crate::options::{Control, Mtime, PublishOptions, Published};
pub use crate::unread::{fill_unread, CallerMemory, Filled};
pub use crate::write::{start_write, write, write_announced, write_from_reader};

/// One publish in progress: a scratch file being filled, not yet visible at the target.
pub struct Publisher {
    target: ResolvedTarget,
    /// The key of call order: the same for every spelling of the target.
    order_key: FileKey,
    ticket: Arc<Ticket>,
    scratch: Scratch,
    hasher: Option<Hasher>,
    written: u64,
    /// Bytes below this offset have been handed to writeback.
    hinted: u64,
    options: PublishOptions,
}

const WRITEBACK_STEP: u64 = 8 << 20;

impl Publisher {
    /// Resolve the target, create missing parents and the scratch. With `hashing`, every byte
    /// appended is hashed in passing.
    pub fn begin(
        target: &Path,
        mut options: PublishOptions,
        hashing: bool,
    ) -> Result<Self, PublishError> {
        if crate::scratch::has_ended(options.owner) {
            return Err(PublishError::Aborted);
        }
        let ticket = Entered::ticket(&mut options)?;
        let entered = Entered::at(target::prepare(target)?, ticket, &options)?;
        let scratch = Scratch::create(&entered.target, &scratch_spec(&options), options.owner)?;
        let mut publisher = Self::with_scratch(entered, scratch, 0, options);
        publisher.hasher = hashing.then(Hasher::new);
        Ok(publisher)
    }

    /// A publish whose scratch already holds `written` bytes (see `unread.rs`).
    pub(crate) fn with_scratch(
        entered: Entered,
        scratch: Scratch,
        written: u64,
        options: PublishOptions,
    ) -> Self {
        let Entered {
            target,
            order_key,
            ticket,
        } = entered;
        Self {
            target,
            order_key,
            ticket,
            scratch,
            hasher: None,
            written,
            hinted: written,
            options,
        }
    }

    /// Hash every byte appended from here on (see `unread.rs`).
    pub(crate) fn hashing(mut self) -> Self {
        self.hasher = Some(Hasher::new());
        self
    }

    /// May this publish commit now, in call order? `OrderPending` where an earlier call to
    /// its file is still under way that it could change the answer of, or the reverse: ask
    /// again later; nothing was changed.
    pub fn may_commit(&self) -> Result<(), PublishError> {
        self.ticket
            .may_commit(&self.order_key, !self.options.overwrite)
            .map_err(|_| PublishError::OrderPending)
    }

    /// The scratch file's path.
    pub fn scratch_path(&self) -> &Path {
        self.scratch.path()
    }

    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Append `chunk` to the scratch. On failure the publisher must be given up with
    /// [`Publisher::fail`], which removes the scratch.
    pub fn append(&mut self, chunk: &[u8]) -> Result<(), FsFailure> {
        self.scratch
            .write_all_at(chunk, self.written)
            .map_err(|e| FsFailure::target(e, Syscall::Write))?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
        self.advance(chunk.len() as u64);
        Ok(())
    }

    /// Let `fill` append to the scratch through the scratch file's own position (a kernel
    /// copy), and count what it added. With hashing, the new bytes are then read back from the
    /// scratch (still in the page cache) and hashed there: the digest is of what the scratch
    /// holds, so whatever a source does meanwhile, the bytes renamed are the bytes verified
    /// (guarantee 12). On failure the publisher must be given up with [`Publisher::fail`].
    pub fn append_through(
        &mut self,
        fill: impl FnOnce(&mut File) -> Result<u64, FsFailure>,
        readback: &mut [u8],
    ) -> Result<u64, FsFailure> {
        let start = self.written;
        let added = fill(self.scratch.file_mut())?;
        if let Some(hasher) = self.hasher.as_mut() {
            hash::update_from_file(hasher, self.scratch.file(), start, added, readback)
                .map_err(|e| FsFailure::target(e, Syscall::Read))?;
        }
        self.advance(added);
        Ok(added)
    }

    /// The scratch file, for reading back what was appended.
    pub fn scratch_file(&self) -> &File {
        self.scratch.file()
    }

    /// A long publish that will be fsynced starts writing its bytes out every
    /// `WRITEBACK_STEP`, so the disk works while the caller still produces and the fsync at the
    /// end finds only the tail left.
    fn hint_writeback(&mut self) {
        if self.written - self.hinted < WRITEBACK_STEP || !self.syncs() {
            return;
        }
        sys::start_writeback_of(self.scratch.file(), self.hinted, self.written - self.hinted);
        self.hinted = self.written;
    }

    fn advance(&mut self, n: u64) {
        self.written += n;
        if let Some(control) = &self.options.control {
            control.record(self.written);
        }
        self.hint_writeback();
    }

    pub fn cancelled(&self) -> bool {
        self.options.cancelled()
    }

    /// Will the scratch be fsynced before its rename?
    pub fn syncs(&self) -> bool {
        self.options.durability.syncs_file()
    }

    /// Give up: remove the scratch and report `failure`.
    pub fn fail(self, failure: FsFailure) -> PublishError {
        self.scratch.discard(failure).into()
    }

    /// Give up without a file-system failure (an abort, a failed source).
    pub fn abandon(self) -> Option<std::path::PathBuf> {
        self.scratch.remove()
    }

    /// Give up with `error` (an abort, a mismatch); if the scratch cannot be removed, the
    /// error says which file was left behind.
    pub fn give_up(self, error: PublishError) -> PublishError {
        match self.scratch.remove() {
            Some(scratch) => PublishError::LeftBehind {
                cause: Box::new(error),
                scratch,
            },
            None => error,
        }
    }

    /// Verify, stamp, fsync and rename, then wait until the rename is durable. `known_hash`
    /// is the digest when the caller already hashed the bytes (a one-shot write hashes
    /// before it touches the disk).
    pub fn finish(self, known_hash: Option<u128>) -> Result<Published, PublishError> {
        self.seal_verified(known_hash)?.rename()?.make_durable()
    }

    /// Everything up to the rename: the hash check, the abort check, the mtime and the file
    /// fsync. On failure the scratch is gone.
    pub fn seal_verified(self, known_hash: Option<u128>) -> Result<Sealed, PublishError> {
        // An abort is reported as the abort, whatever else would have failed after it.
        if self.options.cancelled() {
            return Err(self.give_up(PublishError::Aborted));
        }
        let actual = known_hash.or_else(|| self.hasher.as_ref().map(Hasher::digest));
        if let (Some(expected), Some(actual)) = (self.options.expected_hash, actual) {
            if expected != actual {
                return Err(self.give_up(PublishError::HashMismatch { expected, actual }));
            }
        }
        if let Err(error) = self.seal() {
            return Err(match error {
                PublishError::Fs(failure) => self.fail(failure),
                other => self.give_up(other),
            });
        }
        Ok(Sealed {
            publisher: self,
            hash: actual,
        })
    }

    /// Ask the kernel to start writing the scratch's bytes out now, without waiting. A batch
    /// does this for every scratch before the first fsync, so that fsync's journal commit
    /// covers them all and the fsyncs after it find their data already on its way.
    pub fn start_writeback(&self) {
        self.scratch.start_writeback();
    }
    /// Everything that must hold of the scratch before it may become the target.
    fn seal(&self) -> Result<(), PublishError> {
        let file = self.scratch.file();
        // A short write must never become a truncated publish: the file holds every byte
        // we were given, or we do not rename it.
        let on_disk = file
            .metadata()
            .map_err(|e| FsFailure::target(e, Syscall::Stat))?
            .len();
        if on_disk != self.written {
            return Err(FsFailure::target(
                io::Error::from(io::ErrorKind::WriteZero),
                Syscall::Write,
            )
            .into());
        }
        // Verified by now (`seal_verified`): only now may the scratch widen or change hands.
        self.scratch
            .finish_attributes(&self.target, &scratch_spec(&self.options).attributes)?;
        if let Some(mtime) = self.options.mtime {
            stamp_mtime(file, mtime)?;
        }
        if self.options.durability.syncs_file() && crate::durability::SCRATCH_FSYNC {
            sys::sync_file(file).map_err(|e| FsFailure::target(e, Syscall::Fsync))?;
        }
        Ok(())
    }
}

/// A publish that has taken its place in call order at a resolved target, before any
/// scratch exists.
pub(crate) struct Entered {
    pub target: ResolvedTarget,
    order_key: FileKey,
    ticket: Arc<Ticket>,
}

impl Entered {
    /// Take the call's place in order (its ticket, if the call did not take it already) and
    /// honour an abort that came first: what comes before the target is resolved.
    pub fn ticket(options: &mut PublishOptions) -> Result<Arc<Ticket>, PublishError> {
        if let Some(asked) = options.mtime.filter(|m| !sys::mtime_fits(m.secs, m.nanos)) {
            return Err(PublishError::MtimeOutOfRange { asked });
        }
        let ticket = options
            .ticket
            .get_or_insert_with(|| Arc::new(Ticket::issue_unchecked(!options.overwrite, None)))
            .clone();
        if options.cancelled() {
            return Err(PublishError::Aborted);
        }
        Ok(ticket)
    }

    /// Bind `ticket` to the resolved `target`, and refuse a no-overwrite publish onto an
    /// existing file before a byte is written.
    pub fn at(
        target: ResolvedTarget,
        ticket: Arc<Ticket>,
        options: &PublishOptions,
    ) -> Result<Self, PublishError> {
        let order_key = target.order_key();
        if options.order_checked_at_commit {
            ticket.enter_unchecked(&order_key, !options.overwrite);
        } else {
            ticket
                .enter(&order_key, !options.overwrite)
                .map_err(|_| PublishError::OrderPending)?;
        }
        if !options.overwrite && target.existing.is_some() {
            // Known to fail at the rename: say so now.
            return Err(
                FsFailure::target(io::ErrorKind::AlreadyExists.into(), Syscall::Rename).into(),
            );
        }
        Ok(Self {
            target,
            order_key,
            ticket,
        })
    }
}

/// How the scratch of a publish with `options` is made.
pub(crate) fn scratch_spec(options: &PublishOptions) -> ScratchSpec {
    ScratchSpec {
        attributes: Attributes {
            mode: options.mode,
            ..options.scratch.attributes
        },
        ..options.scratch
    }
}

/// A publish whose scratch is complete, verified and (at `'file'` durability or more) fsynced,
/// not yet renamed.
pub struct Sealed {
    publisher: Publisher,
    hash: Option<u128>,
}

impl Sealed {
    /// Rename the scratch onto the target, unless a later call has already committed there
    /// (then the scratch is removed and the publish is superseded), or the publish was
    /// cancelled before its rename could begin (then it is aborted).
    pub fn rename(self) -> Result<Renamed, PublishError> {
        let Publisher {
            target,
            order_key,
            ticket,
            scratch,
            written,
            options,
            ..
        } = self.publisher;
        let pending = scratch.into_rename();
        let in_order = retry::rename_in_order(
            &order_key,
            &ticket,
            RenameRules {
                synced: options.durability.syncs_file(),
                exclusive: !options.overwrite,
                budget: options.scratch.retry_budget,
            },
            || options.begin_commit(),
            || pending.attempt(&target, options.overwrite),
        );
        let committed = match in_order {
            Ok(InOrder::Renamed) => {
                pending.keep();
                Ok(())
            }
            Ok(InOrder::Superseded(later)) => {
                let _ = pending.remove();
                Err(later)
            }
            Ok(InOrder::Aborted) => {
                return Err(match pending.remove() {
                    Some(scratch) => PublishError::LeftBehind {
                        cause: Box::new(PublishError::Aborted),
                        scratch,
                    },
                    None => PublishError::Aborted,
                });
            }
            Err(e) => return Err(pending.fail(e).into()),
        };
        // Superseded: these bytes are never renamed. An abort accepted by now is still
        // honoured, since this call publishes nothing of its own.
        if committed.is_err() && !options.begin_commit() {
            return Err(PublishError::Aborted);
        }
        // Bytes that overtook a call of `'file'` durability or more without an fsync of their
        // own: the call may only resolve once they are durable at its level too, so their
        // file is fsynced here (and for `'full'`, the directory after it, as for any rename).
        let sync_target_file =
            options.durability.syncs_file() && matches!(committed, Err(s) if !s.later_synced);
        Ok(Renamed {
            target,
            sync_dir: options.durability.syncs_dir(),
            sync_target_file,
            published: Published {
                bytes: written,
                hash: self.hash,
                superseded: committed.is_err(),
            },
        })
    }
}

/// A publish whose bytes are visible at the target (or that was superseded there), not yet
/// known to survive a power cut.
pub struct Renamed {
    target: ResolvedTarget,
    /// The directory is fsynced after the rename (`'full'` durability).
    sync_dir: bool,
    /// The target's file must be fsynced before this call may resolve (see `Sealed::rename`).
    sync_target_file: bool,
    published: Published,
}

impl Renamed {
    /// The directory whose fsync makes this rename durable, when one is needed.
    pub fn dir_to_sync(&self) -> Option<(&sys::TargetDir, &target::DirId)> {
        self.sync_dir
            .then_some((&self.target.dir_handle, &self.target.dir_id))
    }

    /// Return once the bytes at the target are durable: after a directory fsync that began
    /// after the rename that put them there (shared with concurrent publishes into the same
    /// directory). A superseded publish waits the same way, for the bytes that overtook it.
    pub fn make_durable(self) -> Result<Published, PublishError> {
        let synced = match self.dir_to_sync() {
            Some((dir, id)) => dirsync::sync_after_rename(dir, id),
            None => Ok(()),
        };
        self.settle(synced)
    }

    /// The result once the directory fsync this publish needed has returned `synced`.
    pub fn settle(self, synced: io::Result<()>) -> Result<Published, PublishError> {
        let synced = synced
            .and_then(|()| self.sync_made_dirs())
            .and_then(|()| self.sync_overtaking_bytes());
        synced.map_err(|e| FsFailure {
            published: !self.published.superseded,
            ..FsFailure::target(e, Syscall::Fsync)
        })?;
        Ok(self.published)
    }
}

/// Most a file system may round a stamped time (FAT keeps even seconds); anything further off
/// was clamped to what it can hold.
const MTIME_ROUNDING_SECS: i64 = 2;

/// Stamp `mtime` on `file` and check that the file system kept it: one that cannot hold it
/// (ext4 clamps to 1901–2446) must not publish a silently different time (guarantee 10).
pub(crate) fn stamp_mtime(file: &File, asked: Mtime) -> Result<(), PublishError> {
    let stored = stamp(file, asked)?;
    if stored == (asked.secs, asked.nanos) {
        return Ok(());
    }
    let refused = || PublishError::MtimeNotStorable {
        asked,
        stored: Mtime {
            secs: stored.0,
            nanos: stored.1,
        },
    };
    if stored.0.abs_diff(asked.secs) > MTIME_ROUNDING_SECS as u64 {
        return Err(refused());
    }
    // A little off: the file system's granularity, or a clamp to its first or last second
    // (where Linux also drops the nanoseconds). Stamps two seconds further each way tell them
    // apart: at an edge the outward one lands on the same second, and the inward one shows
    // whether this file system keeps such a time exactly anywhere else. If it does, the time
    // asked was clamped; if not, it was only rounded, as every time on it is.
    let (mut edges, mut kept_inward) = (0, false);
    for step in [-MTIME_ROUNDING_SECS, MTIME_ROUNDING_SECS] {
        let Some(further) = asked
            .secs
            .checked_add(step)
            .map(|secs| Mtime { secs, ..asked })
            .filter(|m| sys::mtime_fits(m.secs, m.nanos))
        else {
            edges += 1;
            continue;
        };
        let probe = stamp(file, further)?;
        if probe.0 == stored.0 {
            edges += 1;
        } else if probe == (further.secs, further.nanos) {
            kept_inward = true;
        }
    }
    if edges == 2 || (edges == 1 && kept_inward) {
        return Err(refused());
    }
    stamp(file, asked).map(drop)
}

/// Set the mtime of `file` and read back what the file system kept, as (seconds, nanoseconds).
fn stamp(file: &File, Mtime { secs, nanos }: Mtime) -> Result<(i64, u32), PublishError> {
    let time = filetime::FileTime::from_unix_time(secs, nanos);
    filetime::set_file_handle_times(file, None, Some(time))
        .map_err(|e| FsFailure::target(e, Syscall::Futime))?;
    let meta = file
        .metadata()
        .map_err(|e| FsFailure::target(e, Syscall::Stat))?;
    let stored = filetime::FileTime::from_last_modification_time(&meta);
    Ok((stored.unix_seconds(), stored.nanoseconds()))
}

impl Renamed {
    /// At `'full'`, fsync the parent of each directory this publish created: without it, a
    /// power cut may keep the new file in a directory whose own entry was never written.
    fn sync_made_dirs(&self) -> io::Result<()> {
        if !self.sync_dir || !sys::DIRECTORY_FSYNC {
            return Ok(());
        }
        for parent in &self.target.made_dirs_in {
            sys::TargetDir::open(parent)?.sync()?;
        }
        Ok(())
    }

    /// Fsync the target's file when bytes that were never fsynced overtook this durable call.
    fn sync_overtaking_bytes(&self) -> io::Result<()> {
        if !self.sync_target_file {
            return Ok(());
        }
        match sys::open_to_sync(&self.target.file) {
            Ok(file) => sys::sync_file(&file),
            // Removed meanwhile: there are no bytes left to make durable.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
#[path = "publish_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "publish_more_tests.rs"]
mod more_tests;

#[cfg(all(test, unix))]
#[path = "publish_world_tests.rs"]
mod world_tests;

#[cfg(all(test, target_os = "linux"))]
#[path = "publish_security_tests.rs"]
mod security_tests;

#[cfg(all(test, target_os = "macos"))]
#[path = "publish_macos_tests.rs"]
mod macos_tests;
