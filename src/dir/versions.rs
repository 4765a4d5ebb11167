//! The versioned layout: the target is a symbolic link to an immutable sibling tree
//! `<name>.v<version>`, for readers that cannot walk a tree by descriptor (Node has no
//! `openat`): such a reader resolves the link once (`fs.realpath`) and reads under the
//! version it names, which no commit ever changes.
//!
//! A commit stages and seals the tree as in the plain layout, renames the stage to a fresh
//! version name (exclusively), makes a link naming it under the stage's name, now free, and
//! swaps that link with the target in one step of the kernel. The displaced entry (the
//! previous link, or the plain tree the target was before) goes, then versions beyond the
//! ones kept (see [`prune`]).
//!
//! A version's name is `<name>.v<UTC time to the nanosecond>Z.<random>`, fixed width, so
//! the names sort by the time their commit began its swap, and the random part (and the
//! exclusive rename) keeps two commits of the same nanosecond apart.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{fs_err, DirStage};
use crate::errors::{FsFailure, PublishError, Syscall};
use crate::scratch;
use crate::sys::{self, unix_versions as vsys, unix_versions::Kind, TargetDir};

/// How many versions are kept by default: the current one and the two before it, so a reader
/// that pinned a version still has it through two more commits.
pub const DEFAULT_KEPT: u32 = 3;

/// How often a commit draws a version name while another commit holds the one it drew.
const NAME_ATTEMPTS: usize = 8;

/// How often the swap looks again at a target that changes between its look and its swap.
const SWAP_ATTEMPTS: usize = 8;

/// `.v`, between the target's name and the version.
const VERSION_INFIX: &[u8] = b".v";

/// Length of the random part of a version's name.
const VERSION_RANDOM_LEN: usize = 6;

/// `YYYYMMDDTHHMMSS.nnnnnnnnnZ.` and the random part.
const VERSION_LEN: usize = 8 + 1 + 6 + 1 + 9 + 1 + 1 + VERSION_RANDOM_LEN;

/// A fresh version name for `target`, from the time `now`.
pub fn version_name(target: &OsStr, now: SystemTime) -> OsString {
    let since = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let of_day = secs % 86_400;
    let mut name = target.to_os_string();
    name.push(format!(
        ".v{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{:09}Z.{}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        since.subsec_nanos(),
        scratch::random_part(VERSION_RANDOM_LEN)
    ));
    name
}

/// Is `name` a version of `target` (`<target>.v` and a version of the exact shape above)?
pub fn is_version_of(target: &OsStr, name: &OsStr) -> bool {
    let (target, name) = (vsys::name_bytes(target), vsys::name_bytes(name));
    let Some(rest) = name
        .strip_prefix(target)
        .and_then(|r| r.strip_prefix(VERSION_INFIX))
    else {
        return false;
    };
    rest.len() == VERSION_LEN
        && rest.iter().enumerate().all(|(at, &b)| match at {
            8 => b == b'T',
            15 | 26 => b == b'.',
            25 => b == b'Z',
            27.. => b.is_ascii_alphanumeric(),
            _ => b.is_ascii_digit(),
        })
}

/// The target whose version `name` is (`<target>.v<version>`), if `name` has that shape.
pub fn target_of_version(name: &OsStr) -> Option<&OsStr> {
    let bytes = vsys::name_bytes(name);
    let at = bytes.len().checked_sub(VERSION_INFIX.len() + VERSION_LEN)?;
    let target = std::os::unix::ffi::OsStrExt::from_bytes(&bytes[..at]);
    (at > 0 && is_version_of(target, name)).then_some(target)
}

/// Year, month, day of the day `days` after 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// What is at a target of the versioned layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Current {
    Missing,
    /// A link this layout made: it names the version tree `.0`, a sibling directory.
    Version(OsString),
    /// A plain directory: the first versioned commit converts it (see `docs/directories.md`).
    Directory,
    /// A link this layout did not make, or a file: refused.
    Foreign,
}

/// What `target` in `dir` is. Only `target` itself is read (as a link), never followed.
pub fn current(dir: impl std::os::fd::AsFd + Copy, target: &OsStr) -> io::Result<Current> {
    Ok(match vsys::kind_at(dir, target)? {
        None => Current::Missing,
        Some(Kind::Directory) => Current::Directory,
        Some(Kind::Other) => Current::Foreign,
        Some(Kind::Link) => match vsys::read_link_at(dir, target)? {
            Some(version)
                if is_version_of(target, &version)
                    && vsys::kind_at(dir, &version)? == Some(Kind::Directory) =>
            {
                Current::Version(version)
            }
            _ => Current::Foreign,
        },
    })
}

