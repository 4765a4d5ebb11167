//! `sweepOrphans` on the thread pool.

use std::path::PathBuf;
use std::time::Duration;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Result, Task};
use napi_derive::napi;

use super::outcome::{describe_fs, NativeFailure};
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

pub struct SweepTask {
    dir: PathBuf,
    options: SweepOptions,
}

impl Task for SweepTask {
    type Output = NativeSweepOutcome;
    type JsValue = NativeSweepOutcome;

    fn compute(&mut self) -> Result<NativeSweepOutcome> {
        Ok(match sweep_orphans(&self.dir, &self.options) {
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
        })
    }

    fn resolve(&mut self, _env: Env, output: NativeSweepOutcome) -> Result<NativeSweepOutcome> {
        Ok(output)
    }
}

/// Remove orphaned scratch files under `dir` on the thread pool.
#[napi(ts_return_type = "Promise<NativeSweepOutcome>")]
pub fn sweep(dir: String, config: NativeSweepConfig) -> AsyncTask<SweepTask> {
    AsyncTask::new(SweepTask {
        dir: dir.into(),
        options: SweepOptions {
            older_than: Duration::from_secs_f64(config.older_than_ms.max(0.0) / 1000.0),
            recursive: config.recursive,
            dry_run: config.dry_run,
        },
    })
}
