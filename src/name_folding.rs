//! How a file system compares names, as a rule that maps each name to the one form every
//! spelling of that file shares: the key of call order (guarantee 7) on file systems that
//! ignore case (NTFS, APFS and HFS+ by default, ext4/f2fs directories with casefold) or
//! Unicode normalization (APFS and HFS+ always: NFC and NFD name one file).
//!
//! A fold may miss a merge the file system makes, never make one it does not: two calls to
//! different files under one key would be ordered as one file, and the earlier call's bytes
//! reported superseded though no later call wrote its file. So only what every such file
//! system folds is folded:
//! - normalization: canonical decomposition (NFD), which is equivalence, not a guess;
//! - case: letters of the Latin, Greek, Cyrillic and Armenian blocks (below U+0590) whose
//!   capital and small forms map one to one to each other. Irregular letters (dotless ı,
//!   final ς, long ſ, ß, titlecase ǅ) and newer scripts, which file systems' own case tables
//!   (NTFS's is fixed when the volume is formatted) may fold differently, keep their case.
//!
//! A name that is not valid Unicode is compared exactly.

use std::ffi::{OsStr, OsString};

use unicode_normalization::UnicodeNormalization;

/// What a directory's file system ignores when it compares names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameFolding {
    pub case: bool,
    pub normalization: bool,
}

impl NameFolding {
    /// Names compared byte for byte (Linux, most Unix file systems).
    pub const EXACT: Self = Self {
        case: false,
        normalization: false,
    };

    /// The form of `name` that every spelling of the same file shares here.
    pub fn fold(self, name: &OsStr) -> OsString {
        if self == Self::EXACT {
            return name.to_os_string();
        }
        let Some(text) = name.to_str() else {
            return name.to_os_string();
        };
        let mut folded: String = if self.normalization {
            text.nfd().collect()
        } else {
            text.to_owned()
        };
        if self.case {
            folded = folded.chars().map(fold_case).collect();
        }
        folded.into()
    }
}

/// Past the Armenian block, case is left to the file system alone.
const CASE_FOLDED_BELOW: u32 = 0x0590;

/// The small form of a letter whose capital and small forms are one-to-one pairs; any other
/// character as it is.
fn fold_case(c: char) -> char {
    if u32::from(c) >= CASE_FOLDED_BELOW {
        return c;
    }
    let Some(small) = only(c.to_lowercase()) else {
        return c;
    };
    let Some(capital) = only(small.to_uppercase()) else {
        return c;
    };
    let pair = only(capital.to_lowercase()) == Some(small);
    if pair && (c == small || c == capital) && u32::from(capital) < CASE_FOLDED_BELOW {
        small
    } else {
        c
    }
}

/// The one character of a mapping, if it is exactly one.
fn only(mut chars: impl Iterator<Item = char>) -> Option<char> {
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: NameFolding = NameFolding {
        case: true,
        normalization: false,
    };
    const NORMALIZATION: NameFolding = NameFolding {
        case: false,
        normalization: true,
    };
    const BOTH: NameFolding = NameFolding {
        case: true,
        normalization: true,
    };

    fn same(how: NameFolding, a: &str, b: &str) -> bool {
        how.fold(OsStr::new(a)) == how.fold(OsStr::new(b))
    }

    #[test]
    fn exact_keeps_every_name_apart() {
        assert!(!same(NameFolding::EXACT, "Data.json", "data.json"));
        assert!(!same(NameFolding::EXACT, "caf\u{e9}", "cafe\u{301}"));
        assert_eq!(
            NameFolding::EXACT.fold(OsStr::new("Data.json")),
            "Data.json"
        );
    }

    #[test]
    fn case_folds_latin_greek_cyrillic_and_armenian_pairs() {
        assert!(same(CASE, "Data.JSON", "data.json"));
        assert!(same(CASE, "\u{c9}T\u{c9}", "\u{e9}t\u{e9}")); // ÉTÉ, été
        assert!(same(
            CASE,
            "\u{3a3}\u{39f}\u{3a6}\u{399}\u{391}",
            "\u{3c3}\u{3bf}\u{3c6}\u{3b9}\u{3b1}"
        )); // ΣΟΦΙΑ
        assert!(same(
            CASE,
            "\u{41c}\u{43e}\u{441}\u{43a}\u{432}\u{430}",
            "\u{43c}\u{43e}\u{441}\u{43a}\u{432}\u{430}"
        )); // Москва
        assert!(same(CASE, "\u{531}", "\u{561}")); // Armenian Ա, ա
        assert!(same(CASE, "\u{178}", "\u{ff}")); // Ÿ, ÿ
    }

    #[test]
    fn case_alone_keeps_normalization_apart() {
        assert!(!same(CASE, "caf\u{e9}", "cafe\u{301}"));
    }

    #[test]
    fn irregular_letters_keep_their_case() {
        for (a, b) in [
            ("\u{131}", "i"),       // dotless ı: Turkic folding only
            ("\u{131}", "I"),       // dotless ı uppercases to I, but I is i's capital
            ("\u{130}", "i"),       // İ lowercases to two characters
            ("\u{3c2}", "\u{3c3}"), // final ς and σ
            ("\u{17f}", "s"),       // long ſ
            ("\u{df}", "ss"),       // ß
            ("\u{1c5}", "\u{1c6}"), // titlecase ǅ and ǆ
            ("\u{b5}", "\u{3bc}"),  // micro sign and μ
            ("\u{212a}", "k"),      // Kelvin sign: past the folded blocks
        ] {
            assert!(!same(CASE, a, b), "{a:?} and {b:?} were merged");
        }
    }

    #[test]
    fn newer_scripts_keep_their_case() {
        assert!(!same(CASE, "\u{10a0}", "\u{2d00}")); // Georgian Ⴀ, ⴀ
        assert!(!same(CASE, "\u{1c90}", "\u{10d0}")); // Georgian Mtavruli Ა, ა (Unicode 11)
        assert!(!same(CASE, "\u{ff21}", "\u{ff41}")); // fullwidth Ａ, ａ
    }

    #[test]
    fn normalization_merges_composed_and_decomposed() {
        assert!(same(NORMALIZATION, "caf\u{e9}.txt", "cafe\u{301}.txt"));
        assert!(same(NORMALIZATION, "\u{212b}", "\u{c5}")); // Ångström sign, Å: canonical
        assert!(!same(NORMALIZATION, "Data.json", "data.json"));
        assert!(!same(NORMALIZATION, "\u{fb01}", "fi")); // ligature: compatibility only
    }

    #[test]
    fn both_merge_case_and_normalization_together() {
        assert!(same(BOTH, "CAF\u{c9}.txt", "cafe\u{301}.txt"));
        assert!(same(BOTH, "\u{212b}", "a\u{30a}"));
        assert!(!same(BOTH, "a.txt", "b.txt"));
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_unicode_is_kept_exactly() {
        use std::os::unix::ffi::OsStrExt;
        let raw = OsStr::from_bytes(b"A\xff.txt");
        assert_eq!(BOTH.fold(raw), raw);
        assert_ne!(BOTH.fold(raw), BOTH.fold(OsStr::from_bytes(b"a\xff.txt")));
    }
}
