//! One-shot publishes: bytes in memory (hashed before the disk is touched), and readers.

use std::io::{self, Read};
use std::path::Path;

use crate::errors::{FsFailure, PublishError, Syscall};
use crate::hash;
use crate::publish::{PublishOptions, Published, Publisher};

/// Read size for sources that must be read through user space: the size `hash::FILE_CHUNK`
/// measured best at (the plateau starts at 1 MiB; 16 MiB falls off the cache).
const COPY_CHUNK: usize = hash::FILE_CHUNK;

/// Largest single write of in-memory data: big enough that its cost is the disk's, small
/// enough that a cancel waits at most one piece.
const WRITE_PIECE: usize = 64 << 20;

/// Publish `data` at `target`. With an expected hash, the bytes are verified before anything
/// on disk is touched (guarantee 3). They are always hashed: the digest is part of the result.
pub fn write(
    target: &Path,
    data: &[u8],
    options: PublishOptions,
) -> Result<Published, PublishError> {
    let (publisher, hash) = start_write(target, data, options)?;
    publisher.finish(Some(hash))
}

/// The first half of [`write`]: verify `data` against the expected hash, then create the
/// scratch and fill it. Returns the publisher and the digest it will be sealed with.
pub fn start_write(
    target: &Path,
    data: &[u8],
    options: PublishOptions,
) -> Result<(Publisher, u128), PublishError> {
    start_write_announced(target, data, options, |_| true)
}

/// [`write`], calling `announce` with the scratch's path once the scratch exists and before
/// any byte is written (the compatibility entry's `tmpfileCreated`). If it returns false the
/// publish is given up, its scratch removed, and the result is `Aborted`.
pub fn write_announced(
    target: &Path,
    data: &[u8],
    options: PublishOptions,
    announce: impl FnOnce(&Path) -> bool,
) -> Result<Published, PublishError> {
    let (publisher, hash) = start_write_announced(target, data, options, announce)?;
    publisher.finish(Some(hash))
}

fn start_write_announced(
    target: &Path,
    data: &[u8],
    options: PublishOptions,
    announce: impl FnOnce(&Path) -> bool,
) -> Result<(Publisher, u128), PublishError> {
    let actual = hash::digest(data);
    if let Some(expected) = options.expected_hash.filter(|&e| e != actual) {
        return Err(PublishError::HashMismatch { expected, actual });
    }
    let mut publisher = Publisher::begin(target, options, false)?;
    if !announce(publisher.scratch_path()) {
        publisher.abandon();
        return Err(PublishError::Aborted);
    }
    // In pieces, so that an abort of a large write stops it between two of them and its
    // scratch goes soon, rather than after the whole of it is written.
    for piece in data.chunks(WRITE_PIECE) {
        if publisher.cancelled() {
            return Err(publisher.give_up(PublishError::Aborted));
        }
        if let Err(failure) = publisher.append(piece) {
            return Err(publisher.fail(failure));
        }
    }
    Ok((publisher, actual))
}

/// Publish everything `reader` yields, hashing in passing.
pub fn write_from_reader<R: Read + ?Sized>(
    target: &Path,
    reader: &mut R,
    options: PublishOptions,
) -> Result<Published, PublishError> {
    let mut publisher = Publisher::begin(target, options, true)?;
    let mut buf = vec![0u8; COPY_CHUNK];
    loop {
        if publisher.cancelled() {
            return Err(publisher.give_up(PublishError::Aborted));
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(publisher.fail(FsFailure::source(e, Syscall::Read))),
        };
        if let Err(failure) = publisher.append(&buf[..n]) {
            return Err(publisher.fail(failure));
        }
    }
    publisher.finish(None)
}
