//! What the wrapper needs from the process as a whole: clean-up at exit, and how many
//! scratch files it may hold open at once.

use napi_derive::napi;

use crate::scratch::remove_live_scratch;
use crate::sys;

/// Remove the scratch of every publish still in flight; for an exiting process only.
#[napi]
pub fn remove_in_flight_scratch() -> u32 {
    remove_live_scratch() as u32
}

/// How many streams may hold a scratch file open at once: a quarter of the descriptor limit,
/// so the rest of the process keeps its share, within [16, 1024].
#[napi]
pub fn open_scratch_budget() -> u32 {
    (sys::open_file_limit() / 4).clamp(16, 1024) as u32
}
