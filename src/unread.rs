//! Large writes straight from the caller's memory, which the core itself never reads.
//!
//! JavaScript may transfer, shrink or rewrite a buffer while its write waits for the pool, so
//! a read of it in user space could crash or hash other bytes than it writes (guarantee 12).
//! Here only the kernel reads it, through `pwrite`, which fails with EFAULT where a read of
//! ours would fault. What the scratch received is then read back from the page cache and
//! hashed on a second thread while the next piece is written: `withHash` and `result.hash`
//! describe the bytes in the file, whatever the caller did to its buffer meanwhile.
//!
//! A mismatched write must touch nothing on disk (guarantee 3), and here the bytes can only be
//! checked once written. So the scratch is made without a name (`scratch::Unnamed`) and
//! linked under its scratch name only once its bytes match. Where that cannot be done (not
//! Linux, no O_TMPFILE on the file system, a scratch to keep on failure), [`fill_unread`]
//! returns `None` and the caller copies the bytes into memory of its own and writes them the
//! usual way (`write.rs`).
//!
//! A target whose directories are still to be made gets its scratch in the nearest directory
//! above it that exists (the new ones will be inside it, on its file system): a mismatch must
//! not leave them either, and removing them again is no answer, since another publish may be
//! about to link its own scratch into one. They are made only once the bytes match, by the
//! same rules as any publish (`target::prepare`), and the scratch is linked into its own
//! directory then. Should a file made there get other attributes than the one made above (a
//! directory made meanwhile by someone else, set-group-id or with its own default ACL), or sit
//! on another file system (one mounted there meanwhile: EXDEV), or should a target have
//! appeared meanwhile, the bytes are copied in the kernel into a scratch made there, as any
//! publish makes it, and checked again.
//!
//! Measured against that copy, 256 MiB verified: see docs/guarantees.md, guarantee 12.

use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::errors::{FsFailure, PublishError, Syscall};
use crate::hash;
use crate::order::Ticket;
use crate::publish::{scratch_spec, Entered, PublishOptions, Published, Publisher};
use crate::scratch::{Scratch, Unnamed};
use crate::sys;
use crate::target;

/// Largest single `pwrite`: between two pieces a cancel is honoured, progress shows, and the
/// piece just written is handed to the hashing thread.
const PIECE: usize = 16 << 20;

/// An address range of the caller's memory: never read in user space, only handed to the
/// kernel, which checks it on every call.
#[derive(Debug, Clone, Copy)]
pub struct CallerMemory {
    addr: usize,
    len: usize,
}

impl CallerMemory {
    pub fn new(addr: usize, len: usize) -> Self {
        Self { addr, len }
    }
}

/// Write the bytes of `data` for `target` without reading them in user space (see the
/// module's note) into an unnamed scratch, read them back and check them. Nothing is visible
/// yet. `None`: not possible here, nothing was done; copy the bytes and publish them with
/// `write` instead. A runtime whose memory may be freed meanwhile (a
/// transferred ArrayBuffer) checks that it was not before [`Filled::publish`]: had it been,
/// the kernel may have read someone else's bytes, and [`Filled::discard`] drops them unseen.
pub fn fill_unread(
    target: &Path,
    data: CallerMemory,
    options: PublishOptions,
) -> Option<Result<Filled, PublishError>> {
    fill_where_possible(target, data, options).transpose()
}

fn fill_where_possible(
    target: &Path,
    data: CallerMemory,
    mut options: PublishOptions,
) -> Result<Option<Filled>, PublishError> {
    let ticket = Entered::ticket(&mut options)?;
    let spec = scratch_spec(&options);
    let (place, unnamed) = match target::prepare_in_place(target)? {
        Some(resolved) => {
            let entered = Entered::at(resolved, ticket, &options)?;
            let Some(unnamed) = Unnamed::create(&entered.target, &spec)? else {
                return Ok(None);
            };
            (Place::Resolved(Box::new(entered)), unnamed)
        }
        None => {
            let Some(above) = target::nearest_existing_dir(target)? else {
                return Ok(None);
            };
            let Ok(filled_in) = sys::new_file_traits(&above) else {
                return Ok(None);
            };
            let Some(unnamed) = Unnamed::create_in(&above, None, &spec)? else {
                return Ok(None);
            };
            let to_make = Place::DirsToMake {
                target: target.to_path_buf(),
                ticket,
                filled_in,
            };
            (to_make, unnamed)
        }
    };
    fill_and_check(place, unnamed, data, options).map(Some)
}

/// Where filled bytes go: a target resolved before the fill, or one whose directories are made
/// only once the bytes match (the scratch waits in the nearest one that exists, which gives new
/// files `filled_in`).
enum Place {
    Resolved(Box<Entered>),
    DirsToMake {
        target: PathBuf,
        ticket: Arc<Ticket>,
        filled_in: sys::NewFileTraits,
    },
}

/// A large write whose bytes are in its unnamed scratch and match, not yet published.
pub struct Filled {
    place: Place,
    unnamed: Unnamed,
    written: u64,
    digest: u128,
    options: PublishOptions,
}

impl Filled {
    pub fn bytes(&self) -> u64 {
        self.written
    }

    pub fn digest(&self) -> u128 {
        self.digest
    }

    /// Name the scratch and publish it: the usual protocol from here (see `publish.rs`).
    pub fn publish(self) -> Result<Published, PublishError> {
        self.publish_synced_by(sys::sync_file)
    }

