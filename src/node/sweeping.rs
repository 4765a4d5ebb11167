//! `sweepOrphans` on the thread pool.

use std::path::PathBuf;
use std::time::Duration;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either};
use napi_derive::napi;

use super::outcome::{describe_fs, NativeFailure};
use super::paths::to_path;
use super::pool::OnPool;
use crate::sweep::{sweep_orphans, SweepOptions};

#[napi(object)]
pub struct NativeSweepConfig {
    pub older_than_ms: f64,
    pub recursive: bool,
    pub dry_run: bool,
    /// Remove the versions of versioned targets beyond this many.
    pub kept_versions: Option<u32>,
}

/// A subdirectory or entry the sweep could not look into or remove.
#[napi(object)]
pub struct NativeSweepFailure {
    pub path: Either<String, Buffer>,
    pub failure: NativeFailure,
}

#[napi(object)]
pub struct NativeSweepOutcome {
    /// Each path as text where it is UTF-8, else its exact bytes.
    pub removed: Vec<Either<String, Buffer>>,
    pub failures: Vec<NativeSweepFailure>,
    /// The swept directory itself could not be read: nothing was done.
    pub failure: Option<NativeFailure>,
}

/// A path for JavaScript: text where it is UTF-8, otherwise its bytes, so the caller can
/// still name exactly that file.
fn exact(path: PathBuf) -> Either<String, Buffer> {
    match path.into_os_string().into_string() {
        Ok(text) => Either::A(text),
        Err(raw) => Either::B(raw.into_encoded_bytes().into()),
    }
}

fn sweep_outcome((dir, options): &mut (PathBuf, SweepOptions)) -> NativeSweepOutcome {
    match sweep_orphans(dir, options) {
        Ok(report) => NativeSweepOutcome {
            removed: report.removed.into_iter().map(exact).collect(),
            failures: report
                .failures
                .into_iter()
                .map(|(path, failure)| NativeSweepFailure {
                    path: exact(path),
                    failure: describe_fs(failure),
                })
                .collect(),
            failure: None,
        },
        Err(f) => NativeSweepOutcome {
            removed: Vec::new(),
            failures: Vec::new(),
            failure: Some(describe_fs(f)),
        },
    }
}

/// Remove orphaned scratch files under `dir` on the thread pool.
#[napi(ts_return_type = "Promise<NativeSweepOutcome>")]
pub fn sweep(
    dir: Either<String, Buffer>,
    config: NativeSweepConfig,
) -> napi::Result<AsyncTask<OnPool<(PathBuf, SweepOptions), NativeSweepOutcome>>> {
    let options = SweepOptions {
        // The wrapper refuses out-of-range ages; whatever still gets here must not panic.
        older_than: Duration::try_from_secs_f64(config.older_than_ms.max(0.0) / 1000.0)
            .unwrap_or(Duration::MAX),
        recursive: config.recursive,
        dry_run: config.dry_run,
        kept_versions: config.kept_versions,
    };
    Ok(AsyncTask::new(OnPool::new(
        (to_path(dir)?, options),
        sweep_outcome,
    )))
}
