//! `write`, `copyFrom` and their sync twins: one libuv work item per publish, doing the whole
//! sequence (no round trip to JavaScript between steps).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Function, Uint8Array, Unknown};
use napi::{Env, Result};
use napi_derive::napi;

use super::control::NativeControl;
use super::outcome::{NativeOutcome, NativePublishConfig};
use super::paths::to_path;
use super::pool::OnPool;
use crate::order::Ticket;
use crate::publish::{self, PublishOptions};

/// Publish `data` at `target` on the thread pool.
#[napi(ts_return_type = "Promise<NativeOutcome>")]
pub fn publish_bytes(
    env: Env,
    target: Either<String, Buffer>,
    data: Uint8Array,
    config: NativePublishConfig,
    control: Option<&NativeControl>,
) -> Result<AsyncTask<OnPool<WriteJob, NativeOutcome>>> {
    // The caller's bytes are referenced, not copied, until the task is dropped.
    let target = to_path(target)?;
    let options = with_control(&env, &config, control, &target)?;
    let job = (target, data, options);
    Ok(AsyncTask::new(OnPool::new(
        job,
        |(target, data, options)| {
            NativeOutcome::from_publish(publish::write(target, data, options.clone()))
        },
    )))
}

type WriteJob = (PathBuf, Uint8Array, PublishOptions);

/// Publish `data` at `target` on the thread pool, from a copy of `data` made now, on the JS
/// thread. For a lone small write: a native copy costs less than a JS buffer and a reference
/// to it, and the pool never reads the caller's memory (guarantee 12). Its place in call
/// order is taken now too, but only where nothing could hold it back (`Ticket::alone`): it
/// has no handle to be submitted again by. `null` otherwise, with nothing taken: the caller
/// takes the queued path.
#[napi(ts_return_type = "Promise<NativeOutcome> | null")]
pub fn publish_copy(
    env: Env,
    target: Either<String, Buffer>,
    data: &[u8],
    config: NativePublishConfig,
) -> Result<Option<AsyncTask<OnPool<CopiedWriteJob, NativeOutcome>>>> {
    let target = to_path(target)?;
    let mut options = config.to_options(&env, &target)?;
    // Not the place `to_options` took: that one would count as an earlier call.
    drop(options.ticket.take());
    let Some(ticket) = Ticket::alone(!options.overwrite, Some(target.clone())) else {
        return Ok(None);
    };
    options.ticket = Some(Arc::new(ticket));
    let job = (target, data.to_vec(), options);
    Ok(Some(AsyncTask::new(OnPool::new(
        job,
        |(target, data, options)| {
            NativeOutcome::from_publish(publish::write(target, data, options.clone()))
        },
    ))))
}

type CopiedWriteJob = (PathBuf, Vec<u8>, PublishOptions);

/// Publish `data` at `target` on the calling thread. `on_scratch` (the compatibility entry's
/// scratch hook) is called with the scratch's path before any byte is written; if it throws,
/// the scratch is removed and its exception is the call's.
#[napi(catch_unwind)]
pub fn publish_bytes_sync(
    env: Env,
    target: Either<String, Buffer>,
    data: &[u8],
    config: NativePublishConfig,
    on_scratch: Option<Function<String, Unknown>>,
) -> Result<NativeOutcome> {
    let target = to_path(target)?;
    let options = sync_options(&env, &config, &target)?;
    let Some(hook) = on_scratch else {
        return Ok(NativeOutcome::from_publish(publish::write(
            &target, data, options,
        )));
    };
    let mut thrown = None;
    let result = publish::write_announced(&target, data, options, |scratch| {
        match hook.call(scratch.to_string_lossy().into_owned()) {
            Ok(_) => true,
            Err(e) => {
                thrown = Some(e);
                false
            }
        }
    });
    match thrown {
        // The hook's own exception is still pending: returning its error rethrows it.
        Some(e) => Err(e),
        None => Ok(NativeOutcome::from_publish(result)),
    }
}

/// Publish a copy of `source` at `target` on the thread pool.
#[napi(ts_return_type = "Promise<NativeOutcome>")]
pub fn copy_file(
    env: Env,
    source: Either<String, Buffer>,
    target: Either<String, Buffer>,
    config: NativePublishConfig,
    control: Option<&NativeControl>,
) -> Result<AsyncTask<OnPool<CopyJob, NativeOutcome>>> {
    let (source, target) = (to_path(source)?, to_path(target)?);
    let options = with_control(&env, &config, control, &target)?;
    let job = (source, target, options);
    Ok(AsyncTask::new(OnPool::new(
        job,
        |(source, target, options)| {
            NativeOutcome::from_publish(publish::copy_from(source, target, options.clone()))
        },
    )))
}

type CopyJob = (PathBuf, PathBuf, PublishOptions);

/// Publish a copy of `source` at `target` on the calling thread.
#[napi(catch_unwind)]
pub fn copy_file_sync(
    env: Env,
    source: Either<String, Buffer>,
    target: Either<String, Buffer>,
    config: NativePublishConfig,
) -> Result<NativeOutcome> {
    let (source, target) = (to_path(source)?, to_path(target)?);
    let result = publish::copy_from(&source, &target, sync_options(&env, &config, &target)?);
    Ok(NativeOutcome::from_publish(result))
}

/// Options for a sync call, which fails where `Ticket::enter` holds it back: it cannot wait.
fn sync_options(env: &Env, config: &NativePublishConfig, target: &Path) -> Result<PublishOptions> {
    config.to_options(env, target)
}

pub(super) fn with_control(
    env: &Env,
    config: &NativePublishConfig,
    control: Option<&NativeControl>,
    target: &Path,
) -> Result<PublishOptions> {
    let mut options = config.to_options(env, target)?;
    if let Some(control) = control {
        control.attach(&mut options);
    }
    Ok(options)
}
