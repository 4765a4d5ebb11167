//! XXH3-128 (seed 0) of buffers and files, and its canonical text form.
//!
//! The text form is the one `xxhsum -H2` prints: the 128-bit value as 32 lowercase hex digits,
//! most significant first. Keeping one spelling everywhere means a hash copied from a shell
//! compares equal to one computed here.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use twox_hash::XxHash3_128;

use crate::errors::{FsFailure, Syscall};

/// Read size for hashing files: large enough to amortise the syscall, small enough to stay
/// in L2 while it is hashed. Measured reading and hashing a cached 1 GiB file (GB/s, three
/// runs): 64 KiB 6.8–8.4, 256 KiB 8.0–9.0, 1 MiB 8.1–10.5, 4 MiB 8.3–10.8, 16 MiB 7.5–8.8.
pub const FILE_CHUNK: usize = 1 << 20;

/// One-shot XXH3-128 of `data`.
pub fn digest(data: &[u8]) -> u128 {
    XxHash3_128::oneshot(data)
}

/// The canonical text form of a hash.
pub fn to_hex(hash: u128) -> String {
    format!("{hash:032x}")
}

/// Parse 1–32 hex digits (either case) into a hash; `None` for anything else.
pub fn from_hex(text: &str) -> Option<u128> {
    if text.is_empty() || text.len() > 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

/// An incremental XXH3-128; chunking never changes the digest.
#[derive(Clone, Default)]
pub struct Hasher(XxHash3_128);

impl Hasher {
    pub fn new() -> Self {
        Self(XxHash3_128::new())
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.write(data);
    }

    pub fn digest(&self) -> u128 {
        self.0.finish_128()
    }
}

/// Feed `len` bytes of `file` from `offset` to `hasher`, read through `buf` with positional
/// reads (on Windows these move the cursor, to the range's end).
pub fn update_from_file(
    hasher: &mut Hasher,
    file: &File,
    offset: u64,
    len: u64,
    buf: &mut [u8],
) -> io::Result<()> {
    let end = offset + len;
    let mut at = offset;
    while at < end {
        let want = buf.len().min((end - at) as usize);
        let piece = &mut buf[..want];
        crate::sys::read_exact_at(file, piece, at)?;
        hasher.update(piece);
        at += piece.len() as u64;
    }
    Ok(())
}

/// Run `fill`, which appends pieces to a file and reports each one, `(offset, len)`, as soon
/// as it is there; a second thread reads every reported piece back through `reader`, a
/// descriptor of that file, while it is still in the page cache, and hashes it, so the hash costs
/// little more than the writing. Returns what `fill` returned and the digest of the pieces
/// read back, which is the digest of what the file holds, whatever its source did meanwhile.
/// Needs positional reads that leave the writer's cursor alone (`sys::READ_AT_KEEPS_CURSOR`).
pub fn hash_beside<T>(
    reader: File,
    fill: impl FnOnce(&mut dyn FnMut(u64, u64)) -> T,
) -> (T, io::Result<u128>) {
    let (pieces, landed) = std::sync::mpsc::channel::<(u64, u64)>();
    std::thread::scope(|scope| {
        let hasher = scope.spawn(move || -> io::Result<u128> {
            let mut hasher = Hasher::new();
            let mut buf = vec![0u8; FILE_CHUNK];
            for (offset, len) in landed {
                update_from_file(&mut hasher, &reader, offset, len, &mut buf)?;
            }
            Ok(hasher.digest())
        });
        // The hasher only stops early on a read error, which the join reports.
        let filled = fill(&mut |offset, len| {
            let _ = pieces.send((offset, len));
        });
        drop(pieces);
        let digest = hasher
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (filled, digest)
    })
}

/// XXH3-128 of a whole file, read in chunks; also says how many bytes it read.
/// A FIFO's writer is waited for in slices that give up when the process ends (`waits.rs`).
pub fn hash_file(path: &Path) -> Result<(u128, u64), FsFailure> {
    let mut file = crate::retry::open(|| crate::sys::open_source(path))
        .map_err(|e| FsFailure::source(e, Syscall::Open))?;
    let fifo = file.metadata().is_ok_and(|m| crate::sys::is_fifo(&m));
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; FILE_CHUNK];
    let mut total = 0u64;
    loop {
        let read = if fifo {
            crate::sys::read_waiting(&file, &mut buf, &crate::waits::ended).and_then(|n| {
                n.ok_or_else(|| io::Error::other("the process is ending; the FIFO was not read"))
            })
        } else {
            file.read(&mut buf)
        };
        match read {
            Ok(0) => return Ok((hasher.digest(), total)),
            Ok(n) => {
                hasher.update(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FsFailure::source(e, Syscall::Read)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The xorshift32 stream (seed 0x12345678) whose prefixes the reference vectors hash.
    fn xorshift_bytes(len: usize) -> Vec<u8> {
        let mut state: u32 = 0x1234_5678;
        let mut out = Vec::with_capacity(len + 4);
        while out.len() < len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            out.extend_from_slice(&state.to_le_bytes());
        }
        out.truncate(len);
        out
    }

    #[test]
    fn text_form_matches_xxhsum_h2() {
        let fox = b"the quick brown fox jumps over the lazy dog";
        assert_eq!(to_hex(digest(fox)), "e9a1932627d7f46d15c21eead63fa21f");
        assert_eq!(to_hex(digest(b"")), "99aa06d3014798d86001c324468d497f");
    }

    #[test]
    fn xorshift_vectors_of_shared_research() {
        let vectors = [
            (1, "71d3b97d97ee075540f22ce7ca17bd07"),
            (17, "e32140781ea3dca9164ab05d2ca80ba8"),
            (241, "2dec667056912bee28a37ff8cfb3e707"),
            (1_048_576, "4089ee3b5656e5502b1f68b67c42f330"),
        ];
        for (len, expected) in vectors {
            assert_eq!(
                to_hex(digest(&xorshift_bytes(len))),
                expected,
                "{len} bytes"
            );
        }
    }

    #[test]
    fn text_form_is_zero_padded() {
        assert_eq!(to_hex(0xab), format!("{}ab", "0".repeat(30)));
    }

    #[test]
    fn from_hex_accepts_1_to_32_digits_in_either_case() {
        assert_eq!(from_hex("AbC"), Some(0xabc));
        assert_eq!(from_hex(&"f".repeat(32)), Some(u128::MAX));
        assert_eq!(from_hex(""), None);
        assert_eq!(from_hex(&"0".repeat(33)), None);
        assert_eq!(from_hex("0x12"), None);
        assert_eq!(from_hex("+12"), None);
    }

    #[test]
    fn streaming_digest_is_independent_of_chunking() {
        let data = xorshift_bytes(100_003);
        let whole = digest(&data);
        for chunk in [1usize, 7, 64, 240, 241, 4096, 65_536] {
            let mut h = Hasher::new();
            data.chunks(chunk).for_each(|c| h.update(c));
            assert_eq!(h.digest(), whole, "chunk size {chunk}");
        }
    }

    #[test]
    fn hash_file_equals_hash_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let data = xorshift_bytes(3 * FILE_CHUNK + 17);
        std::fs::write(&path, &data).unwrap();
        assert_eq!(
            hash_file(&path).unwrap(),
            (digest(&data), data.len() as u64)
        );
    }

    #[test]
    fn hash_file_of_a_missing_file_is_enoent_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let err = hash_file(&dir.path().join("missing")).unwrap_err();
        assert_eq!(err.syscall, Syscall::Open);
        assert_eq!(err.errno().code, "ENOENT");
    }
}
