//! How scratch files are named: `<basename>.oxentmp.<random>`, beside the target.

use std::ffi::{OsStr, OsString};

use crate::sys;

/// The fixed infix of every scratch name. Sweeping orphans matches exactly this shape, so it
/// lives in one place.
pub const SCRATCH_INFIX: &str = ".oxentmp.";

/// Random characters after the infix: 62^10 names, so an exclusive create practically never
/// has to retry.
pub const RANDOM_LEN: usize = 10;

/// The longest file name most file systems take: 255 (bytes on Linux, UTF-16 units on Windows;
/// `sys::truncate_file_name` counts in the platform's unit).
const NAME_MAX: usize = 255;

/// The name of a scratch for the file called `file_name`, up to the random part: the target's
/// name, shortened when the whole scratch name would be longer than a file name may be (a
/// target whose name is valid must not fail with ENAMETOOLONG because of its scratch).
pub fn scratch_prefix(file_name: &OsStr) -> OsString {
    let mut prefix =
        sys::truncate_file_name(file_name, NAME_MAX - SCRATCH_INFIX.len() - RANDOM_LEN);
    prefix.push(SCRATCH_INFIX);
    prefix
}

/// Is `name` shaped like one of our scratch files?
pub fn is_scratch_name(name: &str) -> bool {
    match name.rfind(SCRATCH_INFIX) {
        Some(at) if at > 0 => {
            let random = &name[at + SCRATCH_INFIX.len()..];
            random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        _ => false,
    }
}
