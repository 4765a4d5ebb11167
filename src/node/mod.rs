//! The N-API layer: thin glue from JavaScript to the core.
//!
//! Failures the caller can cause (a missing file, a full disk, a hash mismatch) cross the
//! boundary as *data* in an [`outcome::NativeOutcome`], and the TypeScript wrapper turns them
//! into Node-shaped errors. A native rejection is reserved for bugs: `Task::compute` can only
//! reject with a generic status, which would lose `code`, `errno` and `syscall`.

pub mod batching;
pub mod control;
pub mod directories;
pub mod hashing;
pub mod lifecycle;
pub mod outcome;
pub mod paths;
pub mod pool;
pub mod publishing;
pub mod streaming;
pub mod sweeping;
pub mod unread;
