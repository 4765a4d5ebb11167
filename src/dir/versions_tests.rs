use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::versions::{is_version_of, version_name, Current};
use super::*;
use crate::sweep::{sweep_orphans, SweepOptions};
use crate::test_support::names_in;

fn versioned(kept: u32) -> DirOptions {
    DirOptions {
        layout: Layout::Versioned { kept },
        ..DirOptions::default()
    }
}

fn publish(target: &Path, options: DirOptions, marker: &str) -> Result<Manifest, PublishError> {
    let stage = DirStage::begin(target, options)?;
    for rel in ["a", "sub/b"] {
        stage.stage_file(
            OsStr::new(rel),
            Source::Bytes(marker.as_bytes()),
            &EntryOptions::default(),
        )?;
    }
    stage.commit()
}

fn versions_of(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| is_version_of(OsStr::new("site"), n))
        .map(|n| n.to_str().unwrap().to_string())
        .collect()
}

fn link_of(target: &Path) -> OsString {
    fs::read_link(target).unwrap().into_os_string()
}

#[test]
fn version_names_sort_by_time_and_have_one_shape() {
    let at = |secs| SystemTime::UNIX_EPOCH + Duration::new(secs, 5);
    let first = version_name(OsStr::new("site"), at(951_782_400)); // 2000-02-29
    assert!(first
        .to_str()
        .unwrap()
        .starts_with("site.v20000229T000000.000000005Z."));
    let names: Vec<_> = [1u64, 59, 86_399, 86_400, 4_102_444_800]
        .iter()
        .map(|&s| version_name(OsStr::new("site"), at(s)))
        .collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]));
    assert!(names.iter().all(|n| is_version_of(OsStr::new("site"), n)));
    assert!(!is_version_of(OsStr::new("sit"), &names[0]));
    assert!(!is_version_of(OsStr::new("site"), OsStr::new("site.v1")));
    assert!(!is_version_of(
        OsStr::new("site"),
        OsStr::new("site.v20000229T000000.000000005Z./bad/")
    ));
    assert_ne!(first, version_name(OsStr::new("site"), at(951_782_400)));
}

#[test]
fn each_commit_is_a_new_version_and_only_the_kept_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    let mut linked = Vec::new();
    for n in 0..5 {
        publish(&target, versioned(3), &format!("v{n}")).unwrap();
        assert_eq!(
            fs::read(target.join("sub/b")).unwrap(),
            format!("v{n}").as_bytes()
        );
        linked.push(link_of(&target));
        // Relative, a sibling: the tree can be moved with its parent.
        assert!(!Path::new(&linked[n]).is_absolute());
    }
    let mut kept = versions_of(dir.path());
    kept.sort();
    let newest: Vec<_> = linked[2..]
        .iter()
        .map(|n| n.to_str().unwrap().to_string())
        .collect();
    assert_eq!(kept, newest);
    // The link and the kept versions, nothing else (no stage, no scratch link).
    assert_eq!(names_in(dir.path()).len(), 4);
}

#[test]
fn a_plain_directory_is_converted_at_the_first_versioned_commit() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    publish(&target, DirOptions::default(), "plain").unwrap();
    publish(&target, versioned(2), "v1").unwrap();
    assert!(fs::symlink_metadata(&target).unwrap().is_symlink());
    assert_eq!(fs::read(target.join("a")).unwrap(), b"v1");
    assert_eq!(names_in(dir.path()).len(), 2);
}

#[test]
fn a_link_not_made_here_or_a_file_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    fs::create_dir(dir.path().join("elsewhere")).unwrap();
    symlink("elsewhere", &target).unwrap();
    let err = publish(&target, versioned(2), "x").err().unwrap();
    assert_eq!(err.code(), "ENOTDIR");
    assert_eq!(link_of(&target), "elsewhere");
    // A link with a version's shape that names no directory is not ours either.
    fs::remove_file(&target).unwrap();
    let fake = version_name(OsStr::new("site"), SystemTime::now());
    symlink(&fake, &target).unwrap();
    assert_eq!(
        publish(&target, versioned(2), "x").err().unwrap().code(),
        "ENOTDIR"
    );
    fs::remove_file(&target).unwrap();
    fs::write(&target, b"file").unwrap();
    assert_eq!(
        publish(&target, versioned(2), "x").err().unwrap().code(),
        "ENOTDIR"
    );
    assert_eq!(fs::read(&target).unwrap(), b"file");
    assert_eq!(names_in(dir.path()), ["elsewhere", "site"]);
}

#[test]
fn no_overwrite_refuses_an_existing_versioned_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    publish(&target, versioned(2), "v0").unwrap();
    let before = link_of(&target);
    let options = DirOptions {
        overwrite: false,
        ..versioned(2)
    };
    assert_eq!(
        publish(&target, options, "v1").err().unwrap().code(),
        "EEXIST"
    );
    assert_eq!(link_of(&target), before);
    assert_eq!(names_in(dir.path()).len(), 2);
}

#[test]
fn from_current_links_the_version_the_target_names() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    publish(&target, versioned(2), "v0").unwrap();
    let stage = DirStage::begin(&target, versioned(2)).unwrap();
    assert_eq!(stage.link_current().unwrap(), 2);
    stage
        .stage_file(
            OsStr::new("a"),
            Source::Bytes(b"v1"),
            &EntryOptions::default(),
        )
        .unwrap();
    stage.commit().unwrap();
    assert_eq!(fs::read(target.join("a")).unwrap(), b"v1");
    assert_eq!(fs::read(target.join("sub/b")).unwrap(), b"v0");
    // The kept previous version still holds its own bytes.
    let old: Vec<_> = versions_of(dir.path())
        .into_iter()
        .filter(|v| OsStr::new(v) != link_of(&target))
        .collect();
    assert_eq!(fs::read(dir.path().join(&old[0]).join("a")).unwrap(), b"v0");
}

