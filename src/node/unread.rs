//! `NativeUnreadWrite`: a large write from the caller's memory, in two steps (see `unread.rs`).
//!
//! `fill()` writes the bytes into an unnamed scratch and checks them, on the pool. JavaScript
//! then confirms that its buffer was neither detached nor shrunk meanwhile: a transferred
//! ArrayBuffer can be freed and its memory given to another allocation, whose bytes the kernel
//! would have read. Only then does `finish(true)` name and publish the scratch; `finish(false)`
//! drops it unseen.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{AsyncTask, Buffer, Either};
use napi::{Env, Result};
use napi_derive::napi;

use super::control::NativeControl;
use super::outcome::{NativeOutcome, NativePublishConfig};
use super::paths::to_path;
use super::pool::OnPool;
use super::publishing::with_control;
use crate::errors::PublishError;
use crate::publish::{fill_unread, CallerMemory, Filled, PublishOptions};

/// Where the write is: not begun, filled and awaiting `finish`, or over.
pub enum Stage {
    Ready(PathBuf, CallerMemory, PublishOptions),
    Filled(Box<Filled>),
    Done,
}

pub type Shared = Arc<Mutex<Stage>>;

fn take(stage: &Shared) -> Stage {
    let mut stage = stage
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    std::mem::replace(&mut *stage, Stage::Done)
}

#[napi]
pub struct NativeUnreadWrite {
    stage: Shared,
}

#[napi]
impl NativeUnreadWrite {
    /// The address and length of `data` are taken now, at the call; JavaScript keeps `data`
    /// referenced until the write has settled.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        target: Either<String, Buffer>,
        data: &[u8],
        config: NativePublishConfig,
        control: Option<&NativeControl>,
    ) -> Result<Self> {
        let memory = CallerMemory::new(data.as_ptr() as usize, data.len());
        let target = to_path(target)?;
        let options = with_control(&env, &config, control, &target)?;
        let ready = Stage::Ready(target, memory, options);
        Ok(Self {
            stage: Arc::new(Mutex::new(ready)),
        })
    }

    /// Write and check the bytes, unseen. `null`: not possible here, nothing done (copy the
    /// bytes instead); a failure: the publish is over; otherwise the bytes and their hash,
    /// awaiting `finish`.
    #[napi(ts_return_type = "Promise<NativeOutcome | null>")]
    pub fn fill(&self) -> AsyncTask<OnPool<Shared, Option<NativeOutcome>>> {
        AsyncTask::new(OnPool::new(self.stage.clone(), |stage| {
            let Stage::Ready(target, memory, options) = take(stage) else {
                return Some(NativeOutcome::from_publish(Err(PublishError::Aborted)));
            };
            match fill_unread(&target, memory, options)? {
                Ok(filled) => {
                    let outcome = NativeOutcome::success(filled.bytes(), Some(filled.digest()));
                    *stage.lock().unwrap_or_else(|p| p.into_inner()) =
                        Stage::Filled(Box::new(filled));
                    Some(outcome)
                }
                Err(e) => Some(NativeOutcome::from_publish(Err(e))),
            }
        }))
    }

    /// Publish the filled bytes (`publish`), or drop them unseen.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn finish(&self, publish: bool) -> AsyncTask<OnPool<(Shared, bool), NativeOutcome>> {
        AsyncTask::new(OnPool::new(
            (self.stage.clone(), publish),
            |(stage, publish)| match take(stage) {
                Stage::Filled(filled) if *publish => NativeOutcome::from_publish(filled.publish()),
                Stage::Filled(filled) => {
                    filled.discard();
                    NativeOutcome::from_publish(Err(PublishError::Aborted))
                }
                _ => NativeOutcome::from_publish(Err(PublishError::Aborted)),
            },
        ))
    }
}
