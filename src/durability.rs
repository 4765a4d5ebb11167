//! Durability levels (guarantee 2): what a resolved publish survives.
//!
//! Every level is atomic for readers and for a crash of the process. They differ in what a
//! power cut (or a kernel crash) can undo, which is decided by the two fsyncs of the protocol:
//! the scratch's before the rename (without it, some file systems can expose a renamed but
//! empty file), and the directory's after it (without it, the rename itself may be lost).

/// Does the publish fsync its scratch where its level asks for it? Always, except in a debug
/// build with the `unsynced-scratch-control` feature: the crash-state suite's negative
/// control, which must see that build fail. A release build refuses the feature.
pub const SCRATCH_FSYNC: bool = !cfg!(feature = "unsynced-scratch-control");

#[cfg(all(feature = "unsynced-scratch-control", not(debug_assertions)))]
compile_error!("`unsynced-scratch-control` is a test-only defect: never in a release build");

/// Ordered from weakest to strongest, so `max` picks the level that satisfies two callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Durability {
    /// No fsync at all.
    None,
    /// The scratch is fsynced before the rename: after a power cut, the old bytes or the new.
    File,
    /// The scratch before the rename and the directory after it: the new bytes survive.
    #[default]
    Full,
}

impl Durability {
    /// `'full'`, `'file'` or `'none'`, as the wrapper spells them.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "full" => Some(Self::Full),
            "file" => Some(Self::File),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// Is the scratch fsynced before its rename?
    pub fn syncs_file(self) -> bool {
        self >= Self::File
    }

    /// Is the directory fsynced after the rename?
    pub fn syncs_dir(self) -> bool {
        self == Self::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_syncs_what_it_promises() {
        let steps = |d: Durability| (d.syncs_file(), d.syncs_dir());
        assert_eq!(steps(Durability::Full), (true, true));
        assert_eq!(steps(Durability::File), (true, false));
        assert_eq!(steps(Durability::None), (false, false));
    }

    #[test]
    fn levels_parse_as_the_wrapper_spells_them() {
        assert_eq!(Durability::parse("file"), Some(Durability::File));
        assert_eq!(Durability::parse("FULL"), None);
        assert!(Durability::None < Durability::File && Durability::File < Durability::Full);
    }
}
