//! Batches of small writes: one thread-pool task publishes several at once.
//!
//! Each publish in a batch follows the whole protocol on its own (its scratch is fsynced
//! before its rename, its directory after it) and fails on its own. What the batch changes is
//! the order of the steps across publishes: every scratch is filled before any is fsynced,
//! and every rename is done before any directory is fsynced. So the first fsync's journal
//! commit carries the others' data with it, and one directory fsync covers every rename of
//! the batch into that directory. Under load that turns two journal commits per publish into
//! about two per batch; a batch of one is exactly a single publish.

use std::path::Path;

use crate::errors::{PublishError, SharedIoError};
use crate::publish::{self, PublishOptions, Published, Renamed};
use crate::target::DirId;

/// One publish of a batch.
pub struct WriteJob<'a> {
    pub target: &'a Path,
    pub data: &'a [u8],
    pub options: PublishOptions,
}

/// Publish every job; the results are in the jobs' order.
pub fn write_batch(jobs: Vec<WriteJob<'_>>) -> Vec<Result<Published, PublishError>> {
    let batched = jobs.len() > 1;
    let filled: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let started = publish::start_write(job.target, job.data, job.options);
            if let Ok((publisher, _)) = &started {
                if batched && publisher.syncs() {
                    publisher.start_writeback();
                }
            }
            started
        })
        .collect();
    let sealed: Vec<_> = filled
        .into_iter()
        .map(|started| started.and_then(|(publisher, hash)| publisher.seal_verified(Some(hash))))
        .collect();
    let renamed: Vec<_> = sealed
        .into_iter()
        .map(|sealed| sealed.and_then(|s| s.rename()))
        .collect();
    let mut dir_syncs = DirSyncs::default();
    renamed
        .into_iter()
        .map(|renamed| renamed.and_then(|r| dir_syncs.settle(r)))
        .collect()
}

/// One directory fsync per directory of the batch, its result shared by all renames there.
#[derive(Default)]
struct DirSyncs {
    done: Vec<(DirId, Result<(), SharedIoError>)>,
}

impl DirSyncs {
    fn settle(&mut self, renamed: Renamed) -> Result<Published, PublishError> {
        let Some((dir, id)) = renamed.dir_to_sync() else {
            return renamed.settle(Ok(()));
        };
        let result = match self.done.iter().find(|(done, _)| done == id) {
            Some((_, result)) => *result,
            None => {
                // Every rename of the batch into `dir` is done by now, so this one fsync
                // (begun after all of them) makes them all durable.
                let result =
                    crate::dirsync::sync_after_rename(dir, id).map_err(|e| SharedIoError::of(&e));
                self.done.push((id.clone(), result));
                result
            }
        };
        renamed.settle(result.map_err(SharedIoError::to_io))
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
