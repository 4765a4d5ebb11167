//! Finding and removing scratch files orphaned by a SIGKILL or a power cut (guarantee 4).
//!
//! What is taken: an entry whose name has the scratch shape (see `scratch::is_scratch_name`),
//! that is a regular file or a directory (a directory publish's stage, or an old tree left by
//! a crash after its swap; removed with everything in it, never through a link), whose mtime is at least `older_than` old (a younger one may be a
//! live writer's in another process), that is not one of this process's in-flight publishes,
//! and whose lock no writer holds, in any process (a publish with an mtime in the past stamps
//! its scratch before the rename, so age alone cannot tell).
//!
//! How each entry is examined, so that a directory changing under the sweep cannot turn it
//! against anything else: every step is relative to the open directory being walked. The
//! entry is opened once, never through a link and never waiting (a FIFO opens at once); its
//! type and age are read from that descriptor; the lock is taken on that descriptor; and the
//! name is unlinked only while the lock is held and only if it still names that very file.
//! A writer claims its scratch the same way round (see `scratch::lock`), so a sweep racing a
//! scratch's creation never takes it. The one window left is between that last check and the
//! unlink, where no system offers an unlink by descriptor: a name replaced there by another
//! process's rename goes instead of the scratch, never a directory.
//!
//! A recursive sweep enters subdirectories relative to their parent's descriptor, never
//! through a link, so a tree deeper than PATH_MAX is walked whole, with a bounded number of
//! directories open and about 200 bytes a level (see `trail`). A subdirectory it cannot
//! enter, or an entry it cannot remove, is reported and the sweep goes on with the rest.

#[cfg(all(test, unix))]
mod deep_tests;
#[cfg(all(test, unix))]
mod stage_tests;
#[cfg(all(test, unix))]
mod tests;
mod trail;

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::errors::{FsFailure, Syscall};
use crate::scratch::{held_by_writer, is_live, is_scratch_name, sweep_aside_name};
use crate::sys::{self, EntryKind, SweepDir};
use crate::target::DirId;
use trail::{Trail, OPEN_LEVELS};

#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub older_than: Duration,
    pub recursive: bool,
    pub dry_run: bool,
    /// Also remove the versions of each versioned target beyond this many (see
    /// `dir::versions::prune`); `None` leaves versions alone.
    pub kept_versions: Option<u32>,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self {
            older_than: Duration::from_secs(60),
            recursive: false,
            dry_run: false,
            kept_versions: None,
        }
    }
}

/// What a sweep did: the scratch files it removed (or with `dry_run`, would remove), and
/// what it could not look into or remove, each with its path. Paths are spelled under the
/// swept directory as given.
#[derive(Debug, Default)]
pub struct SweepReport {
    pub removed: Vec<PathBuf>,
    pub failures: Vec<(PathBuf, FsFailure)>,
}

/// Sweep `dir`. Only a failure to read `dir` itself is an error; everything below it is
/// reported in the [`SweepReport`].
pub fn sweep_orphans(dir: &Path, options: &SweepOptions) -> Result<SweepReport, FsFailure> {
    sweep_keeping_open(dir, options, OPEN_LEVELS)
}

/// A sweep that keeps at most `open_levels` directories open below `dir`.
fn sweep_keeping_open(
    dir: &Path,
    options: &SweepOptions,
    open_levels: usize,
) -> Result<SweepReport, FsFailure> {
    let sweep = Sweep {
        options,
        now: SystemTime::now(),
        report: SweepReport::default(),
    };
    sweep.run(dir, open_levels)
}

/// `open` again for as long as it fails for want of descriptors and the trail can close a
/// level to free one: a process near its limit sweeps a deep tree with fewer levels open.
fn short_of_descriptors<T>(
    trail: &mut Trail,
    mut open: impl FnMut(&Trail) -> io::Result<T>,
) -> io::Result<T> {
    loop {
        match open(trail) {
            Err(e) if sys::is_out_of_descriptors(&e) && trail.close_one() => continue,
            result => return result,
        }
    }
}

/// Is `name` shaped as a version of the versioned layout (`<target>.v<version>`)?
#[cfg(unix)]
fn is_version_name(name: &OsStr) -> bool {
    crate::dir::versions::target_of_version(name).is_some()
}
/// The versioned layout is Unix-only: no name is a version elsewhere.
#[cfg(not(unix))]
fn is_version_name(_: &OsStr) -> bool {
    false
}

/// What a scratch-shaped entry turned out to be when opened.
enum Candidate {
    /// A file or directory (`is_dir`), old enough, held by nobody: the sweep may remove it.
    Orphan { file: std::fs::File, is_dir: bool },
    /// Gone, or neither a file nor a directory (a link, say).
    NoFileOrDirectory,
    /// Not the sweep's to remove (young, held, unreadable) or already reported.
    Skip,
}

struct Sweep<'a> {
    options: &'a SweepOptions,
    now: SystemTime,
    report: SweepReport,
}

