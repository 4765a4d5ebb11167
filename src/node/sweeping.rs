//! `sweepOrphans` on the thread pool.

use std::path::PathBuf;
use std::time::Duration;

use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use super::outcome::{describe_fs, NativeFailure};
use super::pool::OnPool;
use crate::sweep::{sweep_orphans, SweepOptions};

#[napi(object)]
pub struct NativeSweepConfig {
    pub older_than_ms: f64,
    pub recursive: bool,
    pub dry_run: bool,
}

#[napi(object)]
pub struct NativeSweepOutcome {
    pub removed: Vec<String>,
    pub failure: Option<NativeFailure>,
}

fn sweep_outcome((dir, options): &mut (PathBuf, SweepOptions)) -> NativeSweepOutcome {
    match sweep_orphans(dir, options) {
        Ok(paths) => NativeSweepOutcome {
            removed: paths
                .into_iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            failure: None,
        },
        Err(f) => NativeSweepOutcome {
            removed: Vec::new(),
            failure: Some(describe_fs(f)),
        },
    }
}

/// Remove orphaned scratch files under `dir` on the thread pool.
#[napi(ts_return_type = "Promise<NativeSweepOutcome>")]
pub fn sweep(
    dir: String,
    config: NativeSweepConfig,
) -> AsyncTask<OnPool<(PathBuf, SweepOptions), NativeSweepOutcome>> {
    let options = SweepOptions {
        // The wrapper refuses out-of-range ages; whatever still gets here must not panic.
        older_than: Duration::try_from_secs_f64(config.older_than_ms.max(0.0) / 1000.0)
            .unwrap_or(Duration::MAX),
        recursive: config.recursive,
        dry_run: config.dry_run,
    };
    AsyncTask::new(OnPool::new((PathBuf::from(dir), options), sweep_outcome))
}
