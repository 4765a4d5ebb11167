//! Publishing a whole directory: readers see the old tree or the new one, never a mix.
//!
//! A [`DirStage`] is a scratch directory `<basename>.oxentmp.<random>` beside the target,
//! owner-only while it is filled, locked (the sweep never takes it) and in the live set (an
//! ending process removes it). Files are staged into it by relative path (see `entry_path`),
//! through descriptors only, never through a link. The commit makes the tree durable, then
//! swaps it with the target in one step of the kernel (`RENAME_EXCHANGE`; a plain exclusive
//! rename where there is no target yet), fsyncs the parent, and removes the old tree, which
//! the swap left under the stage's name. Every failure before the swap removes the stage and
//! leaves the target as it was.

mod commit;
mod current;
mod entry_path;
mod hash_linked;
mod manifest;
mod open_dirs;
mod open_entry;
mod staging;
#[cfg(all(test, unix))]
mod tests;
#[cfg(unix)]
pub mod versions;
#[cfg(all(test, unix))]
mod versions_tests;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::errors::{FsFailure, PublishError, Syscall};
use crate::options::Control;
use crate::publish::Durability;
use crate::scratch::{self, Claim, LiveEntry, LiveKind, LiveTicket, Owner};
use crate::sys::{self, EntryKind, StageDir, TargetDir};
use crate::target::DirId;

pub use entry_path::EntryPath;
pub use manifest::{Manifest, ManifestEntry};
pub use open_entry::OpenEntry;
pub use staging::{EntryOptions, Source};

/// How many stage names a publish tries while sweepers or other publishes keep taking them.
const CLAIM_ATTEMPTS: usize = 16;

/// How the staged files are made durable before the exchange (see `commit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMethod {
    /// Every file fsynced, after writeback of all of them was started: the first fsync's
    /// journal commit carries the rest.
    EachFile,
    /// One `syncfs` of the stage's file system where it reports every writeback error (Linux
    /// 5.8 and later; elsewhere each file as above), then every directory of the stage.
    #[default]
    FileSystem,
}

/// Where the published tree lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// The target is the tree itself, exchanged whole at each commit.
    #[default]
    Plain,
    /// The target is a link to a version tree `<name>.v<version>` beside it; the newest
    /// `kept` versions stay (see `versions`). Unix only, as directories are.
    Versioned { kept: u32 },
}

/// What a caller sets for one directory publish.
#[derive(Debug, Clone)]
pub struct DirOptions {
    pub durability: Durability,
    /// `false`: publish only where nothing is at the target (EEXIST otherwise).
    pub overwrite: bool,
    /// Does `commit` return only once the old tree is removed? Otherwise it is removed on a
    /// thread of its own after the commit returns.
    pub wait_for_removal: bool,
    pub sync_method: SyncMethod,
    pub layout: Layout,
    pub control: Option<Arc<Control>>,
    pub owner: Owner,
}

impl Default for DirOptions {
    fn default() -> Self {
        Self {
            durability: Durability::Full,
            overwrite: true,
            wait_for_removal: true,
            sync_method: SyncMethod::default(),
            layout: Layout::default(),
            control: None,
            owner: 0,
        }
    }
}

/// One staged path: being written, written, or linked from the current tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Writing,
    Written { size: u64, hash: u128 },
    Linked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    Committing,
    Committed,
    Dropped,
}

struct State {
    phase: Phase,
    entries: BTreeMap<EntryPath, Entry>,
    /// Every directory of the stage below the root, as component lists.
    dirs: BTreeSet<Vec<OsString>>,
    /// The first hash mismatch: the stage can no longer commit.
    mismatch: Option<PublishError>,
}

/// A directory publish in progress.
pub struct DirStage {
    parent: TargetDir,
    parent_path: PathBuf,
    target_name: OsString,
    stage_name: OsString,
    root: StageDir,
    /// The mode the root takes at the commit: the old tree's, or a new directory's default.
    root_mode: u32,
    options: DirOptions,
    state: Mutex<State>,
    staged_bytes: AtomicU64,
    live: Mutex<Option<LiveEntry>>,
    open_dirs: open_dirs::OpenDirs,
}

