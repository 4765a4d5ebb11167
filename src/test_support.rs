//! What the unit tests share.

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

/// Assert that `result` is a hash mismatch reporting exactly these two hashes.
pub fn assert_mismatch<T: std::fmt::Debug>(
    result: Result<T, crate::errors::PublishError>,
    want_expected: u128,
    want_actual: u128,
) {
    match result {
        Err(crate::errors::PublishError::HashMismatch { expected, actual }) => {
            assert_eq!(expected, want_expected);
            assert_eq!(actual, want_actual);
        }
        other => panic!("expected HashMismatch, got {other:?}"),
    }
}

/// Options that expect `expected` as the XXH3-128 of the published bytes.
pub fn with_hash(expected: u128) -> crate::publish::PublishOptions {
    crate::publish::PublishOptions {
        expected_hash: Some(expected),
        ..Default::default()
    }
}

/// Options whose control was cancelled before the publish began.
pub fn cancelled_options() -> crate::publish::PublishOptions {
    let control = std::sync::Arc::new(crate::publish::Control::default());
    control.cancel();
    crate::publish::PublishOptions {
        control: Some(control),
        ..Default::default()
    }
}

/// What a file system keeps of an mtime's `nanos`: Windows counts 100 ns intervals (FILETIME),
/// so the nanoseconds below 100 are cut; elsewhere all of them.
pub fn kept_nanos(nanos: u32) -> u32 {
    if cfg!(windows) {
        nanos / 100 * 100
    } else {
        nanos
    }
}

/// Wine 8 deletes a file that is still open only when its last handle closes, its name taken
/// until then; Windows 10 (1903 and later, on NTFS) frees the name at once, as POSIX does.
pub const WINE_KEEPS_DELETED_NAMES: &str =
    "Wine keeps the name of a file deleted while open until its last handle closes \
     (Windows frees it at once)";

/// Whether a test meets a gap of Wine's rather than Windows' behaviour, under Wine
/// (`scripts/run-wine.sh --rust` sets ATOMIC_PUBLISH_UNDER_WINE=1): if so, it says why on
/// stderr (the runner shows it) and the caller returns without checking anything.
pub fn skipped_under_wine(why: &str) -> bool {
    let under_wine = std::env::var_os("ATOMIC_PUBLISH_UNDER_WINE").is_some_and(|v| v == "1");
    if under_wine {
        eprintln!("skipped under Wine: {why}");
    }
    under_wine
}
