//! `write`, `copyFrom` and their sync twins: one libuv work item per publish, doing the whole
//! sequence (no round trip to JavaScript between steps).

use std::path::PathBuf;

use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi::{Env, Result, Task};
use napi_derive::napi;

use super::control::NativeControl;
use super::outcome::{NativeOutcome, NativePublishConfig};
use crate::publish::{self, PublishOptions};

pub struct WriteTask {
    target: PathBuf,
    /// A reference to the caller's bytes, not a copy; held until the task is dropped, which
    /// N-API does on the JS thread.
    data: Uint8Array,
    options: PublishOptions,
}

impl Task for WriteTask {
    type Output = NativeOutcome;
    type JsValue = NativeOutcome;

    fn compute(&mut self) -> Result<NativeOutcome> {
        let result = publish::write(&self.target, &self.data, self.options.clone());
        Ok(NativeOutcome::from_publish(result))
    }

    fn resolve(&mut self, _env: Env, output: NativeOutcome) -> Result<NativeOutcome> {
        Ok(output)
    }
}

/// Publish `data` at `target` on the thread pool.
#[napi(ts_return_type = "Promise<NativeOutcome>")]
pub fn publish_bytes(
    target: String,
    data: Uint8Array,
    config: NativePublishConfig,
    control: Option<&NativeControl>,
) -> Result<AsyncTask<WriteTask>> {
    Ok(AsyncTask::new(WriteTask {
        target: target.into(),
        data,
        options: with_control(&config, control)?,
    }))
}

/// Publish `data` at `target` on the calling thread.
#[napi]
pub fn publish_bytes_sync(
    target: String,
    data: &[u8],
    config: NativePublishConfig,
) -> Result<NativeOutcome> {
    let result = publish::write(target.as_ref(), data, config.to_options()?);
    Ok(NativeOutcome::from_publish(result))
}

pub struct CopyTask {
    source: PathBuf,
    target: PathBuf,
    options: PublishOptions,
}

impl Task for CopyTask {
    type Output = NativeOutcome;
    type JsValue = NativeOutcome;

    fn compute(&mut self) -> Result<NativeOutcome> {
        let result = publish::copy_from(&self.source, &self.target, self.options.clone());
        Ok(NativeOutcome::from_publish(result))
    }

    fn resolve(&mut self, _env: Env, output: NativeOutcome) -> Result<NativeOutcome> {
        Ok(output)
    }
}

/// Publish a copy of `source` at `target` on the thread pool.
#[napi(ts_return_type = "Promise<NativeOutcome>")]
pub fn copy_file(
    source: String,
    target: String,
    config: NativePublishConfig,
    control: Option<&NativeControl>,
) -> Result<AsyncTask<CopyTask>> {
    Ok(AsyncTask::new(CopyTask {
        source: source.into(),
        target: target.into(),
        options: with_control(&config, control)?,
    }))
}

/// Publish a copy of `source` at `target` on the calling thread.
#[napi]
pub fn copy_file_sync(
    source: String,
    target: String,
    config: NativePublishConfig,
) -> Result<NativeOutcome> {
    let result = publish::copy_from(source.as_ref(), target.as_ref(), config.to_options()?);
    Ok(NativeOutcome::from_publish(result))
}

fn with_control(
    config: &NativePublishConfig,
    control: Option<&NativeControl>,
) -> Result<PublishOptions> {
    let mut options = config.to_options()?;
    if let Some(control) = control {
        control.attach(&mut options);
    }
    Ok(options)
}
