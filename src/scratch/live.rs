//! The scratch files of this process's publishes that are still in flight.
//!
//! `sweep_orphans` must never take one of them (it looks them up by key), and a process about
//! to exit removes them (by path). An entry lives exactly as long as its [`LiveEntry`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::target::FileKey;

type LiveSet = HashMap<FileKey, PathBuf>;

fn live_set() -> MutexGuard<'static, LiveSet> {
    static LIVE: OnceLock<Mutex<LiveSet>> = OnceLock::new();
    LIVE.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Is this the scratch of a publish of this process still in flight?
pub fn is_live(key: &FileKey) -> bool {
    live_set().contains_key(key)
}

/// Remove every in-flight scratch of this process, for a process that is about to exit.
/// Returns how many were removed. A publish still running afterwards fails at its rename.
pub fn remove_live_scratch() -> usize {
    live_set()
        .values()
        .filter(|path| std::fs::remove_file(path).is_ok())
        .count()
}

/// Membership in the live set, for as long as the scratch exists.
pub struct LiveEntry(FileKey);

impl LiveEntry {
    /// Enter the scratch called `key` at `path`.
    pub fn enter(key: FileKey, path: PathBuf) -> Self {
        live_set().insert(key.clone(), path);
        Self(key)
    }
}

impl Drop for LiveEntry {
    fn drop(&mut self) {
        live_set().remove(&self.0);
    }
}
