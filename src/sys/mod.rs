//! Everything the core does differently per platform, in one place.
//!
//! Shaped like Rust's std and mio: `unix.rs` and `windows.rs` each provide the same set of
//! functions, constants and types, and the rest of the crate calls them without a `cfg` of its
//! own. Reading `windows.rs` beside `unix.rs` shows everything Windows does differently:
//!
//! - errno naming: libuv's names and numbers, from the platform's own error codes;
//! - transient failures worth a retry (descriptor shortage; sharing violations on Windows);
//! - directory identity (device and inode, or the canonical path);
//! - how a new scratch is created, named, written, hinted for writeback, fsynced and renamed,
//!   and whether it can first be made without a name (Linux's O_TMPFILE);
//! - whether a directory can and must be fsynced after a rename;
//! - how a mode and an owner carry over to the new file, and its ACL and extended attributes;
//! - the descriptor limit that bounds how many scratch files may be open at once.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

#[cfg(unix)]
mod unix_dir;
#[cfg(unix)]
pub use unix_dir::TargetDir;
#[cfg(unix)]
mod unix_protected;
#[cfg(unix)]
pub use unix_protected::{check_link_followable, check_replaceable};
#[cfg(windows)]
mod windows_delete;
#[cfg(windows)]
pub use windows_delete::remove_file;
#[cfg(windows)]
mod windows_dir;
#[cfg(windows)]
mod windows_rename;
#[cfg(windows)]
mod windows_security;
#[cfg(windows)]
pub use windows_dir::{check_link_followable, check_replaceable, TargetDir};
#[cfg(windows)]
pub use windows_security::carry_to_scratch as carry_security;

// Unnamed scratch files (O_TMPFILE), and writes from memory only the kernel reads: Linux only.
#[cfg(target_os = "linux")]
mod linux_unnamed;
#[cfg(target_os = "linux")]
pub use linux_unnamed::{
    create_unnamed, link_unnamed, new_file_traits, write_all_from, NewFileTraits,
};
#[cfg(not(target_os = "linux"))]
mod no_unnamed;
#[cfg(not(target_os = "linux"))]
pub use no_unnamed::{
    create_unnamed, link_unnamed, new_file_traits, write_all_from, NewFileTraits,
};

// A replace keeps the old file's ACL and extended attributes: POSIX ACLs and xattrs on Linux,
// extended ACLs, xattrs and the resource fork on macOS, each read from the old file's
// descriptor and written to the scratch's. Which macOS attributes are carried, and which
// refusals fail the publish, are pure rules tested on every Unix.
#[cfg(target_os = "linux")]
mod linux_xattr;
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
mod unix_xattr_common;
#[cfg(target_os = "linux")]
pub use linux_xattr::carry_extended_attributes;
#[cfg(target_vendor = "apple")]
mod macos_create;
#[cfg(target_vendor = "apple")]
mod macos_xattr;
#[cfg(target_vendor = "apple")]
pub use macos_xattr::carry_extended_attributes;
#[cfg(any(target_vendor = "apple", all(test, unix)))]
mod macos_attr_rules;

/// Elsewhere the new file takes no attribute list from the old one.
#[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
pub fn carry_extended_attributes(
    _file: &std::fs::File,
    _dir: &TargetDir,
    _name: &std::ffi::OsStr,
    _old: &std::fs::Metadata,
) -> std::io::Result<bool> {
    Ok(false)
}

// The directory walk of a sweep, apart: it is the largest part that differs.
#[cfg(unix)]
mod unix_sweep;
#[cfg(unix)]
pub use unix_sweep::SweepDir;
#[cfg(windows)]
mod windows_sweep;

// The directory stage: built through descriptors on Unix, refused on Windows.
#[cfg(unix)]
mod unix_stage;
#[cfg(unix)]
pub use unix_stage::{
    directories_supported, entry_kind, exchange, is_link_or_file, not_a_directory, remove_tree,
    remove_tree_by_path, rename_dir_noreplace, sync_file_system, syncs_file_system, StageDir,
};
#[cfg(windows)]
mod windows_stage;
#[cfg(windows)]
pub use windows_stage::{
    directories_supported, entry_kind, exchange, is_link_or_file, not_a_directory, remove_tree,
    remove_tree_by_path, rename_dir_noreplace, sync_file_system, syncs_file_system, StageDir,
};
#[cfg(windows)]
pub use windows_sweep::SweepDir;

// The versioned directory layout (a link to a version tree): Unix only, as directories are.
#[cfg(unix)]
pub mod unix_versions;

/// What a directory entry says it is, links not followed. `Unknown` where the file system
/// does not say (DT_UNKNOWN): only opening it can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Directory,
    Unknown,
    Other,
}

/// Compiled for tests everywhere, so the table is unit-tested where the tests run.
#[cfg(any(windows, test))]
mod windows_errors;

// Signal clean-up for a process whose main thread never loads the package (only workers do):
// a native handler on Linux and macOS. Windows has no such signals: a console's Ctrl+C or
// close ends a process whose main thread has no JavaScript listener without running any
// clean-up, and `sweepOrphans` removes what is left.
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
mod unix_signals;
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
pub use unix_signals::{guard_signals, rearm_signal_guard};

/// Elsewhere there is nothing to guard.
#[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
pub fn guard_signals(_clean_up: fn(), _in_flight: fn() -> bool) {}

#[cfg(not(any(target_os = "linux", target_vendor = "apple")))]
pub fn rearm_signal_guard() {}

// How a directory's file system compares names: the call-order key folds them the same way.
mod name_folding;
pub use name_folding::name_folding;
#[cfg(any(windows, test))]
mod windows_time;
