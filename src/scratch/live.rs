//! The scratch files of this process's publishes that are still in flight.
//!
//! `sweep_orphans` must never take one of them (it looks them up by key), and an ending
//! JavaScript environment removes its own (by path): a worker thread that ends removes the
//! scratch files of its publishes and touches no other thread's, while an exiting process
//! removes them all. An entry lives exactly as long as its [`LiveEntry`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::target::FileKey;

/// Who started a publish: one number per JavaScript environment (0 for none).
pub type Owner = u64;

type LiveSet = HashMap<FileKey, (PathBuf, Owner)>;

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

/// Remove the in-flight scratch files of `owner`'s publishes, or with `None` every one of
/// them (a process about to exit). Returns how many were removed. A publish still running
/// afterwards fails at its rename.
pub fn remove_live_scratch(owner: Option<Owner>) -> usize {
    live_set()
        .values()
        .filter(|(_, of)| owner.is_none_or(|o| o == *of))
        .filter(|(path, _)| std::fs::remove_file(path).is_ok())
        .count()
}

/// Membership in the live set, for as long as the scratch exists.
pub struct LiveEntry(FileKey);

impl LiveEntry {
    /// Enter the scratch called `key` at `path`, started by `owner`.
    pub fn enter(key: FileKey, path: PathBuf, owner: Owner) -> Self {
        live_set().insert(key.clone(), (path, owner));
        Self(key)
    }
}

impl Drop for LiveEntry {
    fn drop(&mut self) {
        live_set().remove(&self.0);
    }
}
