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