fn fs_err(e: io::Error, syscall: Syscall) -> PublishError {
    FsFailure::target(e, syscall).into()
}

impl DirStage {
    /// Make the stage beside `target` (missing parents are made, as for a file).
    pub fn begin(target: &Path, options: DirOptions) -> Result<Self, PublishError> {
        if scratch::has_ended(options.owner)
            || options.control.as_ref().is_some_and(|c| c.is_cancelled())
        {
            return Err(PublishError::Aborted);
        }
        sys::directories_supported().map_err(|e| fs_err(e, Syscall::Rename))?;
        let target_name = match target.file_name() {
            Some(name) => name.to_os_string(),
            None => return Err(fs_err(io::ErrorKind::InvalidInput.into(), Syscall::Open)),
        };
        let parent_path = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent_path).map_err(|e| FsFailure::mkdir(e, &parent_path))?;
        let parent = TargetDir::open(&parent_path).map_err(|e| fs_err(e, Syscall::Open))?;
        let (key, _) = parent
            .key_and_metadata()
            .map_err(|e| fs_err(e, Syscall::Stat))?;
        let dir_id = DirId::from_key(key);
        let root_mode = match options.layout {
            #[cfg(unix)]
            Layout::Versioned { .. } => {
                versions::current_mode(&parent, &target_name, options.overwrite)?
            }
            _ => plain_mode(&parent, &parent_path, &target_name, options.overwrite)?,
        };
        let prefix = scratch::scratch_prefix(&target_name);
        for _ in 0..CLAIM_ATTEMPTS {
            let ticket = LiveTicket::take(options.owner).ok_or(PublishError::Aborted)?;
            let mut stage_name = prefix.clone();
            stage_name.push(scratch::random_part(scratch::RANDOM_LEN));
            let (root, default_mode) = match StageDir::make_root(&parent, &stage_name) {
                Ok(made) => made,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(fs_err(e, Syscall::Mkdir)),
            };
            let path = parent_path.join(&stage_name);
            // A sweeper that took the name between the mkdir and the lock: try another.
            if let Claim::Lost(_) = scratch::lock_directory(root.file()) {
                continue;
            }
            if !root.is_named(&parent, &stage_name).unwrap_or(false) {
                continue;
            }
            let key = (dir_id.clone(), stage_name.clone());
            let live = ticket
                .enter_as(key, path, LiveKind::Stage)
                .ok_or(PublishError::Aborted)?;
            return Ok(Self {
                parent,
                parent_path,
                target_name,
                stage_name,
                root,
                root_mode: root_mode.unwrap_or(default_mode),
                options,
                state: Mutex::new(State {
                    phase: Phase::Open,
                    entries: BTreeMap::new(),
                    dirs: BTreeSet::new(),
                    mismatch: None,
                }),
                staged_bytes: AtomicU64::new(0),
                live: Mutex::new(Some(live)),
                open_dirs: open_dirs::OpenDirs::default(),
            });
        }
        Err(fs_err(io::ErrorKind::AlreadyExists.into(), Syscall::Mkdir))
    }

    /// Where the stage is (its name is `<basename>.oxentmp.<random>`).
    pub fn stage_path(&self) -> PathBuf {
        self.parent_path.join(&self.stage_name)
    }

    /// Where the tree is published.
    pub fn target_path(&self) -> PathBuf {
        self.parent_path.join(&self.target_name)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cancelled(&self) -> bool {
        self.options
            .control
            .as_ref()
            .is_some_and(|c| c.is_cancelled())
    }

    /// Bytes staged so far, over every file.
    pub fn staged_bytes(&self) -> u64 {
        self.staged_bytes.load(Ordering::Acquire)
    }

    /// Stage one file at the relative path `raw` from `source`. Staging a path twice is
    /// EEXIST (a path linked by `link_current` may be staged once, replacing the link). A
    /// hash mismatch fails this call and every later commit: nothing is published.
    pub fn stage_file(
        &self,
        raw: &OsStr,
        mut source: Source<'_>,
        options: &EntryOptions,
    ) -> Result<ManifestEntry, PublishError> {
        let path = EntryPath::parse(raw).map_err(|reason| PublishError::InvalidEntry {
            path: raw.to_string_lossy().into_owned(),
            reason,
        })?;
        if let (Some(expected), Some(actual)) = (options.expected_hash, source.digest_first()) {
            if expected != actual {
                return Err(self.poison(PublishError::HashMismatch { expected, actual }));
            }
        }
        let source_file = source.open()?;
        let was_linked = self.reserve(&path)?;
        let result = self.write_entry(&path, source, source_file, options, was_linked);
        let mut state = self.state();
        match result {
            Ok(entry) => {
                state.entries.insert(
                    path,
                    Entry::Written {
                        size: entry.size,
                        hash: entry.hash,
                    },
                );
                Ok(entry)
            }
            Err(error) => {
                state.entries.remove(&path);
                drop(state);
                Err(match error {
                    e @ PublishError::HashMismatch { .. } => self.poison(e),
                    e => e,
                })
            }
        }
    }

    /// Make the directory at the relative path `raw` in the stage (and those above it), so that
    /// an empty directory is published too. One that exists already is fine.
    pub fn make_dir(&self, raw: &OsStr) -> Result<(), PublishError> {
        let path = EntryPath::parse(raw).map_err(|reason| PublishError::InvalidEntry {
            path: raw.to_string_lossy().into_owned(),
            reason,
        })?;
        {
            let state = self.state();
            match state.phase {
                Phase::Open => {}
                Phase::Dropped => return Err(PublishError::Aborted),
                _ => return Err(fs_err(sys::bad_descriptor(), Syscall::Mkdir)),
            }
            if state.entries.contains_key(&path) {
                return Err(fs_err(io::ErrorKind::AlreadyExists.into(), Syscall::Mkdir));
            }
        }
        let mut parts = path.dirs().to_vec();
        parts.push(path.name().to_os_string());
        self.open_dirs(&parts).map(drop)
    }

    /// Record a mismatch that the commit must refuse, and return it for this call.
    fn poison(&self, error: PublishError) -> PublishError {
        let mut state = self.state();
        if let (None, PublishError::HashMismatch { expected, actual }) = (&state.mismatch, &error) {
            state.mismatch = Some(PublishError::HashMismatch {
                expected: *expected,
                actual: *actual,
            });
        }
        error
    }

    /// Take `path` for one staging call; true if it held a link to the current tree.
    fn reserve(&self, path: &EntryPath) -> Result<bool, PublishError> {
        let mut state = self.state();
        match state.phase {
            Phase::Open => {}
            Phase::Dropped => return Err(PublishError::Aborted),
            _ => return Err(fs_err(sys::bad_descriptor(), Syscall::Write)),
        }
        if self.cancelled() {
            return Err(PublishError::Aborted);
        }
        let was_linked = match state.entries.get(path) {
            None => false,
            Some(Entry::Linked) => true,
            Some(_) => {
                let mut failure =
                    FsFailure::target(io::ErrorKind::AlreadyExists.into(), Syscall::Open);
                failure.detail = Some(format!("{:?} is staged already", path.joined()));
                return Err(failure.into());
            }
        };
        state.entries.insert(path.clone(), Entry::Writing);
        Ok(was_linked)
    }

    fn write_entry(
        &self,
        path: &EntryPath,
        source: Source<'_>,
        source_file: Option<std::fs::File>,
        options: &EntryOptions,
        was_linked: bool,
    ) -> Result<ManifestEntry, PublishError> {
        let dir = self.open_dirs(path.dirs())?;
        let dir = dir.as_deref().unwrap_or(&self.root);
        if was_linked {
            // The link is replaced, never written through: the current tree keeps its bytes.
            dir.unlink(path.name())
                .map_err(|e| fs_err(e, Syscall::Unlink))?;
        }
        let file = dir
            .create_file(path.name(), 0o666)
            .map_err(|e| fs_err(e, Syscall::Open))?;
        let progress = |n: u64| {
            let total = self.staged_bytes.fetch_add(n, Ordering::AcqRel) + n;
            if let Some(control) = &self.options.control {
                control.record(total);
            }
        };
        let filled = staging::fill(&file, source, source_file, &progress, &|| self.cancelled())
            .and_then(|(size, hash)| match options.expected_hash {
                Some(expected) if expected != hash => Err(PublishError::HashMismatch {
                    expected,
                    actual: hash,
                }),
                _ => Ok((size, hash)),
            })
            .and_then(|done| staging::finish(&file, options).map(|()| done));
        match filled {
            Ok((size, hash)) => {
                if self.writes_back_each() {
                    sys::start_writeback(&file);
                }
                Ok(ManifestEntry {
                    path: path.joined(),
                    size,
                    hash,
                })
            }
            Err(error) => {
                let _ = dir.unlink(path.name());
                Err(error)
            }
        }
    }

    /// Is each staged file's writeback started as it is staged? Only where the commit will
    /// fsync each: one `syncfs` writes them back together, and a start per file cost one I/O
    /// submission each (14% of the CPU time of staging 5 000 files of 1 KiB on ext4).
    fn writes_back_each(&self) -> bool {
        self.options.durability.syncs_file()
            && !(self.options.sync_method == SyncMethod::FileSystem && sys::syncs_file_system())
    }

    /// Drop the stage: nothing is published. Returns what could not be removed.
    pub fn abort(&self) -> Vec<PathBuf> {
        let mut state = self.state();
        if state.phase != Phase::Open {
            return Vec::new();
        }
        state.phase = Phase::Dropped;
        drop(state);
        self.remove_stage()
    }

    /// Remove the stage tree (still ours: the lock kept sweepers off it).
    fn remove_stage(&self) -> Vec<PathBuf> {
        let left = if self
            .root
            .is_named(&self.parent, &self.stage_name)
            .unwrap_or(false)
        {
            sys::remove_tree(&self.parent, &self.stage_name, &self.stage_path())
                .into_iter()
                .map(|(path, _)| path)
                .collect()
        } else {
            Vec::new()
        };
        self.live.lock().unwrap_or_else(|p| p.into_inner()).take();
        left
    }
}