/// The refusal of a target that is a link this layout did not make, or a file.
pub fn foreign_target() -> PublishError {
    let mut failure = FsFailure::target(sys::not_a_directory(), Syscall::Rename);
    failure.detail = Some(
        "the target is neither a directory nor a link made by the versioned layout \
         (one naming a sibling version directory <name>.v<version>)"
            .into(),
    );
    failure.into()
}

/// For `DirStage::begin`: the mode the new version takes (the current tree's, if any).
pub fn current_mode(
    parent: &TargetDir,
    target: &OsStr,
    overwrite: bool,
) -> Result<Option<u32>, PublishError> {
    let stat = |e| fs_err(e, Syscall::Stat);
    let found = current(parent, target).map_err(stat)?;
    if found != Current::Missing && !overwrite {
        return Err(fs_err(io::ErrorKind::AlreadyExists.into(), Syscall::Rename));
    }
    match found {
        Current::Missing => Ok(None),
        Current::Version(version) => vsys::dir_mode_at(parent, &version).map(Some).map_err(stat),
        Current::Directory => vsys::dir_mode_at(parent, target).map(Some).map_err(stat),
        Current::Foreign => Err(foreign_target()),
    }
}

/// What was removed by [`prune`], and what could not be.
#[derive(Debug, Default)]
pub struct Pruned {
    pub removed: Vec<PathBuf>,
    pub failures: Vec<(PathBuf, io::Error)>,
}

/// Remove the versions of `target` in `dir` (spelled `dir_path`) beyond the `kept` newest,
/// the one the target names always among them. Nothing happens unless the target is a link
/// of this layout. A version a commit still holds (locked: it was renamed from a stage but
/// is not linked yet) is never removed, nor is anything that is not a directory; a tree is
/// removed without following any link in it.
pub fn prune(
    dir: impl std::os::fd::AsFd + Copy,
    dir_path: &Path,
    target: &OsStr,
    kept: u32,
    dry_run: bool,
) -> io::Result<Pruned> {
    let mut pruned = Pruned::default();
    let Current::Version(now) = current(dir, target)? else {
        return Ok(pruned);
    };
    let mut others = vsys::names_in(dir, |name| is_version_of(target, name) && name != now)?;
    // Newest first: the fixed-width names sort by time.
    others.sort_unstable_by(|a, b| b.cmp(a));
    let keep_others = (kept.max(1) - 1) as usize;
    for name in others.into_iter().skip(keep_others) {
        let path = dir_path.join(&name);
        let version = match vsys::open_dir_nofollow(dir, &name) {
            Ok(version) => version,
            Err(e) if sys::is_gone_or_other_kind(&e) => continue,
            Err(e) => {
                pruned.failures.push((path, e));
                continue;
            }
        };
        if scratch::held_by_writer(&version) {
            continue;
        }
        if dry_run {
            pruned.removed.push(path);
            continue;
        }
        let left = vsys::remove_tree_in(dir, &name, &path);
        if left.is_empty() {
            pruned.removed.push(path);
        }
        pruned.failures.extend(left);
    }
    Ok(pruned)
}

/// For a sweep: a scratch-named link (a versioned commit's, killed before its swap) that
/// names a version of its target. Returns whether `name` is one.
pub fn is_orphan_link(dir: impl std::os::fd::AsFd + Copy, name: &OsStr) -> bool {
    let bytes = vsys::name_bytes(name);
    let infix = scratch::SCRATCH_INFIX.as_bytes();
    let Some(at) = bytes.windows(infix.len()).rposition(|w| w == infix) else {
        return false;
    };
    let target = std::os::unix::ffi::OsStrExt::from_bytes(&bytes[..at]);
    matches!(
        vsys::read_link_at(dir, name),
        Ok(Some(content)) if is_version_of(target, &content)
    )
}

impl DirStage {
    /// The name of the tree `fromCurrent` links from: the version the target names.
    pub(super) fn current_tree_name(&self) -> Result<OsString, PublishError> {
        match current(&self.parent, &self.target_name).map_err(|e| fs_err(e, Syscall::Stat))? {
            Current::Version(version) => Ok(version),
            Current::Missing | Current::Directory => Ok(self.target_name.clone()),
            Current::Foreign => Err(foreign_target()),
        }
    }