impl Sweep<'_> {
    /// Depth first, with a trail of levels rather than recursion: no native stack that grows
    /// with the depth of the tree, and at most `open_levels` directories open below the top.
    fn run(mut self, top: &Path, open_levels: usize) -> Result<SweepReport, FsFailure> {
        let scandir = |e| FsFailure::target(e, Syscall::Scandir);
        let dir = SweepDir::open(top).map_err(scandir)?;
        let mut trail = Trail::new(top, dir, open_levels);
        let subdirs = self.visit(&trail).map_err(scandir)?;
        trail.set_subdirs(subdirs);
        while !trail.is_done() {
            let Some(name) = trail.next_subdir() else {
                if let Some((path, e)) = trail.leave() {
                    self.report.failures.push((path, scandir(e)));
                }
                continue;
            };
            match short_of_descriptors(&mut trail, |trail| trail.deepest().open_subdir(&name)) {
                Ok(dir) => trail.enter(name, dir),
                // Removed, or replaced by a link or a file, since it was listed.
                Err(e) if sys::is_gone_or_other_kind(&e) => continue,
                Err(e) => {
                    let path = trail.path_of(&name);
                    self.report.failures.push((path, scandir(e)));
                    continue;
                }
            }
            // A failed visit has examined nothing yet: its one open is the listing's.
            match short_of_descriptors(&mut trail, |trail| self.visit(trail)) {
                Ok(subdirs) => trail.set_subdirs(subdirs),
                Err(e) => {
                    if !sys::is_gone_or_other_kind(&e) {
                        self.report.failures.push((trail.path(), scandir(e)));
                    }
                    // Its parent, just left, is still open: nothing to report here.
                    let _ = trail.leave();
                }
            }
        }
        Ok(self.report)
    }

    /// Examine every scratch-shaped entry of the trail's deepest level; return the
    /// subdirectories to enter.
    fn visit(&mut self, trail: &Trail) -> io::Result<Vec<OsString>> {
        let recursive = self.options.recursive;
        let dir = trail.deepest();
        let versions = self.options.kept_versions.is_some();
        let entries = dir.entries(|name, kind| {
            (recursive && kind != EntryKind::Other)
                || is_scratch_name(name)
                || (versions && (kind != EntryKind::Directory || is_version_name(name)))
        })?;
        let mut subdirs = Vec::new();
        for (name, kind) in entries {
            // A scratch-named directory is a stage, live or orphaned: examined as a whole,
            // never entered by the walk.
            if is_scratch_name(&name) {
                self.examine(dir, &name, trail);
            } else {
                #[cfg(unix)]
                match (self.options.kept_versions, kind) {
                    (None, _) => {}
                    (Some(_), EntryKind::Directory) => self.examine_version(dir, &name, trail),
                    (Some(kept), _) => self.prune_versions(dir, &name, kept, trail),
                }
                if recursive && kind != EntryKind::Other {
                    subdirs.push(name);
                }
            }
        }
        Ok(subdirs)
    }

    /// Remove the entry `name` of `dir` if it is an orphaned scratch (see the module's doc).
    fn examine(&mut self, dir: &SweepDir, name: &OsStr, trail: &Trail) {
        let (file, is_dir) = match self.candidate(dir, name, trail) {
            Candidate::Orphan { file, is_dir } => (file, is_dir),
            Candidate::Skip => return,
            Candidate::NoFileOrDirectory => {
                #[cfg(unix)]
                self.examine_link(dir, name, trail);
                return;
            }
        };
        let path = || trail.path_of(name);
        if is_dir {
            return self.remove_stage(dir, name, &file, path());
        }
        // Locked (or no locks here): only a name still naming this file may go.
        if self.options.dry_run {
            if !dir.names_file(name, &file).unwrap_or(false) {
                return;
            }
        } else {
            match dir.remove_if_same(name, &file, &sweep_aside_name) {
                Ok(true) => {}
                Ok(false) => return,
                // Another sweeper got there first, or a directory was renamed onto the name.
                Err(e) if sys::is_gone_or_other_kind(&e) => return,
                Err(e) => return self.fail(path(), e, Syscall::Unlink),
            }
        }
        self.report.removed.push(path());
    }

    /// The entry `name` of `dir`, opened, if it is a file or a directory old enough that no
    /// live publish of this process or lock of another holds.
    fn candidate(&mut self, dir: &SweepDir, name: &OsStr, trail: &Trail) -> Candidate {
        let file = match dir.open_entry(name) {
            Ok(file) => file,
            Err(e) if sys::is_gone_or_other_kind(&e) => return Candidate::NoFileOrDirectory,
            // Unreadable to us (a scratch whose final mode has no read bit for us): its lock
            // cannot be tested, so it is not ours to judge, and not a failure of the sweep.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Candidate::Skip,
            Err(e) => {
                self.fail(trail.path_of(name), e, Syscall::Open);
                return Candidate::Skip;
            }
        };
        let meta = match file.metadata() {
            Ok(meta) => meta,
            Err(e) => {
                self.fail(trail.path_of(name), e, Syscall::Stat);
                return Candidate::Skip;
            }
        };
        if !(meta.is_file() || meta.is_dir()) || !self.old_enough(&meta) {
            return Candidate::Skip;
        }
        if is_live(&(DirId::from_key(dir.key()), name.to_os_string())) || held_by_writer(&file) {
            return Candidate::Skip;
        }
        Candidate::Orphan {
            file,
            is_dir: meta.is_dir(),
        }
    }

    /// A version directory that no link names because its target is missing or a plain
    /// directory: a versioned commit stopped between renaming its stage to the version's name
    /// and swapping its link in (on a first commit, or one converting a plain directory).
    /// Removed as an orphaned stage is: old enough, and held by no commit.
    #[cfg(unix)]
    fn examine_version(&mut self, dir: &SweepDir, name: &OsStr, trail: &Trail) {
        use crate::dir::versions::{current, target_of_version, Current};
        let Some(target) = target_of_version(name) else {
            return;
        };
        if !matches!(
            current(dir, target),
            Ok(Current::Missing | Current::Directory)
        ) {
            return;
        }
        if let Candidate::Orphan { file, is_dir: true } = self.candidate(dir, name, trail) {
            self.remove_stage(dir, name, &file, trail.path_of(name));
        }
    }

    /// Remove the orphaned stage `name` (open and locked as `stage`), and its whole tree.
    fn remove_stage(&mut self, dir: &SweepDir, name: &OsStr, stage: &std::fs::File, path: PathBuf) {
        if self.options.dry_run {
            if dir.names_file(name, stage).unwrap_or(false) {
                self.report.removed.push(path);
            }
            return;
        }
        match dir.remove_tree_if_same(name, stage, &sweep_aside_name, &path) {
            Ok(None) => {}
            Ok(Some(left)) if left.is_empty() => self.report.removed.push(path),
            Ok(Some(left)) => {
                for (at, e) in left {
                    self.fail(at, e, Syscall::Unlink);
                }
            }
            Err(e) if sys::is_gone_or_other_kind(&e) => {}
            Err(e) => self.fail(path, e, Syscall::Unlink),
        }
    }

    /// The versions of the target `name` beyond the `kept` newest (if it is a versioned one).
    #[cfg(unix)]
    fn prune_versions(&mut self, dir: &SweepDir, name: &OsStr, kept: u32, trail: &Trail) {
        match crate::dir::versions::prune(dir, &trail.path(), name, kept, self.options.dry_run) {
            Ok(pruned) => {
                self.report.removed.extend(pruned.removed);
                for (at, e) in pruned.failures {
                    self.fail(at, e, Syscall::Unlink);
                }
            }
            Err(e) if sys::is_gone_or_other_kind(&e) => {}
            Err(e) => self.fail(trail.path_of(name), e, Syscall::Scandir),
        }
    }

    /// A scratch-named link naming a version of its target: a versioned commit killed
    /// between making its link and swapping it in. Links cannot be locked, so age alone
    /// tells a live one (whose link lives for a moment) from an orphan.
    #[cfg(unix)]
    fn examine_link(&mut self, dir: &SweepDir, name: &OsStr, trail: &Trail) {
        use crate::sys::unix_versions as vsys;
        let Ok(Some(changed)) = vsys::link_changed_at(dir, name) else {
            return;
        };
        let old = self
            .now
            .duration_since(changed)
            .is_ok_and(|age| age >= self.options.older_than);
        if !old
            || is_live(&(DirId::from_key(dir.key()), name.to_os_string()))
            || !crate::dir::versions::is_orphan_link(dir, name)
        {
            return;
        }
        if !self.options.dry_run {
            match vsys::unlink_at(dir, name) {
                Ok(()) => {}
                Err(e) if sys::is_gone_or_other_kind(&e) => return,
                Err(e) => return self.fail(trail.path_of(name), e, Syscall::Unlink),
            }
        }
        self.report.removed.push(trail.path_of(name));
    }

    fn fail(&mut self, path: PathBuf, error: io::Error, syscall: Syscall) {
        self.report
            .failures
            .push((path, FsFailure::target(error, syscall)));
    }

    /// At least `older_than` old by its mtime. An mtime in the future (a publish that stamps
    /// a future time, killed before its rename) says nothing of age: then the time of the
    /// file's last change of status counts, which no caller can set.
    fn old_enough(&self, meta: &std::fs::Metadata) -> bool {
        let Ok(modified) = meta.modified() else {
            return false;
        };
        let since = if modified > self.now {
            sys::status_changed(meta)
        } else {
            Some(modified)
        };
        since.is_some_and(|t| {
            self.now
                .duration_since(t)
                .is_ok_and(|age| age >= self.options.older_than)
        })
    }
}
