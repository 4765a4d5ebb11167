//! The relative path of a staged entry, checked strictly before anything is made.
//!
//! A path is `/`-separated components, each a plain name: no absolute path, no `..`, no empty
//! or `.` component (`a//b`, `a/./b`, `a/`), no NUL. Nothing is normalised away: a path that
//! needs normalising is refused, so what a caller names is exactly what is published.

use std::ffi::{OsStr, OsString};

/// A checked relative path: its components, outermost first, never empty.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryPath {
    parts: Vec<OsString>,
}

impl EntryPath {
    /// Check `raw`; `Err` says why it is refused.
    pub fn parse(raw: &OsStr) -> Result<Self, &'static str> {
        let bytes = raw.as_encoded_bytes();
        if bytes.is_empty() {
            return Err("is empty");
        }
        if bytes.contains(&0) {
            return Err("contains a NUL byte");
        }
        if bytes[0] == b'/' || (cfg!(windows) && (bytes[0] == b'\\' || bytes.get(1) == Some(&b':')))
        {
            return Err("is absolute");
        }
        let mut parts = Vec::new();
        for part in bytes.split(|&b| b == b'/') {
            match part {
                b"" => return Err("has an empty component"),
                b"." => return Err("has a '.' component"),
                b".." => return Err("has a '..' component"),
                _ => {}
            }
            // SAFETY: `part` comes from `raw`'s encoded bytes split at an ASCII '/', which is a
            // boundary the encoding allows (see `OsStr::from_encoded_bytes_unchecked`).
            parts.push(unsafe { OsStr::from_encoded_bytes_unchecked(part) }.to_os_string());
        }
        Ok(Self { parts })
    }

    /// The directories it is in, outermost first.
    pub fn dirs(&self) -> &[OsString] {
        &self.parts[..self.parts.len() - 1]
    }

    /// Its own name.
    pub fn name(&self) -> &OsStr {
        &self.parts[self.parts.len() - 1]
    }

    /// `/`-joined, as given.
    pub fn joined(&self) -> OsString {
        let mut out = OsString::new();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push("/");
            }
            out.push(part);
        }
        out
    }

    /// A path from components already checked (a walk of an existing tree).
    pub(crate) fn from_parts(parts: Vec<OsString>) -> Self {
        Self { parts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_paths_are_taken_as_they_are() {
        let p = EntryPath::parse(OsStr::new("a/b/c.json")).unwrap();
        assert_eq!(p.dirs(), [OsString::from("a"), OsString::from("b")]);
        assert_eq!(p.name(), "c.json");
        assert_eq!(p.joined(), "a/b/c.json");
        assert_eq!(EntryPath::parse(OsStr::new("..a")).unwrap().name(), "..a");
    }

    #[test]
    fn every_path_that_could_leave_the_stage_or_needs_normalising_is_refused() {
        for (raw, why) in [
            ("", "is empty"),
            ("/etc/passwd", "is absolute"),
            ("../x", "has a '..' component"),
            ("a/../../x", "has a '..' component"),
            ("a//b", "has an empty component"),
            ("a/", "has an empty component"),
            ("./a", "has a '.' component"),
            ("a\0b", "contains a NUL byte"),
        ] {
            assert_eq!(EntryPath::parse(OsStr::new(raw)), Err(why), "{raw:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_a_name_like_any_other() {
        use std::os::unix::ffi::OsStrExt;
        let p = EntryPath::parse(OsStr::from_bytes(b"d\xff/n\xe9")).unwrap();
        assert_eq!(p.name().as_bytes(), b"n\xe9");
    }
}