    /// The swap of the versioned layout: the stage becomes a version, and a link naming it
    /// replaces the target. True if something was displaced (it is now under the stage's
    /// name). On failure the stage is back under its name, for the caller to remove.
    pub(super) fn swap_version(&self) -> Result<bool, PublishError> {
        let (parent, stage) = (&self.parent, &self.stage_name);
        let mut version = None;
        for _ in 0..NAME_ATTEMPTS {
            let name = version_name(&self.target_name, SystemTime::now());
            match sys::rename_dir_noreplace(parent, stage, &name) {
                Ok(()) => {
                    version = Some(name);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(fs_err(e, Syscall::Rename)),
            }
        }
        let version =
            version.ok_or_else(|| fs_err(io::ErrorKind::AlreadyExists.into(), Syscall::Rename))?;
        // Each step's error names its own system call: a failed fsync is not a failed rename.
        let linked = vsys::symlink_at(parent, &version, stage)
            .map_err(|e| fs_err(e, Syscall::Symlink))
            .and_then(|()| {
                // At 'file' and 'full', the version's name and its link are durable before the
                // link is swapped in: a file system that orders no two name changes could
                // otherwise keep the swap and lose the rename, a target naming nothing.
                let durable = match self.options.durability.syncs_file() {
                    true => self.parent.sync().map_err(|e| fs_err(e, Syscall::Fsync)),
                    false => Ok(()),
                };
                durable
                    .and_then(|()| self.link_in().map_err(|e| fs_err(e, Syscall::Rename)))
                    .inspect_err(|_| {
                        let _ = vsys::unlink_at(parent, stage);
                    })
            });
        if let Err(error) = linked {
            // Back under the stage's name, where the failed commit removes it; failing that,
            // removed under its own, or named as left: a version no link names would
            // otherwise stay unreported.
            if sys::rename_dir_noreplace(parent, &version, stage).is_err() {
                let path = self.parent_path.join(&version);
                if !sys::remove_tree(parent, &version, &path).is_empty() {
                    return Err(PublishError::LeftBehind {
                        cause: Box::new(error),
                        scratch: path,
                    });
                }
            }
            return Err(error);
        }
        linked
    }

    /// Swap the link under the stage's name in at the target.
    fn link_in(&self) -> io::Result<bool> {
        let (parent, link, target) = (&self.parent, &self.stage_name, &self.target_name);
        for _ in 0..SWAP_ATTEMPTS {
            match current(parent, target)? {
                Current::Missing => match sys::rename_dir_noreplace(parent, link, target) {
                    Ok(()) => return Ok(false),
                    Err(e)
                        if e.kind() == io::ErrorKind::AlreadyExists && self.options.overwrite => {}
                    Err(e) => return Err(e),
                },
                _ if !self.options.overwrite => return Err(io::ErrorKind::AlreadyExists.into()),
                Current::Foreign => return Err(sys::not_a_directory()),
                Current::Version(_) | Current::Directory => {
                    match sys::exchange(parent, link, target) {
                        Ok(()) => return Ok(true),
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Err(sys::target_changed())
    }

    /// After the swap: the displaced entry goes (a link, or the plain tree the target was
    /// before), then the versions beyond those kept; now or on a thread of its own. Returns
    /// what could not be removed (when waited for).
    pub(super) fn after_version(
        &self,
        displaced: bool,
        live: Option<scratch::LiveEntry>,
        kept: u32,
    ) -> Vec<PathBuf> {
        let parent_path = self.parent_path.clone();
        let (stage, target) = (self.stage_name.clone(), self.target_name.clone());
        let clean = move |parent: &TargetDir| {
            let mut left = Vec::new();
            if displaced {
                let path = parent_path.join(&stage);
                match vsys::kind_at(parent, &stage) {
                    Ok(Some(Kind::Directory)) => {
                        left.extend(vsys::remove_tree_in(parent, &stage, &path))
                    }
                    Ok(Some(_)) => {
                        if let Err(e) = vsys::unlink_at(parent, &stage) {
                            left.push((path, e));
                        }
                    }
                    Ok(None) => {}
                    Err(e) => left.push((path, e)),
                }
            }
            drop(live);
            match prune(parent, &parent_path, &target, kept, false) {
                Ok(pruned) => left.extend(pruned.failures),
                Err(e) => left.push((parent_path.join(&target), e)),
            }
            left.into_iter().map(|(path, _)| path).collect::<Vec<_>>()
        };
        if self.options.wait_for_removal {
            return clean(&self.parent);
        }
        let Ok(parent) = TargetDir::open(&self.parent_path) else {
            return vec![self.stage_path()];
        };
        std::thread::spawn(move || clean(&parent));
        Vec::new()
    }
}
