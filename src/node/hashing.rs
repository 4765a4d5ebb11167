//! XXH3-128 for JavaScript: one-shot, files (sync and on the pool) and incremental.

use std::path::PathBuf;

use napi::bindgen_prelude::{AsyncTask, Either, Uint8Array};
use napi::{Env, Result, Task};
use napi_derive::napi;

use super::outcome::{describe_fs, NativeOutcome};
use crate::hash::{self, Hasher};

fn bytes_of<'a>(data: &'a Either<String, &[u8]>) -> &'a [u8] {
    match data {
        Either::A(text) => text.as_bytes(),
        Either::B(bytes) => bytes,
    }
}

/// XXH3-128 of `data` (a string is hashed as UTF-8), in its canonical text form.
#[napi(js_name = "xxh3_128")]
pub fn xxh3_128(data: Either<String, &[u8]>) -> String {
    hash::to_hex(hash::digest(bytes_of(&data)))
}

pub struct HashBytesTask {
    /// Referenced, not copied; released on the JS thread when the task is dropped.
    data: Uint8Array,
}

impl Task for HashBytesTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        Ok(hash::to_hex(hash::digest(&self.data)))
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// XXH3-128 of `data` on the thread pool (for buffers too large to hash on the JS thread).
#[napi(ts_return_type = "Promise<string>")]
pub fn hash_bytes(data: Uint8Array) -> AsyncTask<HashBytesTask> {
    AsyncTask::new(HashBytesTask { data })
}

fn hash_file_outcome(path: &std::path::Path) -> NativeOutcome {
    match hash::hash_file(path) {
        Ok((digest, bytes)) => NativeOutcome::success(bytes, Some(digest)),
        Err(f) => NativeOutcome::failed(describe_fs(f)),
    }
}

pub struct HashFileTask {
    path: PathBuf,
}

impl Task for HashFileTask {
    type Output = NativeOutcome;
    type JsValue = NativeOutcome;

    fn compute(&mut self) -> Result<NativeOutcome> {
        Ok(hash_file_outcome(&self.path))
    }

    fn resolve(&mut self, _env: Env, output: NativeOutcome) -> Result<NativeOutcome> {
        Ok(output)
    }
}

/// XXH3-128 of a file's contents, read on the thread pool.
#[napi(ts_return_type = "Promise<NativeOutcome>")]
pub fn hash_file(path: String) -> AsyncTask<HashFileTask> {
    AsyncTask::new(HashFileTask { path: path.into() })
}

/// XXH3-128 of a file's contents, read on the calling thread.
#[napi]
pub fn hash_file_sync(path: String) -> NativeOutcome {
    hash_file_outcome(path.as_ref())
}

/// An incremental XXH3-128.
#[napi]
pub struct NativeHasher {
    inner: Hasher,
}

#[napi]
impl NativeHasher {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            inner: Hasher::new(),
        }
    }

    #[napi]
    pub fn update(&mut self, data: Either<String, &[u8]>) {
        self.inner.update(bytes_of(&data));
    }

    /// The digest of everything so far; the hasher can keep going.
    #[napi]
    pub fn digest(&self) -> String {
        hash::to_hex(self.inner.digest())
    }
}
