//! The way down of a recursive sweep: one small record per level, few of them open.
//!
//! A directory kept open per level costs a descriptor (and, as a stream, a read buffer) per
//! level, so a tree as deep as another user cares to make it would exhaust both: 20 000
//! nested levels took hundreds of MiB, then EMFILE. As fts(3) does, only the top and the
//! deepest [`OPEN_LEVELS`] levels stay open (fewer when the process runs out of descriptors:
//! see [`Trail::close_one`]). A level closed meanwhile is opened again on the way
//! back up, through its child's `..`, and taken only if it is the very directory that was
//! left (same device and inode): a child moved elsewhere meanwhile has another parent, and
//! following it would sweep outside the tree. Then the names are followed down again from
//! the nearest level still open, never through a link, each level checked the same way; a
//! level found nowhere is reported (ENOENT, as fts reports a `..` that changed) and the
//! sweep goes on above it. A level keeps its name, its identity and the subdirectories
//! still to enter, and the path below the top is one buffer: memory grows by about 200 bytes
//! a level (4.6 MiB for 20 500 levels, allocator and growth included).

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};

use crate::sys::{DirKey, SweepDir};

/// How many levels below the top stay open: descriptors per sweep, whatever the depth.
pub const OPEN_LEVELS: usize = 32;

struct Level {
    /// Empty for the top, which is reached by its path.
    name: OsString,
    key: DirKey,
    /// Open for the top and the deepest levels only.
    dir: Option<SweepDir>,
    /// Still to enter, last first.
    subdirs: Vec<OsString>,
}

pub struct Trail {
    levels: Vec<Level>,
    /// The top as the caller spelled it.
    top: PathBuf,
    /// The deepest level's path below the top: each level's name.
    below: PathBuf,
    open_levels: usize,
}

impl Trail {
    /// A walk that starts at the directory `top`, open as `dir`.
    pub fn new(top: &Path, dir: SweepDir, open_levels: usize) -> Self {
        Self {
            levels: vec![Level {
                name: OsString::new(),
                key: dir.key(),
                dir: Some(dir),
                subdirs: Vec::new(),
            }],
            top: top.to_path_buf(),
            below: PathBuf::new(),
            open_levels: open_levels.max(1),
        }
    }

    pub fn is_done(&self) -> bool {
        self.levels.is_empty()
    }

    /// The deepest level, always open. Only while not done.
    pub fn deepest(&self) -> &SweepDir {
        let level = self.levels.last().expect("a level to work in");
        level.dir.as_ref().expect("the deepest level is open")
    }

    /// The deepest level's path, spelled under the top as given.
    pub fn path(&self) -> PathBuf {
        if self.below.as_os_str().is_empty() {
            self.top.clone()
        } else {
            self.top.join(&self.below)
        }
    }

    /// The path of the entry `name` of the deepest level.
    pub fn path_of(&self, name: &OsStr) -> PathBuf {
        self.top.join(&self.below).join(name)
    }

    /// The subdirectories the deepest level is still to enter.
    pub fn set_subdirs(&mut self, subdirs: Vec<OsString>) {
        if let Some(level) = self.levels.last_mut() {
            level.subdirs = subdirs;
        }
    }

    /// The next subdirectory of the deepest level to enter, if any is left.
    pub fn next_subdir(&mut self) -> Option<OsString> {
        self.levels.last_mut()?.subdirs.pop()
    }

    /// Go down into `name`, a subdirectory of the deepest level, open as `dir`.
    pub fn enter(&mut self, name: OsString, dir: SweepDir) {
        self.below.push(&name);
        self.levels.push(Level {
            name,
            key: dir.key(),
            dir: Some(dir),
            subdirs: Vec::new(),
        });
        let depth = self.levels.len() - 1;
        if depth > self.open_levels {
            self.levels[depth - self.open_levels].dir = None;
        }
    }

    /// Close the highest open level below the top other than the deepest, to give its
    /// descriptor to the next open when the process is out of them (the level is opened
    /// again on the way up, as any other). False when only the top and the deepest are open.
    pub fn close_one(&mut self) -> bool {
        let deepest = self.levels.len().saturating_sub(1);
        let open = (1..deepest).find(|&depth| self.levels[depth].dir.is_some());
        open.map(|depth| self.levels[depth].dir = None).is_some()
    }

    /// Leave the deepest level. The level above is open again afterwards, or, where it could
    /// not be found again, left too with whatever it had still to enter: then its path and
    /// why are returned, and the walk goes on from the level above that.
    pub fn leave(&mut self) -> Option<(PathBuf, io::Error)> {
        let child = self.levels.pop()?;
        if self.levels.is_empty() {
            return None;
        }
        self.below.pop();
        if self
            .levels
            .last()
            .is_some_and(|parent| parent.dir.is_some())
        {
            return None;
        }
        // One open however deep the tree, when nothing moved.
        let through_dotdot = child
            .dir
            .and_then(|dir| super::short_of_descriptors(self, |_| dir.open_parent()).ok());
        let parent = self.levels.last_mut().expect("checked above");
        if let Some(dir) = through_dotdot.filter(|dir| dir.key() == parent.key) {
            parent.dir = Some(dir);
            return None;
        }
        self.reopen_by_names()
    }

    /// Open the levels below the nearest open one again by their names, each checked to be
    /// the directory it was.
    fn reopen_by_names(&mut self) -> Option<(PathBuf, io::Error)> {
        let deepest = self.levels.len() - 1;
        let open = self.levels.iter().rposition(|l| l.dir.is_some())?;
        for depth in open + 1..=deepest {
            let (above, below) = self.levels.split_at_mut(depth);
            let parent = above[depth - 1].dir.as_ref().expect("opened just before");
            let level = &mut below[0];
            match parent.open_subdir(&level.name) {
                Ok(dir) if dir.key() == level.key => level.dir = Some(dir),
                found => {
                    // Another directory under that name is not the one left: not there.
                    let error = found
                        .err()
                        .unwrap_or_else(|| io::ErrorKind::NotFound.into());
                    return Some((self.abandon_from(depth), error));
                }
            }
            if depth > self.open_levels {
                self.levels[depth - self.open_levels].dir = None;
            }
        }
        None
    }

    /// Drop the levels from `depth` down; return the path of the level at `depth`.
    fn abandon_from(&mut self, depth: usize) -> PathBuf {
        for _ in depth + 1..self.levels.len() {
            self.below.pop();
        }
        let path = self.path();
        self.below.pop();
        self.levels.truncate(depth);
        path
    }
}
