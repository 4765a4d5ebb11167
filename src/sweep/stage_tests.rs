//! Sweeping stage directories: orphans go whole, never through a link, never a live one.

use super::*;
use crate::dir::{DirOptions, DirStage, EntryOptions, Source};
use crate::test_support::names_in;
use filetime::{set_file_mtime, FileTime};
use std::fs;

const OLD: i64 = 1_000_000_000;

/// A stage left by a killed publish: a tree with a link out of it, made long ago.
fn orphan_stage(dir: &Path, outside: &Path) -> PathBuf {
    let stage = dir.join("site.oxentmp.Ab3dE6Gh9K");
    fs::create_dir_all(stage.join("a/b")).unwrap();
    fs::write(stage.join("a/b/f"), b"x").unwrap();
    fs::write(stage.join("top"), b"x").unwrap();
    std::os::unix::fs::symlink(outside, stage.join("a/out")).unwrap();
    set_file_mtime(&stage, FileTime::from_unix_time(OLD, 0)).unwrap();
    stage
}

fn outside(dir: &Path) -> PathBuf {
    let outside = dir.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("precious"), b"p").unwrap();
    outside
}

#[test]
fn an_orphaned_stage_goes_whole_and_nothing_through_its_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = outside(d);
    let stage = orphan_stage(d, &out);
    let dry = SweepOptions {
        dry_run: true,
        ..SweepOptions::default()
    };
    assert_eq!(
        sweep_orphans(d, &dry).unwrap().removed,
        std::slice::from_ref(&stage)
    );
    assert!(stage.exists());
    let report = sweep_orphans(d, &SweepOptions::default()).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.removed, [stage]);
    assert_eq!(names_in(d), ["outside"]);
    assert_eq!(fs::read(out.join("precious")).unwrap(), b"p");
}

#[test]
fn a_recursive_sweep_finds_stages_below_and_never_enters_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = outside(d);
    fs::create_dir(d.join("deep")).unwrap();
    let stage = orphan_stage(&d.join("deep"), &out);
    // A scratch-shaped file inside a stage is the stage's, not an orphan of its own.
    let inner = stage.join("x.oxentmp.Ab3dE6");
    fs::write(&inner, b"x").unwrap();
    set_file_mtime(&inner, FileTime::from_unix_time(OLD, 0)).unwrap();
    set_file_mtime(&stage, FileTime::from_unix_time(OLD, 0)).unwrap();
    let options = SweepOptions {
        recursive: true,
        ..SweepOptions::default()
    };
    let report = sweep_orphans(d, &options).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.removed, [stage]);
    assert!(names_in(&d.join("deep")).is_empty());
    assert_eq!(fs::read(out.join("precious")).unwrap(), b"p");
}

#[test]
fn a_live_stage_is_never_swept_in_this_process_or_under_another_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = DirStage::begin(&d.join("site"), DirOptions::default()).unwrap();
    live.stage_file(
        OsStr::new("a/f"),
        Source::Bytes(b"x"),
        &EntryOptions::default(),
    )
    .unwrap();
    let now = SweepOptions {
        older_than: Duration::ZERO,
        ..SweepOptions::default()
    };
    assert!(sweep_orphans(d, &now).unwrap().removed.is_empty());
    // Locked by another descriptor (another process's publish), not in this live set.
    let other = d.join("other.oxentmp.Ab3dE6Gh9K");
    fs::create_dir(&other).unwrap();
    let held = fs::File::open(&other).unwrap();
    held.lock().unwrap();
    assert!(sweep_orphans(d, &now).unwrap().removed.is_empty());
    drop(held);
    assert_eq!(sweep_orphans(d, &now).unwrap().removed, [other]);
    live.commit().unwrap();
    assert_eq!(names_in(d), ["site"]);
}

#[test]
fn entries_it_cannot_remove_are_reported_and_the_rest_goes() {
    if nix::unistd::geteuid().is_root() {
        eprintln!("skipped: root removes entries whatever the directory's mode");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = outside(d);
    let stage = orphan_stage(d, &out);
    fs::set_permissions(stage.join("a/b"), fs::Permissions::from_mode(0o500)).unwrap();
    let report = sweep_orphans(d, &SweepOptions::default()).unwrap();
    assert!(report.removed.is_empty());
    assert!(
        report
            .failures
            .iter()
            .any(|(p, f)| p.ends_with("a/b/f") && f.errno().code == "EACCES"),
        "{:?}",
        report.failures
    );
    // Left under a scratch name for a later sweep, whatever name that is.
    let left: Vec<_> = names_in(d).into_iter().filter(|n| n != "outside").collect();
    assert_eq!(left.len(), 1);
    let left = d.join(&left[0]);
    fs::set_permissions(left.join("a/b"), fs::Permissions::from_mode(0o700)).unwrap();
    let now = SweepOptions {
        older_than: Duration::ZERO,
        ..SweepOptions::default()
    };
    assert_eq!(sweep_orphans(d, &now).unwrap().removed.len(), 1);
    assert_eq!(names_in(d), ["outside"]);
}
