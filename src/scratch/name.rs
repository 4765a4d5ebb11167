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

/// The longest random part a sweep takes: writers use anywhere from liboxen's 6 (tempfile's
/// default) to our [`RANDOM_LEN`], and other writers other lengths within this bound.
pub const MAX_RANDOM_LEN: usize = 64;

/// Is `name` a scratch name: `<name>.oxentmp.<random>`, `<name>` not empty and `<random>`
/// 1 to [`MAX_RANDOM_LEN`] ASCII letters and digits? Matched on the name's bytes, so names
/// that are not UTF-8 are recognised too. `<random>` holds no dot, so the last infix is the one.
pub fn is_scratch_name(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    let infix = SCRATCH_INFIX.as_bytes();
    let Some(at) = bytes.windows(infix.len()).rposition(|w| w == infix) else {
        return false;
    };
    let random = &bytes[at + infix.len()..];
    at > 0
        && (1..=MAX_RANDOM_LEN).contains(&random.len())
        && random.iter().all(u8::is_ascii_alphanumeric)
}

/// A fresh name under which a sweep moves a candidate aside for a moment (see
/// `sys::SweepDir`). It is scratch-shaped, so a file left there by a sweeper killed at that
/// moment is an orphan the next sweep finds, by the same rules of age and lock as any other.
/// Its random part (`S` and 20 characters) is longer than the [`RANDOM_LEN`] our writers use,
/// so no writer of ours makes it, and random so that no other process can guess it.
pub fn sweep_aside_name() -> OsString {
    use std::hash::{BuildHasher, RandomState};
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // RandomState is keyed from the operating system's randomness; two draws give 128 bits.
    let keys = RandomState::new();
    let mut bits = u128::from(keys.hash_one(1u8)) << 64 | u128::from(keys.hash_one(2u8));
    let mut name = format!(".sweep{SCRATCH_INFIX}S");
    for _ in 0..20 {
        name.push(char::from(ALPHABET[(bits % 62) as usize]));
        bits /= 62;
    }
    OsString::from(name)
}

/// `len` random ASCII letters and digits, from the operating system's randomness: the
/// random part of a stage directory's name (made by `mkdir`, which has no builder of its own).
pub fn random_part(len: usize) -> String {
    use std::hash::{BuildHasher, RandomState};
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let keys = RandomState::new();
    let mut bits = u128::from(keys.hash_one(1u8)) << 64 | u128::from(keys.hash_one(2u8));
    (0..len)
        .map(|_| {
            let c = char::from(ALPHABET[(bits % 62) as usize]);
            bits /= 62;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_writers_random_length_from_1_to_64_letters_and_digits_is_a_scratch_name() {
        for random in ["x", "Ab3dE6", "AbCdEf1234", &"Z9".repeat(32)] {
            let name = format!("data.json{SCRATCH_INFIX}{random}");
            assert!(is_scratch_name(OsStr::new(&name)), "{name}");
        }
        assert!(is_scratch_name(OsStr::new("a.oxentmp.b.oxentmp.c")));
    }

    #[test]
    fn look_alikes_are_not_scratch_names() {
        for name in [
            format!("data{SCRATCH_INFIX}{}", "a".repeat(65)),
            "data.oxentmp.".into(),
            ".oxentmp.Ab3dE6".into(),
            "data.oxentmp.Ab3-E6".into(),
            "data.oxentmp.Ab3dE\u{e9}".into(),
            "data.oxentmp.Ab.E6".into(),
            "data.oxentmpAb3dE6".into(),
            "data".into(),
        ] {
            assert!(!is_scratch_name(OsStr::new(&name)), "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_matched_on_its_bytes() {
        use std::os::unix::ffi::OsStrExt;
        assert!(is_scratch_name(OsStr::from_bytes(
            b"n\xe9.txt.oxentmp.Ab3dE6"
        )));
        assert!(!is_scratch_name(OsStr::from_bytes(b"n.oxentmp.Ab3d\xe9")));
    }

    #[test]
    fn a_sweeps_aside_name_is_a_scratch_name_no_writer_of_ours_makes() {
        let names: Vec<OsString> = (0..100).map(|_| sweep_aside_name()).collect();
        for aside in &names {
            assert!(is_scratch_name(aside), "{aside:?}");
            let random = aside.to_str().unwrap().rsplit('.').next().unwrap();
            assert!(random.len() > RANDOM_LEN, "{aside:?}");
        }
        let distinct: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "each name is fresh");
    }

    #[test]
    fn our_own_names_are_scratch_names() {
        let mut name = scratch_prefix(OsStr::new("t"));
        name.push("A".repeat(RANDOM_LEN));
        assert!(is_scratch_name(&name));
    }
}