#[test]
fn a_sweep_keeps_the_kept_versions_and_takes_orphans_and_stale_links() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    for n in 0..3 {
        publish(&target, versioned(5), &format!("v{n}")).unwrap();
    }
    let current = link_of(&target);
    // What a commit killed between its steps leaves: an unlinked version, a scratch link.
    let orphan = version_name(OsStr::new("site"), SystemTime::now());
    fs::create_dir(dir.path().join(&orphan)).unwrap();
    fs::write(dir.path().join(&orphan).join("a"), b"orphan").unwrap();
    symlink(&orphan, dir.path().join("site.oxentmp.AbCdEf1234")).unwrap();
    let any_age = |kept| SweepOptions {
        older_than: Duration::ZERO,
        kept_versions: kept,
        ..SweepOptions::default()
    };
    // Without `kept_versions` only the scratch link goes.
    let report = sweep_orphans(dir.path(), &any_age(None)).unwrap();
    assert_eq!(report.removed, [dir.path().join("site.oxentmp.AbCdEf1234")]);
    assert_eq!(versions_of(dir.path()).len(), 4);
    // Keep 2: the current one and the newest other, the orphan (newest by name).
    let report = sweep_orphans(dir.path(), &any_age(Some(2))).unwrap();
    assert!(report.failures.is_empty());
    assert_eq!(report.removed.len(), 2);
    let mut left = versions_of(dir.path());
    left.sort();
    let mut want = vec![
        current.to_str().unwrap().to_string(),
        orphan.to_str().unwrap().to_string(),
    ];
    want.sort();
    assert_eq!(left, want);
    assert_eq!(fs::read(target.join("a")).unwrap(), b"v2");
}

#[test]
fn a_locked_version_is_never_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    for n in 0..2 {
        publish(&target, versioned(1), &format!("v{n}")).unwrap();
    }
    let held = version_name(OsStr::new("site"), SystemTime::UNIX_EPOCH);
    fs::create_dir(dir.path().join(&held)).unwrap();
    let lock = fs::File::open(dir.path().join(&held)).unwrap();
    lock.lock().unwrap();
    let pruned = versions::prune(
        &TargetDir::open(dir.path()).unwrap(),
        dir.path(),
        OsStr::new("site"),
        1,
        false,
    )
    .unwrap();
    assert!(pruned.removed.is_empty());
    assert_eq!(versions_of(dir.path()).len(), 2);
    drop(lock);
    let parent = TargetDir::open(dir.path()).unwrap();
    assert!(matches!(
        versions::current(&parent, OsStr::new("site")).unwrap(),
        Current::Version(_)
    ));
    versions::prune(&parent, dir.path(), OsStr::new("site"), 1, false).unwrap();
    assert_eq!(versions_of(dir.path()).len(), 1);
}

#[test]
fn a_sweep_with_kept_versions_takes_a_version_no_link_names_when_the_target_is_missing_or_plain() {
    let any_age = SweepOptions {
        older_than: Duration::ZERO,
        kept_versions: Some(2),
        ..SweepOptions::default()
    };
    for plain_target in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        if plain_target {
            fs::create_dir(dir.path().join("site")).unwrap();
            fs::write(dir.path().join("site/a"), b"plain").unwrap();
        }
        // A first (or converting) commit stopped after renaming its stage to the version's
        // name, before its link was swapped in.
        let orphan = version_name(OsStr::new("site"), SystemTime::now());
        fs::create_dir_all(dir.path().join(&orphan).join("sub")).unwrap();
        fs::write(dir.path().join(&orphan).join("sub/a"), b"never linked").unwrap();
        // One a commit still holds stays, as does a young one when age counts.
        let held = version_name(OsStr::new("site"), SystemTime::UNIX_EPOCH);
        fs::create_dir(dir.path().join(&held)).unwrap();
        let lock = fs::File::open(dir.path().join(&held)).unwrap();
        lock.lock().unwrap();
        let young = SweepOptions {
            older_than: Duration::from_secs(3600),
            ..any_age.clone()
        };
        assert!(sweep_orphans(dir.path(), &young)
            .unwrap()
            .removed
            .is_empty());
        // Without kept_versions, versions are left alone.
        let none = SweepOptions {
            kept_versions: None,
            ..any_age.clone()
        };
        assert!(sweep_orphans(dir.path(), &none).unwrap().removed.is_empty());
        let report = sweep_orphans(dir.path(), &any_age).unwrap();
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        assert_eq!(
            report.removed,
            [dir.path().join(&orphan)],
            "plain: {plain_target}"
        );
        assert_eq!(
            versions_of(dir.path()),
            [held.to_str().unwrap().to_string()]
        );
        if plain_target {
            assert_eq!(fs::read(dir.path().join("site/a")).unwrap(), b"plain");
        }
        drop(lock);
    }
}

#[test]
fn a_version_of_another_target_is_kept_while_its_own_target_names_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    publish(&target, versioned(5), "v0").unwrap();
    // `site.v…` of a target `site` that names a version: pruned by count, not as an orphan.
    let older = version_name(OsStr::new("site"), SystemTime::UNIX_EPOCH);
    fs::create_dir(dir.path().join(&older)).unwrap();
    let keep_all = SweepOptions {
        older_than: Duration::ZERO,
        kept_versions: Some(5),
        ..SweepOptions::default()
    };
    assert!(sweep_orphans(dir.path(), &keep_all)
        .unwrap()
        .removed
        .is_empty());
    assert_eq!(versions_of(dir.path()).len(), 2);
}
