//! `NativeBatch`: several small writes handed to the thread pool as one task (see `batch`).
//! The wrapper fills a batch while the pool is busy with earlier ones, then runs it.

use std::path::PathBuf;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Uint8Array};
use napi::{Env, Result};
use napi_derive::napi;

use super::control::NativeControl;
use super::outcome::{NativeOutcome, NativePublishConfig};
use super::paths::to_path;
use super::pool::OnPool;
use crate::batch::{self, WriteJob};
use crate::publish::PublishOptions;

type Jobs = Vec<(PathBuf, Uint8Array, PublishOptions)>;

#[napi]
#[derive(Default)]
pub struct NativeBatch {
    jobs: Jobs,
}

#[napi]
impl NativeBatch {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a write; its place in call order is the one its control took at the call.
    #[napi]
    pub fn add(
        &mut self,
        env: Env,
        target: Either<String, Buffer>,
        data: Uint8Array,
        config: NativePublishConfig,
        control: &NativeControl,
    ) -> Result<()> {
        let target = to_path(target)?;
        let mut options = config.to_options(&env, &target)?;
        control.attach(&mut options);
        self.jobs.push((target, data, options));
        Ok(())
    }

    /// Publish every write added so far, on the thread pool; outcomes in the order added.
    #[napi(ts_return_type = "Promise<NativeOutcome[]>")]
    pub fn run(&mut self) -> AsyncTask<OnPool<Jobs, Vec<NativeOutcome>>> {
        AsyncTask::new(OnPool::new(std::mem::take(&mut self.jobs), |jobs| {
            let jobs = jobs
                .iter()
                .map(|(target, data, options)| WriteJob {
                    target,
                    data,
                    options: options.clone(),
                })
                .collect();
            batch::write_batch(jobs)
                .into_iter()
                .map(NativeOutcome::from_publish)
                .collect()
        }))
    }
}
