//! XXH3-128 for JavaScript: one-shot, files (sync and on the pool) and incremental.

use std::path::PathBuf;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Uint8Array};
use napi::Result;
use napi_derive::napi;

use super::outcome::{describe_fs, NativeOutcome};
use super::paths::to_path;
use super::pool::OnPool;
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

/// XXH3-128 of `data` on the thread pool (for buffers too large to hash on the JS thread).
#[napi(ts_return_type = "Promise<string>")]
pub fn hash_bytes(data: Uint8Array) -> AsyncTask<OnPool<Uint8Array, String>> {
    AsyncTask::new(OnPool::new(data, |data| hash::to_hex(hash::digest(data))))
}

fn hash_file_outcome(path: &std::path::Path) -> NativeOutcome {
    match hash::hash_file(path) {
        Ok((digest, bytes)) => NativeOutcome::success(bytes, Some(digest)),
        Err(f) => NativeOutcome::failed(describe_fs(f)),
    }
}

/// XXH3-128 of a file's contents, read on the thread pool.
#[napi(ts_return_type = "Promise<NativeOutcome>")]
pub fn hash_file(
    path: Either<String, Buffer>,
) -> Result<AsyncTask<OnPool<PathBuf, NativeOutcome>>> {
    Ok(AsyncTask::new(OnPool::new(to_path(path)?, |path| {
        hash_file_outcome(path)
    })))
}

/// XXH3-128 of a file's contents, read on the calling thread.
#[napi(catch_unwind)]
pub fn hash_file_sync(path: Either<String, Buffer>) -> Result<NativeOutcome> {
    Ok(hash_file_outcome(&to_path(path)?))
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
