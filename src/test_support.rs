//! Helpers shared by the unit tests.

use std::ffi::OsString;
use std::path::Path;

/// The names in `dir`, sorted: what a test compares against the files it expects.
pub fn names_in(dir: &Path) -> Vec<OsString> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    names
}

/// 200 000 bytes of a counting pattern: larger than one read, different in every word.
pub fn payload_200k() -> Vec<u8> {
    (0..50_000u32).flat_map(u32::to_le_bytes).collect()
}
