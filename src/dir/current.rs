//! The incremental start: a stage that begins as hard links to the current tree's files.
//!
//! Safe because a staged file is always created anew (a linked path staged again has its link
//! removed first, see `DirStage::write_entry`), never written in place: the current tree's
//! bytes are never touched. The walk goes through descriptors and never through a link; a
//! link or special file in the current tree is refused (a stage holds files and directories),
//! and nothing of the stage is kept.

use std::ffi::OsString;
use std::io;

use super::{fs_err, DirStage, Entry, EntryPath, Phase};
use crate::errors::{FsFailure, PublishError, Subject, Syscall};
use crate::sys::{self, EntryKind, StageDir};

impl DirStage {
    /// The name of the current tree beside the stage: the target itself in the plain layout.
    #[cfg(not(unix))]
    fn current_tree_name(&self) -> Result<OsString, PublishError> {
        Ok(self.target_name.clone())
    }

    /// Fill the empty stage with hard links to every file of the current target tree, and
    /// its directories; returns how many files were linked (0 without a current tree).
    pub fn link_current(&self) -> Result<u64, PublishError> {
        {
            let state = self.state();
            if state.phase != Phase::Open || !state.entries.is_empty() || !state.dirs.is_empty() {
                let mut failure =
                    FsFailure::target(io::ErrorKind::AlreadyExists.into(), Syscall::Link);
                failure.detail =
                    Some("the stage must be empty and open to start from the current tree".into());
                return Err(failure.into());
            }
        }
        let current = match StageDir::open_in(&self.parent, &self.current_tree_name()?) {
            Ok(dir) => dir,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(FsFailure::source(e, Syscall::Open).into()),
        };
        let mut linked = Vec::new();
        let mut made = Vec::new();
        // (directory of the current tree, the same directory in the stage, its components)
        let mut todo: Vec<(StageDir, Option<StageDir>, Vec<OsString>)> =
            vec![(current, None, Vec::new())];
        while let Some((from, to, parts)) = todo.pop() {
            let to_dir = to.as_ref().unwrap_or(&self.root);
            let entries = from
                .entries()
                .map_err(|e| FsFailure::source(e, Syscall::Scandir))?;
            for (name, kind) in entries {
                if self.cancelled() {
                    return Err(PublishError::Aborted);
                }
                let mut path = parts.clone();
                path.push(name.clone());
                if kind != EntryKind::Other {
                    match from.open_subdir(&name) {
                        Ok(sub) => {
                            let (made_dir, _) = to_dir
                                .subdir(&name)
                                .map_err(|e| fs_err(e, Syscall::Mkdir))?;
                            made.push(path.clone());
                            todo.push((sub, Some(made_dir), path));
                            continue;
                        }
                        Err(e) if sys::is_link_or_file(&e) => {}
                        Err(e) => return Err(FsFailure::source(e, Syscall::Open).into()),
                    }
                }
                // One fstatat for a plain file; anything else is opened to say what it is.
                let plain = from
                    .is_plain_file(&name)
                    .map_err(|e| FsFailure::source(e, Syscall::Stat))?;
                if !plain {
                    let file = from
                        .open_file(&name)
                        .map_err(|e| FsFailure::source(e, Syscall::Open))?;
                    let meta = file
                        .metadata()
                        .map_err(|e| FsFailure::source(e, Syscall::Stat))?;
                    return Err(
                        FsFailure::wrong_file_type(Subject::Source, sys::file_kind(&meta)).into(),
                    );
                }
                to_dir
                    .link_from(&from, &name, &name)
                    .map_err(|e| fs_err(e, Syscall::Link))?;
                linked.push(EntryPath::from_parts(path));
            }
        }
        let count = linked.len() as u64;
        let mut state = self.state();
        state.dirs.extend(made);
        state
            .entries
            .extend(linked.into_iter().map(|p| (p, Entry::Linked)));
        Ok(count)
    }
}
