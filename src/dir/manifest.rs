//! What a directory commit published: every file with its size and XXH3-128, and the totals.

use std::ffi::OsString;

/// One published file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Relative to the target, `/`-separated, as it was staged.
    pub path: OsString,
    pub size: u64,
    pub hash: u128,
}

/// Every file of the published tree, in the byte order of their paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub files: Vec<ManifestEntry>,
    pub total_bytes: u64,
    /// Entries of the old tree that could not be removed after the exchange (left, under a
    /// scratch name, for `sweepOrphans`); empty when the removal was not waited for.
    pub old_tree_left: Vec<std::path::PathBuf>,
}

impl Manifest {
    pub fn new(files: Vec<ManifestEntry>) -> Self {
        let total_bytes = files.iter().map(|f| f.size).sum();
        Self {
            files,
            total_bytes,
            old_tree_left: Vec::new(),
        }
    }
}