    /// [`Filled::publish`], with `sync` as the fsync of the still unnamed scratch.
    ///
    /// At a level that fsyncs at all, the bytes are made durable before the scratch has a
    /// name, so a power cut before the rename never leaves a named, half-written scratch: only
    /// an unnamed inode, which the file system frees. After the link the scratch is fsynced
    /// again by the usual seal (`publish.rs`): btrfs may not persist the data of a file fsynced
    /// while it had no name, and that second fsync also makes its name and stamp durable.
    fn publish_synced_by(
        self,
        sync: impl FnOnce(&std::fs::File) -> std::io::Result<()>,
    ) -> Result<Published, PublishError> {
        let Self {
            place,
            unnamed,
            written,
            digest,
            options,
        } = self;
        if options.cancelled() {
            return Err(PublishError::Aborted);
        }
        if options.durability.syncs_file() && crate::durability::SCRATCH_FSYNC {
            // On failure the unnamed scratch goes with its descriptor: nothing was ever seen.
            sync(unnamed.file()).map_err(|e| FsFailure::target(e, Syscall::Fsync))?;
        }
        // An fsync can take seconds, and an abort or an ending environment met during it has
        // rejected the call already: nothing may be named or made after that. The unnamed
        // scratch goes with its descriptor.
        if options.cancelled() || crate::scratch::has_ended(options.owner) {
            return Err(PublishError::Aborted);
        }
        let entered = match place {
            Place::Resolved(entered) => *entered,
            Place::DirsToMake {
                target,
                ticket,
                filled_in,
            } => {
                let entered = Entered::at(target::prepare(&target)?, ticket, &options)?;
                // Unreadable traits count as different: copying is always right. So does a
                // target made meanwhile: the scratch was made with a new file's mode, and a
                // replace's starts owner-only (`scratch::attributes`).
                let there = sys::new_file_traits(&entered.target.dir_handle);
                if there.ok().as_ref() != Some(&filled_in) || entered.target.existing.is_some() {
                    return publish_copied(entered, unnamed, digest, options);
                }
                entered
            }
        };
        match unnamed.name_or_give_back(&entered.target, options.owner)? {
            Ok(scratch) => {
                Publisher::with_scratch(entered, scratch, written, options).finish(Some(digest))
            }
            Err((unnamed, _)) => publish_copied(entered, unnamed, digest, options),
        }
    }

    /// Drop the bytes unseen: the unnamed scratch goes with its descriptor.
    pub fn discard(self) {}
}

/// The filled bytes cannot be linked where they must go (see the module's note): copy them
/// in the kernel into a scratch made there, as any publish makes it, and publish that, hashed
/// again from what it holds and checked against `digest`.
fn publish_copied(
    entered: Entered,
    unnamed: Unnamed,
    digest: u128,
    mut options: PublishOptions,
) -> Result<Published, PublishError> {
    options.expected_hash = Some(digest);
    let scratch = Scratch::create(&entered.target, &scratch_spec(&options), options.owner)?;
    let mut publisher = Publisher::with_scratch(entered, scratch, 0, options).hashing();
    let mut readback = vec![0u8; hash::FILE_CHUNK];
    let mut source = unnamed.file();
    let copied = publisher.append_through(
        |into| {
            source
                .seek(SeekFrom::Start(0))
                .and_then(|_| std::io::copy(&mut source, into))
                .map_err(|e| FsFailure::target(e, Syscall::Write))
        },
        &mut readback,
    );
    if let Err(failure) = copied {
        return Err(publisher.fail(failure));
    }
    publisher.finish(None)
}

fn fill_and_check(
    place: Place,
    unnamed: Unnamed,
    data: CallerMemory,
    options: PublishOptions,
) -> Result<Filled, PublishError> {
    let reader = unnamed
        .file()
        .try_clone()
        .map_err(|e| FsFailure::target(e, Syscall::Open))?;
    let (filled, digest) =
        hash::hash_beside(reader, |landed| fill(&unnamed, data, &options, landed));
    filled?;
    let digest = digest.map_err(|e| FsFailure::target(e, Syscall::Read))?;
    // Checked before the scratch has a name: a mismatch drops a file no one could see.
    if let Some(expected) = options.expected_hash.filter(|&e| e != digest) {
        return Err(PublishError::HashMismatch {
            expected,
            actual: digest,
        });
    }
    Ok(Filled {
        place,
        unnamed,
        written: data.len as u64,
        digest,
        options,
    })
}

/// Write all of `data` into the unnamed scratch a piece at a time, telling `landed` of each.
fn fill(
    unnamed: &Unnamed,
    data: CallerMemory,
    options: &PublishOptions,
    landed: &mut dyn FnMut(u64, u64),
) -> Result<(), PublishError> {
    let mut at = 0usize;
    while at < data.len {
        if options.cancelled() {
            return Err(PublishError::Aborted);
        }
        let n = PIECE.min(data.len - at);
        sys::write_all_from(unnamed.file(), data.addr + at, n, at as u64)
            .map_err(|e| FsFailure::target(e, Syscall::Write))?;
        landed(at as u64, n as u64);
        if options.durability.syncs_file() {
            sys::start_writeback_of(unnamed.file(), at as u64, n as u64);
        }
        at += n;
        if let Some(control) = &options.control {
            control.record(at as u64);
        }
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
#[path = "unread_tests.rs"]
mod tests;

#[cfg(all(test, target_os = "linux"))]
#[path = "unread_dirs_tests.rs"]
mod dirs_tests;

#[cfg(all(test, target_os = "linux"))]
#[path = "unread_meanwhile_tests.rs"]
mod meanwhile_tests;
