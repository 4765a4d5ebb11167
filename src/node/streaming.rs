//! `NativeSink`: the native end of `stream()`. Each push is one libuv work item that writes
//! one chunk; the wrapper keeps at most two chunks in flight, so no pool thread ever waits on
//! another and memory stays bounded whatever the size of the stream.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Uint8Array};
use napi::{Env, Result};
use napi_derive::napi;

use super::control::NativeControl;
use super::outcome::{NativeOutcome, NativePublishConfig};
use super::paths::to_path;
use super::pool::OnPool;
use crate::stream::StreamPublish;

pub type Shared = Arc<Mutex<StreamPublish>>;

fn lock(state: &Shared) -> MutexGuard<'_, StreamPublish> {
    // A panic while holding the lock cannot leave the stream half-updated in a way that
    // matters: every step either completes or closes the stream.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One stream publish. Dropping it (the JS object collected) without a commit removes the
/// scratch, so an abandoned stream never publishes.
#[napi]
pub struct NativeSink {
    state: Shared,
}

#[napi]
impl NativeSink {
    /// Nothing touches the disk until the first push (or the commit of an empty stream).
    #[napi(constructor)]
    pub fn new(
        env: Env,
        target: Either<String, Buffer>,
        config: NativePublishConfig,
        control: Option<&NativeControl>,
    ) -> Result<Self> {
        let target = to_path(target)?;
        let mut options = config.to_options(&env, &target)?;
        if let Some(control) = control {
            control.attach(&mut options);
        }
        // Its scratch is filled chunk by chunk before it can commit: checked then.
        options.order_checked_at_commit = true;
        Ok(Self {
            state: Arc::new(Mutex::new(StreamPublish::new(target, options))),
        })
    }

    /// Write one chunk on the thread pool; resolves with the bytes written so far.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn push(&self, chunk: Uint8Array) -> AsyncTask<SinkStep> {
        self.step(Action::Push(chunk))
    }

    /// Create the scratch before any chunk, on the thread pool (then `scratchPath()` names it).
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn begin(&self) -> AsyncTask<SinkStep> {
        self.step(Action::Begin)
    }

    /// The scratch's path once it exists (after `begin()` or a push), until the stream ends.
    /// Not to be called while a step runs: it would wait for that step.
    #[napi]
    pub fn scratch_path(&self) -> Option<String> {
        let stream = lock(&self.state);
        stream
            .scratch_path()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// The explicit end of the stream: verify, stamp, fsync, rename, fsync the directory.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn commit(&self) -> AsyncTask<SinkStep> {
        self.step(Action::Commit)
    }

    /// Give up and remove the scratch, on the thread pool.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn abort(&self) -> AsyncTask<SinkStep> {
        self.step(Action::Abort)
    }
}

impl NativeSink {
    fn step(&self, action: Action) -> AsyncTask<SinkStep> {
        AsyncTask::new(OnPool::new((self.state.clone(), action), run_step))
    }
}

pub enum Action {
    /// The chunk is the caller's memory, referenced until the step is dropped (on the JS thread).
    Push(Uint8Array),
    Begin,
    Commit,
    Abort,
}

pub type SinkStep = OnPool<(Shared, Action), NativeOutcome>;

fn run_step((state, action): &mut (Shared, Action)) -> NativeOutcome {
    let mut stream = lock(state);
    match action {
        Action::Push(chunk) => match stream.push(chunk) {
            Ok(total) => NativeOutcome::success(total, None),
            Err(e) => NativeOutcome::from_publish(Err(e)),
        },
        Action::Begin => match stream.begin() {
            Ok(()) => NativeOutcome::success(0, None),
            Err(e) => NativeOutcome::from_publish(Err(e)),
        },
        Action::Commit => NativeOutcome::from_publish(stream.commit()),
        Action::Abort => NativeOutcome::abandoned(stream.abort()),
    }
}
