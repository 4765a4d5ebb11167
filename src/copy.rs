//! Publishing a copy of a file: the kernel moves the bytes (`copy_file_range`, which shares
//! extents where the file system can reflink), never a user-space buffer.
//!
//! A verified copy hashes what landed in the scratch, read back piece by piece while it is
//! still in the page cache, not what the source held when it was read: a source rewritten
//! during the copy either still yields the expected bytes or is refused with a hash mismatch,
//! and the bytes renamed are always the bytes that matched. Hashing the source beside the
//! copy could not prove that without reading the scratch as well.
//!
//! Measured (1 GiB, cached source, ext4, contenders interleaved, median of 5, load 3 on 2
//! cores): hashing each piece on a second thread while the next is copied 0.97× of
//! `copyFile` + fsync + rename, the same read-back in line with the copy 0.80×, an unverified
//! kernel copy 0.93×; reading the source through a buffer to hash and write it 0.25×. Once the
//! publisher started writeback every 8 MiB (`Publisher::advance`), 1.65× (median of 3, load
//! 1.4): the disk then writes while the copy runs, where `copyFile` leaves it all to its fsync.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::errors::{self, FsFailure, PublishError, Subject, Syscall};
use crate::hash;
use crate::publish::{PublishOptions, Published, Publisher};
use crate::retry;
use crate::sys;

/// Piece size of a kernel copy: between two pieces a cancel is honoured and progress shows,
/// and a verified copy hashes the piece it just wrote.
const KERNEL_COPY_PIECE: u64 = 16 << 20;

/// Publish a copy of the file `src` at `target`. The source is opened first, so a missing
/// source leaves nothing on disk. With an expected hash, the copy is verified as it lands in
/// the scratch (see the module's note) and the result carries the hash; without one it
/// carries none.
///
/// Only regular files and FIFOs (a shell's `<(cmd)`) are sources: a device or socket is
/// refused before anything is written (`/dev/zero` would fill the disk). The type is looked
/// at before the open, since opening a device can act on it (a tape rewinds), and again on
/// the open descriptor, in case the name was swapped between the two.
pub fn copy_from(
    src: &Path,
    target: &Path,
    mut options: PublishOptions,
) -> Result<Published, PublishError> {
    // Before the source is opened: a call held back must not have taken a FIFO's data.
    crate::publish::enter_early(target, &mut options)?;
    if let Ok(meta) = std::fs::metadata(src) {
        check_source_kind(&meta)?;
    }
    let source =
        retry::open(|| sys::open_source(src)).map_err(|e| FsFailure::source(e, Syscall::Open))?;
    // Before any read: a console or a pipe would block a read that nothing can cancel.
    if let Some(kind) = sys::device_kind(&source) {
        return Err(FsFailure::wrong_file_type(Subject::Source, kind).into());
    }
    let meta = source
        .metadata()
        .map_err(|e| FsFailure::source(e, Syscall::Stat))?;
    check_source_kind(&meta)?;
    // As libuv takes it: from the open source, so a name swapped meanwhile cannot widen it.
    options.scratch.attributes.at_most = Some(sys::mode_bits(&meta));
    let source = Source {
        file: source,
        fifo_stop: sys::is_fifo(&meta).then(|| cancel_probe(&options)),
    };
    if let Some(cancelled) = &source.fifo_stop {
        // Nothing on disk until the writer has come: one that never does leaves no scratch.
        let ready = sys::wait_readable(&source.file, cancelled)
            .map_err(|e| FsFailure::source(e, Syscall::Read))?;
        if !ready {
            return Err(PublishError::Aborted);
        }
    }
    let hashing = options.expected_hash.is_some();
    let beside = hashing && sys::READ_AT_KEEPS_CURSOR && std::env::var("AP_COPY_SERIAL").is_err();
    let mut publisher = Publisher::begin(target, options, hashing && !beside)?;
    if beside {
        return copy_hashing_beside(&source, publisher);
    }
    let mut readback = if hashing {
        vec![0u8; hash::FILE_CHUNK]
    } else {
        Vec::new()
    };
    match copy_pieces(&source, &mut publisher, &mut readback, &mut |_, _| {}) {
        Ok(()) => publisher.finish(None),
        Err(stop) => Err(stop.give_up(publisher)),
    }
}

/// A copy's source. A FIFO (on Linux opened not to block) is read in user space with waits
/// that heed a cancel; a file is copied by the kernel.
struct Source {
    file: File,
    /// For a FIFO: says when its waits are to give up (a cancel, the process ending).
    fifo_stop: Option<Box<dyn Fn() -> bool + Send + Sync>>,
}

/// Whether the publish `options` describe has been cancelled (or the process is ending),
/// askable from anywhere.
fn cancel_probe(options: &PublishOptions) -> Box<dyn Fn() -> bool + Send + Sync> {
    let control = options.control.clone();
    Box::new(move || crate::waits::ended() || control.as_ref().is_some_and(|c| c.is_cancelled()))
}

