//! Trees deeper than the levels a sweep keeps open, and trees that change under it.

use super::trail::Trail;
use super::*;
use filetime::{set_file_mtime, FileTime};
use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn old_file(path: &Path) {
    fs::write(path, b"x").unwrap();
    set_file_mtime(path, FileTime::from_unix_time(1_000_000_000, 0)).unwrap();
}

fn recursive() -> SweepOptions {
    SweepOptions {
        recursive: true,
        ..SweepOptions::default()
    }
}

/// `top/d/d/…` `depth` levels down; the path of each level, top first.
fn nested(top: &Path, depth: usize) -> Vec<PathBuf> {
    fs::create_dir_all(top).unwrap();
    let mut levels = vec![top.to_path_buf()];
    for _ in 0..depth {
        let next = levels.last().unwrap().join("d");
        fs::create_dir(&next).unwrap();
        levels.push(next);
    }
    levels
}

#[test]
fn a_tree_far_deeper_than_the_open_levels_is_swept_whole() {
    let dir = tempfile::tempdir().unwrap();
    let levels = nested(dir.path(), 300);
    let mut expected = Vec::new();
    for (i, level) in levels.iter().enumerate().step_by(7) {
        // A side branch too, entered after the way down and back up past closed levels.
        let side = level.join("side");
        fs::create_dir(&side).unwrap();
        for orphan in [
            level.join("o.oxentmp.Ab3dE6"),
            side.join("s.oxentmp.Ab3dE6"),
        ] {
            old_file(&orphan);
            expected.push(orphan);
        }
        if i % 2 == 0 {
            fs::write(level.join("young.oxentmp.Ab3dE6"), b"live").unwrap();
        }
    }
    expected.sort();
    let report = sweep_keeping_open(dir.path(), &recursive(), 3).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let mut removed = report.removed;
    removed.sort();
    assert_eq!(removed, expected);
    assert!(expected.iter().all(|p| fs::symlink_metadata(p).is_err()));
    assert!(levels[294].join("young.oxentmp.Ab3dE6").exists());
}

/// A trail down `top/a/b/c/d` that keeps one level open below the top.
fn down_to_d(top: &Path) -> Trail {
    fs::create_dir_all(top.join("a/b/c/d")).unwrap();
    let mut trail = Trail::new(top, SweepDir::open(top).unwrap(), 1);
    for name in ["a", "b", "c", "d"] {
        let dir = trail.deepest().open_subdir(OsStr::new(name)).unwrap();
        trail.enter(name.into(), dir);
    }
    trail
}

fn key_of(path: &Path) -> crate::sys::DirKey {
    SweepDir::open(path).unwrap().key()
}

#[test]
fn a_level_moved_out_of_the_tree_is_left_through_its_old_parent_never_its_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let (top, outside) = (dir.path().join("top"), dir.path().join("outside"));
    fs::create_dir_all(&outside).unwrap();
    let mut trail = down_to_d(&top);
    fs::rename(top.join("a/b/c"), outside.join("c")).unwrap();
    // d's parent is still c, wherever c now is.
    assert!(trail.leave().is_none());
    assert_eq!(trail.deepest().key(), key_of(&outside.join("c")));
    // c's `..` is now `outside`: b is found again by its names from the top instead.
    assert!(trail.leave().is_none());
    assert_eq!(trail.path(), top.join("a/b"));
    assert_eq!(trail.deepest().key(), key_of(&top.join("a/b")));
}

#[test]
fn a_level_replaced_by_another_directory_is_reported_and_the_walk_goes_on_above_it() {
    let dir = tempfile::tempdir().unwrap();
    let (top, outside) = (dir.path().join("top"), dir.path().join("outside"));
    fs::create_dir_all(&outside).unwrap();
    let mut trail = down_to_d(&top);
    assert!(trail.leave().is_none());
    fs::rename(top.join("a/b/c"), outside.join("c")).unwrap();
    fs::rename(top.join("a/b"), outside.join("b")).unwrap();
    fs::create_dir(top.join("a/b")).unwrap();
    let (path, error) = trail.leave().expect("b is gone");
    assert_eq!(path, top.join("a/b"));
    assert_eq!(crate::errors::errno_name(&error).code, "ENOENT");
    assert_eq!(trail.path(), top.join("a"));
    assert_eq!(trail.deepest().key(), key_of(&top.join("a")));
    assert!(trail.leave().is_none());
    assert!(trail.leave().is_none());
    assert!(trail.is_done());
}

#[test]
fn subtrees_moved_in_and_out_during_sweeps_never_lead_a_sweep_outside_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let (top, outside) = (dir.path().join("top"), dir.path().join("outside"));
    let levels = nested(&top, 40);
    // Siblings at every level, still to enter when the sweep comes back up; the same names
    // outside, each holding a scratch-shaped file that a sweep there would take.
    let mut bystanders = Vec::new();
    for name in ["a", "e", "z"] {
        for level in &levels {
            fs::create_dir(level.join(name)).unwrap();
        }
        fs::create_dir_all(outside.join(name)).unwrap();
        bystanders.push(outside.join(name).join("bystander.oxentmp.Ab3dE6"));
    }
    bystanders.push(outside.join("bystander.oxentmp.Ab3dE6"));
    bystanders.iter().for_each(|b| old_file(b));
    let stop = Arc::new(AtomicBool::new(false));
    let mover = {
        let (from, to, stop) = (levels[3].clone(), outside.join("moved"), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = fs::rename(&from, &to);
                let _ = fs::rename(&to, &from);
            }
        })
    };
    for round in 0..300 {
        // Written while its subtree is in place (it may be outside at any moment).
        let deep = levels[40].join("deep.oxentmp.Ab3dE6");
        if fs::write(&deep, b"x").is_ok() {
            let _ = set_file_mtime(&deep, FileTime::from_unix_time(1_000_000_000, 0));
        }
        let report = sweep_keeping_open(&top, &recursive(), 2).unwrap();
        let kept = bystanders.iter().all(|b| b.exists());
        assert!(kept, "swept outside the tree in round {round}");
        for (path, failure) in &report.failures {
            assert_eq!(failure.errno().code, "ENOENT", "{path:?}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    mover.join().unwrap();
}

#[test]
fn levels_closed_for_want_of_descriptors_are_opened_again_on_the_way_up() {
    let dir = tempfile::tempdir().unwrap();
    let levels = nested(dir.path(), 10);
    let mut trail = Trail::new(dir.path(), SweepDir::open(dir.path()).unwrap(), 32);
    for _ in 0..10 {
        let sub = trail.deepest().open_subdir(OsStr::new("d")).unwrap();
        trail.enter("d".into(), sub);
    }
    // Levels 1 to 9 can go; the top and the deepest stay.
    assert_eq!((0..12).filter(|_| trail.close_one()).count(), 9);
    for level in levels.iter().rev().skip(1) {
        assert!(trail.leave().is_none());
        assert_eq!(trail.path(), *level);
        assert_eq!(trail.deepest().key(), key_of(level));
    }
    assert!(trail.leave().is_none());
    assert!(trail.is_done());
}
