//! Filling one staged file: written, hashed, verified, given its mode and mtime.
//!
//! A staged file needs no scratch of its own: the whole stage is the scratch, invisible until
//! the exchange. So it is created under its final name inside the stage (exclusively, never
//! through a link), and what a file publish does to its scratch is done to it: the bytes are
//! hashed (in memory before the disk is touched, or read back from the file for a copy, so the
//! digest is of what the stage holds), the mode is set once the bytes are checked, and the
//! mtime is stamped after the last write.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::errors::{FsFailure, PublishError, Syscall};
use crate::hash::{self, Hasher};
use crate::options::Mtime;
use crate::sys;

/// What a caller may set for one staged file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryOptions {
    /// XXH3-128 the bytes must have; a mismatch fails the whole stage.
    pub expected_hash: Option<u128>,
    pub mtime: Option<Mtime>,
    /// Exact permission bits; without, 0666 less the umask, as `fs.writeFile` makes a file.
    pub mode: Option<u32>,
}

/// Piece size of a copy through user space (it is hashed as it goes).
const COPY_PIECE: usize = hash::FILE_CHUNK;

/// Where a staged file's bytes come from.
pub enum Source<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
    Reader(&'a mut dyn Read),
}

impl Source<'_> {
    /// The digest, where it is known before the disk is touched (bytes in memory).
    pub fn digest_first(&self) -> Option<u128> {
        match self {
            Source::Bytes(data) => Some(hash::digest(data)),
            _ => None,
        }
    }

    /// Open a file source before anything is made, so a missing one leaves nothing.
    pub fn open(&mut self) -> Result<Option<File>, PublishError> {
        let Source::File(path) = self else {
            return Ok(None);
        };
        let file = sys::open_source(path).map_err(|e| FsFailure::source(e, Syscall::Open))?;
        let meta = file
            .metadata()
            .map_err(|e| FsFailure::source(e, Syscall::Stat))?;
        if !meta.is_file() {
            return Err(FsFailure::wrong_file_type(
                crate::errors::Subject::Source,
                sys::file_kind(&meta),
            )
            .into());
        }
        Ok(Some(file))
    }
}

/// Write everything `source` (or the opened `source_file`) yields into `file`; returns the
/// size and the digest of what was written. `progress` hears the bytes of each piece.
pub fn fill(
    file: &File,
    source: Source<'_>,
    source_file: Option<File>,
    progress: &dyn Fn(u64),
    cancelled: &dyn Fn() -> bool,
) -> Result<(u64, u128), PublishError> {
    let mut hasher = Hasher::new();
    let mut written = 0u64;
    let mut put = |piece: &[u8], hasher: &mut Hasher| -> Result<(), PublishError> {
        if cancelled() {
            return Err(PublishError::Aborted);
        }
        sys::write_all_at(file, piece, written)
            .map_err(|e| FsFailure::target(e, Syscall::Write))?;
        hasher.update(piece);
        written += piece.len() as u64;
        progress(piece.len() as u64);
        Ok(())
    };
    match (source, source_file) {
        (Source::Bytes(data), _) => {
            for piece in data.chunks(64 << 20) {
                put(piece, &mut hasher)?;
            }
        }
        (Source::File(_), Some(mut from)) => {
            read_all(&mut from, &mut |p, h| put(p, h), &mut hasher)?
        }
        (Source::Reader(from), _) => read_all(from, &mut |p, h| put(p, h), &mut hasher)?,
        (Source::File(_), None) => unreachable!("a file source is opened first"),
    }
    // A short write must never become a truncated publish.
    let on_disk = file
        .metadata()
        .map_err(|e| FsFailure::target(e, Syscall::Stat))?
        .len();
    if on_disk != written {
        return Err(FsFailure::target(io::ErrorKind::WriteZero.into(), Syscall::Write).into());
    }
    Ok((written, hasher.digest()))
}

type Put<'a> = dyn FnMut(&[u8], &mut Hasher) -> Result<(), PublishError> + 'a;

fn read_all<R: Read + ?Sized>(
    from: &mut R,
    put: &mut Put<'_>,
    hasher: &mut Hasher,
) -> Result<(), PublishError> {
    let mut buf = vec![0u8; COPY_PIECE];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => put(&buf[..n], hasher)?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FsFailure::source(e, Syscall::Read).into()),
        }
    }
}

/// Once the bytes are verified: the exact mode, then the mtime (after the last write).
pub fn finish(file: &File, options: &EntryOptions) -> Result<(), PublishError> {
    if let Some(bits) = options.mode {
        sys::set_mode_bits(file, bits).map_err(|e| FsFailure::target(e, Syscall::Fchmod))?;
    }
    if let Some(mtime) = options.mtime {
        crate::publish::stamp_mtime(file, mtime)?;
    }
    Ok(())
}
