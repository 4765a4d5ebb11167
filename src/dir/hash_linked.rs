//! Hashing the files an incremental stage linked from the current tree, for the manifest.
//!
//! Each is opened (never through a link), sized and read: four system calls and a hash per
//! file, all of it for files this publish did not write. Spread over a few threads, each
//! taking a run of neighbouring paths so that it opens each directory once.

use std::num::NonZeroUsize;

use super::commit::DirCache;
use super::{fs_err, EntryPath};
use crate::errors::{PublishError, Syscall};
use crate::hash;
use crate::sys::StageDir;

/// At most this many threads, and only for at least this many files each.
const MOST_THREADS: usize = 4;
const FILES_PER_THREAD: usize = 2048;

/// Size and XXH3-128 of each file of `paths` under `root`, in the same order.
pub(super) fn hash_linked(
    root: &StageDir,
    paths: &[&EntryPath],
) -> Result<Vec<(u64, u128)>, PublishError> {
    let threads = std::thread::available_parallelism()
        .map(NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, MOST_THREADS)
        .min(paths.len() / FILES_PER_THREAD)
        .max(1);
    if threads == 1 {
        return hash_run(root, paths);
    }
    let run = paths.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let runs: Vec<_> = paths
            .chunks(run)
            .map(|chunk| scope.spawn(move || hash_run(root, chunk)))
            .collect();
        let mut all = Vec::with_capacity(paths.len());
        for handle in runs {
            all.extend(
                handle
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))?,
            );
        }
        Ok(all)
    })
}

fn hash_run(root: &StageDir, paths: &[&EntryPath]) -> Result<Vec<(u64, u128)>, PublishError> {
    let mut dirs = DirCache::default();
    let mut buf = Vec::new();
    paths
        .iter()
        .map(|path| {
            let file = dirs
                .open(root, path.dirs())
                .and_then(|d| d.open_file(path.name()))
                .map_err(|e| fs_err(e, Syscall::Open))?;
            let len = file.metadata().map_err(|e| fs_err(e, Syscall::Stat))?.len();
            buf.resize(hash::FILE_CHUNK.min(len.max(1) as usize).max(buf.len()), 0);
            let mut hasher = hash::Hasher::new();
            hash::update_from_file(&mut hasher, &file, 0, len, &mut buf)
                .map_err(|e| fs_err(e, Syscall::Read))?;
            Ok((len, hasher.digest()))
        })
        .collect()
}
