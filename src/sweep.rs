//! Finding and removing scratch files orphaned by a SIGKILL or a power cut (guarantee 4).
//!
//! Only names of exactly the scratch shape are considered, only regular files (never a link
//! or a directory), only ones whose mtime is at least `older_than` old (a younger one may be a
//! live writer's in another process), never one of this process's in-flight publishes, and
//! never one whose writer, in any process, still holds its lock (a publish with an mtime in
//! the past stamps its scratch before the rename, so age alone cannot tell).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::errors::{FsFailure, Syscall};
use crate::scratch::{is_live, is_scratch_name, lock_if_abandoned};
use crate::target::DirId;

#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub older_than: Duration,
    pub recursive: bool,
    pub dry_run: bool,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self {
            older_than: Duration::from_secs(60),
            recursive: false,
            dry_run: false,
        }
    }
}

/// Remove (or with `dry_run`, only list) orphaned scratch files under `dir`; returns their
/// paths, spelled under `dir` as given.
pub fn sweep_orphans(dir: &Path, options: &SweepOptions) -> Result<Vec<PathBuf>, FsFailure> {
    let mut found = Vec::new();
    sweep_dir(dir, true, options, SystemTime::now(), &mut found)?;
    Ok(found)
}

fn sweep_dir(
    dir: &Path,
    top: bool,
    options: &SweepOptions,
    now: SystemTime,
    found: &mut Vec<PathBuf>,
) -> Result<(), FsFailure> {
    let listed = DirId::of(dir).and_then(|id| Ok((id, fs::read_dir(dir)?)));
    let (dir_id, entries) = match listed {
        Ok(listed) => listed,
        // A subdirectory removed while we walk is not an error.
        Err(e) if e.kind() == io::ErrorKind::NotFound && !top => return Ok(()),
        Err(e) => return Err(FsFailure::target(e, Syscall::Scandir)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| FsFailure::target(e, Syscall::Scandir))?;
        let name = entry.file_name();
        // file_type does not follow links: a symlinked directory is never entered.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if options.recursive {
                sweep_dir(&dir.join(&name), false, options, now, found)?;
            }
            continue;
        }
        if !kind.is_file() || !name.to_str().is_some_and(is_scratch_name) {
            continue;
        }
        let path = dir.join(&name);
        if !old_enough(&path, now, options.older_than) || is_live(&(dir_id.clone(), name)) {
            continue;
        }
        // A writer in another process holds a lock on its scratch while it is live.
        let Some(_abandoned) = lock_if_abandoned(&path) else {
            continue;
        };
        if !options.dry_run {
            match fs::remove_file(&path) {
                Ok(()) => {}
                // Another sweeper, or its own writer, got there first.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(FsFailure::target(e, Syscall::Unlink)),
            }
        }
        found.push(path);
    }
    Ok(())
}

fn old_enough(path: &Path, now: SystemTime, older_than: Duration) -> bool {
    let Ok(modified) = fs::symlink_metadata(path).and_then(|m| m.modified()) else {
        return false;
    };
    // A file from the future (clock skew) is not old.
    now.duration_since(modified)
        .is_ok_and(|age| age >= older_than)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::{PublishOptions, Publisher};
    use filetime::{set_file_mtime, FileTime};

    const OLD: i64 = 1_000_000_000;

    fn old_file(path: &Path) {
        fs::write(path, b"x").unwrap();
        set_file_mtime(path, FileTime::from_unix_time(OLD, 0)).unwrap();
    }

    fn sorted(mut v: Vec<PathBuf>) -> Vec<PathBuf> {
        v.sort();
        v
    }

    #[test]
    fn only_old_files_of_the_exact_scratch_shape_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        old_file(&d.join("data.bin.oxentmp.AbCdEf1234"));
        fs::write(d.join("young.bin.oxentmp.ZZZZZZZZZZ"), b"x").unwrap();
        for look_alike in [
            "data.bin.oxentmp.short",
            "data.bin.oxentmp.AbCdEf12345",
            "data.bin.oxentmp.AbCdEf123!",
            ".oxentmp.AbCdEf1234",
            "data.bin.oxentmp",
            "data.bin",
        ] {
            old_file(&d.join(look_alike));
        }
        fs::create_dir(d.join("dir.oxentmp.AbCdEf1234")).unwrap();
        let swept = sweep_orphans(d, &SweepOptions::default()).unwrap();
        assert_eq!(swept, [d.join("data.bin.oxentmp.AbCdEf1234")]);
        assert!(!d.join("data.bin.oxentmp.AbCdEf1234").exists());
        assert!(d.join("young.bin.oxentmp.ZZZZZZZZZZ").exists());
        assert_eq!(fs::read_dir(d).unwrap().count(), 8);
    }

    #[test]
    fn dry_run_lists_without_removing() {
        let dir = tempfile::tempdir().unwrap();
        let orphan = dir.path().join("f.oxentmp.0123456789");
        old_file(&orphan);
        let options = SweepOptions {
            dry_run: true,
            ..SweepOptions::default()
        };
        assert_eq!(
            sweep_orphans(dir.path(), &options).unwrap(),
            [orphan.as_path()]
        );
        assert!(orphan.exists());
    }

    #[test]
    fn recursive_descends_but_flat_does_not_and_links_are_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("a/b")).unwrap();
        old_file(&d.join("top.oxentmp.aaaaaaaaaa"));
        old_file(&d.join("a/b/deep.oxentmp.bbbbbbbbbb"));
        let outside = tempfile::tempdir().unwrap();
        old_file(&outside.path().join("o.oxentmp.cccccccccc"));
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path(), d.join("link")).unwrap();
        let flat = sweep_orphans(
            d,
            &SweepOptions {
                dry_run: true,
                ..SweepOptions::default()
            },
        )
        .unwrap();
        assert_eq!(flat, [d.join("top.oxentmp.aaaaaaaaaa")]);
        let deep = SweepOptions {
            recursive: true,
            ..SweepOptions::default()
        };
        assert_eq!(
            sorted(sweep_orphans(d, &deep).unwrap()),
            [
                d.join("a/b/deep.oxentmp.bbbbbbbbbb"),
                d.join("top.oxentmp.aaaaaaaaaa")
            ]
        );
        assert!(outside.path().join("o.oxentmp.cccccccccc").exists());
    }

    #[test]
    fn a_missing_directory_is_enoent() {
        let dir = tempfile::tempdir().unwrap();
        let err = sweep_orphans(&dir.path().join("missing"), &SweepOptions::default()).unwrap_err();
        assert_eq!(err.errno().code, "ENOENT");
    }

    #[test]
    fn an_in_flight_scratch_of_this_process_is_never_swept() {
        let dir = tempfile::tempdir().unwrap();
        let publisher =
            Publisher::begin(&dir.path().join("t"), PublishOptions::default(), false).unwrap();
        set_file_mtime(publisher.scratch_path(), FileTime::from_unix_time(OLD, 0)).unwrap();
        let swept = sweep_orphans(dir.path(), &SweepOptions::default()).unwrap();
        assert!(swept.is_empty(), "{swept:?}");
        assert!(publisher.scratch_path().exists());
        let scratch = publisher.scratch_path().to_path_buf();
        drop(publisher);
        assert!(!scratch.exists());
    }

    #[test]
    fn older_than_zero_takes_every_orphan_at_once() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("n.oxentmp.dddddddddd"), b"x").unwrap();
        let options = SweepOptions {
            older_than: Duration::ZERO,
            ..SweepOptions::default()
        };
        assert_eq!(sweep_orphans(dir.path(), &options).unwrap().len(), 1);
    }
}