/// Why a copy stopped before the end of its source.
enum Stop {
    Aborted,
    Failed(FsFailure),
}

impl Stop {
    fn give_up(self, publisher: Publisher) -> PublishError {
        match self {
            Stop::Aborted => publisher.give_up(PublishError::Aborted),
            Stop::Failed(failure) => publisher.fail(failure),
        }
    }
}

/// Copy all of `source` into the scratch a piece at a time, honouring a cancel between
/// pieces; `landed(offset, len)` hears of every piece once it is in the scratch.
fn copy_pieces(
    source: &Source,
    publisher: &mut Publisher,
    readback: &mut [u8],
    landed: &mut dyn FnMut(u64, u64),
) -> Result<(), Stop> {
    let mut buf = Vec::new();
    loop {
        if publisher.cancelled() {
            return Err(Stop::Aborted);
        }
        let start = publisher.bytes_written();
        let n = publisher
            .append_through(
                |scratch| match &source.fifo_stop {
                    Some(cancelled) => fifo_copy(
                        &source.file,
                        scratch,
                        KERNEL_COPY_PIECE,
                        cancelled,
                        &mut buf,
                    ),
                    None => kernel_copy(&source.file, scratch, KERNEL_COPY_PIECE),
                },
                readback,
            )
            .map_err(Stop::Failed)?;
        landed(start, n);
        // A short piece is the end of the source, or a FIFO's wait given up (for a cancel, or
        // because the process is ending): that is never an end to publish.
        if n < KERNEL_COPY_PIECE {
            let given_up = source.fifo_stop.as_ref().is_some_and(|probe| probe());
            return if given_up || publisher.cancelled() {
                Err(Stop::Aborted)
            } else {
                Ok(())
            };
        }
    }
}

/// A verified copy whose read-back runs on a second thread: each piece is hashed from the
/// scratch while the kernel copies the next (see `hash::hash_beside`).
fn copy_hashing_beside(
    source: &Source,
    mut publisher: Publisher,
) -> Result<Published, PublishError> {
    let reader = match publisher.scratch_file().try_clone() {
        Ok(reader) => reader,
        Err(e) => return Err(publisher.fail(FsFailure::target(e, Syscall::Open))),
    };
    let (copied, digest) = hash::hash_beside(reader, |landed| {
        copy_pieces(source, &mut publisher, &mut [], landed)
    });
    if let Err(stop) = copied {
        return Err(stop.give_up(publisher));
    }
    match digest {
        Ok(digest) => publisher.finish(Some(digest)),
        Err(e) => Err(publisher.fail(FsFailure::target(e, Syscall::Read))),
    }
}

/// Up to `most` bytes of a FIFO to `scratch`'s position, through `buf`; fewer only at the end
/// or once `cancelled` says so (each read waits in slices that ask it).
fn fifo_copy(
    source: &File,
    scratch: &mut File,
    most: u64,
    cancelled: &dyn Fn() -> bool,
    buf: &mut Vec<u8>,
) -> Result<u64, FsFailure> {
    buf.resize(hash::FILE_CHUNK, 0);
    let mut copied = 0u64;
    while copied < most {
        let room = usize::try_from(most - copied).map_or(buf.len(), |r| r.min(buf.len()));
        let n = match sys::read_waiting(source, &mut buf[..room], cancelled) {
            Ok(Some(0) | None) => break,
            Ok(Some(n)) => n,
            Err(e) => return Err(FsFailure::source(e, Syscall::Read)),
        };
        io::Write::write_all(scratch, &buf[..n])
            .map_err(|e| FsFailure::target(e, Syscall::Write))?;
        copied += n as u64;
    }
    Ok(copied)
}

/// Up to `most` bytes from `source`'s position to `scratch`'s; fewer only at the source's end.
/// io::copy lets the kernel move them (copy_file_range, else splice or sendfile) where it can.
fn kernel_copy(source: &File, scratch: &mut File, most: u64) -> Result<u64, FsFailure> {
    io::copy(&mut source.take(most), scratch).map_err(|e| {
        // io::copy does not say which side failed; the errno does.
        if is_write_side(&e) {
            FsFailure::target(e, Syscall::Write)
        } else {
            FsFailure::source(e, Syscall::Read)
        }
    })
}

fn check_source_kind(meta: &std::fs::Metadata) -> Result<(), FsFailure> {
    if meta.is_dir() {
        return Err(FsFailure::source(errors::is_a_directory(), Syscall::Read));
    }
    if meta.is_file() || sys::is_fifo(meta) {
        return Ok(());
    }
    Err(FsFailure::wrong_file_type(
        Subject::Source,
        sys::file_kind(meta),
    ))
}

/// Errors that only the destination of a copy produces.
fn is_write_side(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::StorageFull
            | io::ErrorKind::WriteZero
            | io::ErrorKind::QuotaExceeded
            | io::ErrorKind::ReadOnlyFilesystem
            | io::ErrorKind::FileTooLarge
    )
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod tests;