/// The mode the new tree takes in the plain layout: the current tree's, if there is one.
fn plain_mode(
    parent: &TargetDir,
    parent_path: &Path,
    target_name: &OsStr,
    overwrite: bool,
) -> Result<Option<u32>, PublishError> {
    Ok(
        match sys::entry_kind(parent, target_name).map_err(|e| fs_err(e, Syscall::Stat))? {
            None => None,
            Some(EntryKind::Directory) if !overwrite => {
                return Err(fs_err(io::ErrorKind::AlreadyExists.into(), Syscall::Rename))
            }
            Some(EntryKind::Directory) => Some(
                std::fs::symlink_metadata(parent_path.join(target_name))
                    .map(|m| sys::mode_bits(&m))
                    .map_err(|e| fs_err(e, Syscall::Stat))?,
            ),
            Some(_) if !overwrite => {
                return Err(fs_err(io::ErrorKind::AlreadyExists.into(), Syscall::Rename))
            }
            Some(_) => return Err(fs_err(sys::not_a_directory(), Syscall::Rename)),
        },
    )
}

impl Drop for DirStage {
    fn drop(&mut self) {
        let phase = self.state().phase;
        if phase == Phase::Open || phase == Phase::Committing {
            self.state().phase = Phase::Dropped;
            self.remove_stage();
        }
    }
}
