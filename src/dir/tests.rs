use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::*;
use crate::hash;
use crate::options::Mtime;
use crate::test_support::names_in;

fn bytes(rel: &str, data: &[u8]) -> (String, Vec<u8>) {
    (rel.to_string(), data.to_vec())
}

fn publish(target: &Path, files: &[(String, Vec<u8>)]) -> Result<Manifest, PublishError> {
    let stage = DirStage::begin(target, DirOptions::default())?;
    for (rel, data) in files {
        stage.stage_file(
            OsStr::new(rel),
            Source::Bytes(data),
            &EntryOptions::default(),
        )?;
    }
    stage.commit()
}

fn stage_file(stage: &DirStage, rel: &str, data: &[u8]) -> Result<ManifestEntry, PublishError> {
    stage.stage_file(
        OsStr::new(rel),
        Source::Bytes(data),
        &EntryOptions::default(),
    )
}

#[test]
fn a_new_tree_is_published_whole_with_its_manifest_and_nothing_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    let manifest = publish(
        &target,
        &[bytes("index.html", b"<h1>"), bytes("a/b/c.json", b"{}")],
    )
    .unwrap();
    assert_eq!(fs::read(target.join("index.html")).unwrap(), b"<h1>");
    assert_eq!(fs::read(target.join("a/b/c.json")).unwrap(), b"{}");
    assert_eq!(names_in(dir.path()), ["site"]);
    let paths: Vec<_> = manifest.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(paths, ["a/b/c.json", "index.html"]);
    assert_eq!(manifest.files[1].hash, hash::digest(b"<h1>"));
    assert_eq!(manifest.total_bytes, 6);
    // Owner-only while staged, a plain directory's mode once published.
    let mode = fs::metadata(&target).unwrap().mode() & 0o777;
    let plain = {
        fs::create_dir(dir.path().join("plain")).unwrap();
        fs::metadata(dir.path().join("plain")).unwrap().mode() & 0o777
    };
    assert_eq!(mode, plain);
}

#[test]
fn a_tree_replaces_the_old_one_whole_and_the_old_one_goes() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site");
    publish(&target, &[bytes("old.txt", b"1"), bytes("d/old", b"1")]).unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o750)).unwrap();
    publish(&target, &[bytes("new.txt", b"2")]).unwrap();
    assert_eq!(names_in(&target), ["new.txt"]);
    assert_eq!(names_in(dir.path()), ["site"]);
    assert_eq!(fs::metadata(&target).unwrap().mode() & 0o777, 0o750);
}

#[test]
fn a_stage_is_owner_only_locked_and_named_as_a_scratch_while_it_is_filled() {
    let dir = tempfile::tempdir().unwrap();
    let stage = DirStage::begin(&dir.path().join("t"), DirOptions::default()).unwrap();
    let path = stage.stage_path();
    let name = path.file_name().unwrap();
    assert!(crate::scratch::is_scratch_name(name), "{name:?}");
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o700);
    let other = fs::File::open(&path).unwrap();
    assert!(crate::scratch::held_by_writer(&other));
    drop(stage);
    assert!(names_in(dir.path()).is_empty(), "dropped stage removed");
}

#[test]
fn no_overwrite_refuses_an_existing_tree_and_of_two_racers_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    let options = || DirOptions {
        overwrite: false,
        ..DirOptions::default()
    };
    let a = DirStage::begin(&target, options()).unwrap();
    let b = DirStage::begin(&target, options()).unwrap();
    stage_file(&a, "who", b"a").unwrap();
    stage_file(&b, "who", b"b").unwrap();
    a.commit().unwrap();
    let lost = b.commit().unwrap_err();
    assert_eq!(lost.code(), "EEXIST");
    assert_eq!(fs::read(target.join("who")).unwrap(), b"a");
    assert_eq!(names_in(dir.path()), ["t"]);
    let late = DirStage::begin(&target, options()).err().unwrap();
    assert_eq!(late.code(), "EEXIST");
}

#[test]
fn one_hash_mismatch_publishes_nothing_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    publish(&target, &[bytes("keep", b"old")]).unwrap();
    for copy in [false, true] {
        let stage = DirStage::begin(&target, DirOptions::default()).unwrap();
        stage_file(&stage, "good", b"fine").unwrap();
        let wrong = EntryOptions {
            expected_hash: Some(hash::digest(b"other")),
            ..EntryOptions::default()
        };
        let src = dir.path().join("src");
        fs::write(&src, b"bytes").unwrap();
        let source = if copy {
            Source::File(&src)
        } else {
            Source::Bytes(b"bytes")
        };
        let err = stage
            .stage_file(OsStr::new("bad"), source, &wrong)
            .unwrap_err();
        assert_eq!(err.code(), "ERR_HASH_MISMATCH");
        assert_eq!(stage.commit().unwrap_err().code(), "ERR_HASH_MISMATCH");
        fs::remove_file(&src).unwrap();
        assert_eq!(names_in(&target), ["keep"]);
        assert_eq!(names_in(dir.path()), ["t"]);
    }
}

#[test]
fn hostile_paths_are_refused_and_make_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let stage = DirStage::begin(&dir.path().join("t"), DirOptions::default()).unwrap();
    for raw in ["../escape", "/abs", "a/../../b", "", "a//b", "./a", "a/"] {
        let err = stage_file(&stage, raw, b"x").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{raw:?}");
    }
    assert!(names_in(&stage.stage_path()).is_empty());
    stage.commit().unwrap();
    assert!(names_in(&dir.path().join("t")).is_empty());
    assert_eq!(names_in(dir.path()), ["t"]);
}

#[test]
fn a_link_planted_in_the_stage_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let stage = DirStage::begin(&dir.path().join("t"), DirOptions::default()).unwrap();
    std::os::unix::fs::symlink(&outside, stage.stage_path().join("a")).unwrap();
    std::os::unix::fs::symlink(outside.join("f"), stage.stage_path().join("f")).unwrap();
    let through_dir = stage_file(&stage, "a/x", b"x").unwrap_err();
    assert!(
        ["ELOOP", "ENOTDIR"].contains(&through_dir.code().as_str()),
        "{through_dir}"
    );
    assert_eq!(stage_file(&stage, "f", b"x").unwrap_err().code(), "EEXIST");
    assert!(names_in(&outside).is_empty());
    // The stage's removal unlinks the links themselves.
    drop(stage);
    assert!(outside.exists());
    assert_eq!(names_in(dir.path()), ["outside"]);
}

#[test]
fn the_old_trees_removal_never_follows_a_link_out_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("precious"), b"p").unwrap();
    let target = dir.path().join("t");
    publish(&target, &[bytes("x", b"1")]).unwrap();
    std::os::unix::fs::symlink(&outside, target.join("link")).unwrap();
    publish(&target, &[bytes("y", b"2")]).unwrap();
    assert_eq!(fs::read(outside.join("precious")).unwrap(), b"p");
    assert_eq!(names_in(dir.path()), ["outside", "t"]);
}

#[test]
fn abort_and_staging_twice() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    let stage = DirStage::begin(&target, DirOptions::default()).unwrap();
    stage_file(&stage, "a", b"1").unwrap();
    assert_eq!(stage_file(&stage, "a", b"2").unwrap_err().code(), "EEXIST");
    assert!(stage.abort().is_empty());
    assert_eq!(
        stage_file(&stage, "b", b"1").unwrap_err().code(),
        "ABORT_ERR"
    );
    assert_eq!(stage.commit().unwrap_err().code(), "ABORT_ERR");
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn a_cancel_before_the_swap_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    let control = Arc::new(Control::default());
    let stage = DirStage::begin(
        &target,
        DirOptions {
            control: Some(control.clone()),
            ..DirOptions::default()
        },
    )
    .unwrap();
    stage_file(&stage, "a", b"1").unwrap();
    assert_eq!(control.bytes_written(), 1);
    assert!(control.cancel());
    assert_eq!(stage.commit().unwrap_err().code(), "ABORT_ERR");
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn mode_and_mtime_are_set_per_file_and_a_copy_is_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.bin");
    fs::write(&src, vec![7u8; 3 << 20]).unwrap();
    let target = dir.path().join("t");
    let stage = DirStage::begin(&target, DirOptions::default()).unwrap();
    let options = EntryOptions {
        mode: Some(0o640),
        mtime: Some(Mtime {
            secs: 1_000_000_000,
            nanos: 0,
        }),
        expected_hash: Some(hash::digest(&vec![7u8; 3 << 20])),
    };
    stage
        .stage_file(OsStr::new("d/copy"), Source::File(&src), &options)
        .unwrap();
    let manifest = stage.commit().unwrap();
    let meta = fs::metadata(target.join("d/copy")).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o640);
    assert_eq!(meta.mtime(), 1_000_000_000);
    assert_eq!(manifest.total_bytes, 3 << 20);
}

#[test]
fn every_durability_level_and_sync_method_publishes_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    for (i, durability) in [Durability::None, Durability::File, Durability::Full]
        .into_iter()
        .enumerate()
    {
        for method in [SyncMethod::EachFile, SyncMethod::FileSystem] {
            let target = dir.path().join(format!("t{i}{method:?}"));
            let stage = DirStage::begin(
                &target,
                DirOptions {
                    durability,
                    sync_method: method,
                    ..DirOptions::default()
                },
            )
            .unwrap();
            stage_file(&stage, "a/b", b"1").unwrap();
            stage_file(&stage, "c", b"2").unwrap();
            stage.commit().unwrap();
            assert_eq!(fs::read(target.join("a/b")).unwrap(), b"1");
        }
    }
}

#[test]
fn an_empty_directory_is_published_too() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    let stage = DirStage::begin(&target, DirOptions::default()).unwrap();
    stage.make_dir(OsStr::new("a/empty")).unwrap();
    stage.make_dir(OsStr::new("a")).unwrap();
    assert_eq!(
        stage.make_dir(OsStr::new("../x")).unwrap_err().code(),
        "ERR_INVALID_ARG_VALUE"
    );
    stage.commit().unwrap();
    assert!(names_in(&target.join("a/empty")).is_empty());
}

#[test]
fn a_file_at_the_target_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    fs::write(&target, b"file").unwrap();
    let err = DirStage::begin(&target, DirOptions::default())
        .err()
        .unwrap();
    assert_eq!(err.code(), "ENOTDIR");
    assert_eq!(fs::read(&target).unwrap(), b"file");
    assert_eq!(names_in(dir.path()), ["t"]);
}

#[test]
fn starting_from_the_current_tree_links_its_files_and_never_writes_through_them() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    publish(
        &target,
        &[
            bytes("same", b"s"),
            bytes("d/change", b"old"),
            bytes("gone", b"g"),
        ],
    )
    .unwrap();
    let old_same = fs::metadata(target.join("same")).unwrap().ino();
    let old_change = fs::File::open(target.join("d/change")).unwrap();
    let stage = DirStage::begin(&target, DirOptions::default()).unwrap();
    assert_eq!(stage.link_current().unwrap(), 3);
    stage_file(&stage, "d/change", b"new").unwrap();
    stage_file(&stage, "added", b"a").unwrap();
    let manifest = stage.commit().unwrap();
    assert_eq!(manifest.files.len(), 4);
    assert_eq!(fs::metadata(target.join("same")).unwrap().ino(), old_same);
    assert_eq!(fs::read(target.join("d/change")).unwrap(), b"new");
    let mut was = String::new();
    std::io::Read::read_to_string(&mut &old_change, &mut was).unwrap();
    assert_eq!(was, "old", "the old tree's file kept its bytes");
    assert_eq!(names_in(dir.path()), ["t"]);
}

#[test]
fn removal_left_to_a_thread_still_removes_the_old_tree() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    publish(&target, &[bytes("x", b"1")]).unwrap();
    let stage = DirStage::begin(
        &target,
        DirOptions {
            wait_for_removal: false,
            ..DirOptions::default()
        },
    )
    .unwrap();
    stage_file(&stage, "y", b"2").unwrap();
    stage.commit().unwrap();
    assert_eq!(names_in(&target), ["y"]);
    // The thread is not joined: wait (without a time limit) until it is done.
    while names_in(dir.path()).len() > 1 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Not a test: `cargo test --release -- --ignored sync_methods --nocapture` prints how long each
/// way of making 10 000 staged files of 1 KiB durable takes (see `SyncMethod`).
#[test]
#[ignore]
fn sync_methods_timed() {
    let base = std::env::var_os("STAGE_BENCH_DIR").map(std::path::PathBuf::from);
    let dir = match &base {
        Some(b) => tempfile::tempdir_in(b).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let data = vec![b'x'; 1024];
    for round in 0..3 {
        for method in [SyncMethod::EachFile, SyncMethod::FileSystem] {
            let target = dir.path().join(format!("t{round}{method:?}"));
            let start = std::time::Instant::now();
            let stage = DirStage::begin(
                &target,
                DirOptions {
                    sync_method: method,
                    ..DirOptions::default()
                },
            )
            .unwrap();
            for i in 0..10_000 {
                stage_file(&stage, &format!("d{}/f{i}", i % 100), &data).unwrap();
            }
            stage.commit().unwrap();
            eprintln!("{method:?}: {:?}", start.elapsed());
        }
    }
}

#[test]
fn a_file_filled_piece_by_piece_is_verified_and_an_unfinished_one_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    let stage = Arc::new(DirStage::begin(&target, DirOptions::default()).unwrap());
    let options = EntryOptions {
        expected_hash: Some(hash::digest(b"abcdef")),
        ..EntryOptions::default()
    };
    let mut entry = stage.open_entry(OsStr::new("s/stream"), options).unwrap();
    entry.append(b"abc").unwrap();
    assert_eq!(entry.append(b"def").unwrap(), 6);
    assert_eq!(entry.finish().unwrap().size, 6);
    let mut dropped = stage
        .open_entry(OsStr::new("s/dropped"), EntryOptions::default())
        .unwrap();
    dropped.append(b"partial").unwrap();
    drop(dropped);
    let mut wrong = stage.open_entry(OsStr::new("s/wrong"), options).unwrap();
    wrong.append(b"abc").unwrap();
    assert_eq!(wrong.finish().unwrap_err().code(), "ERR_HASH_MISMATCH");
    assert_eq!(stage.commit().unwrap_err().code(), "ERR_HASH_MISMATCH");
    assert!(names_in(dir.path()).is_empty());
    let stage = Arc::new(DirStage::begin(&target, DirOptions::default()).unwrap());
    let mut again = stage
        .open_entry(OsStr::new("s/a"), EntryOptions::default())
        .unwrap();
    again.append(b"1").unwrap();
    again.finish().unwrap();
    drop(
        stage
            .open_entry(OsStr::new("s/gone"), EntryOptions::default())
            .unwrap(),
    );
    let manifest = stage.commit().unwrap();
    assert_eq!(manifest.files.len(), 1);
    assert_eq!(names_in(&target.join("s")), ["a"]);
}

#[test]
fn thousands_of_linked_files_are_hashed_into_the_manifest_in_path_order() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    let files: Vec<_> = (0..5000)
        .map(|i| bytes(&format!("d{}/f{i}", i % 20), i.to_string().as_bytes()))
        .collect();
    let options = DirOptions {
        durability: Durability::None,
        ..DirOptions::default()
    };
    let stage = DirStage::begin(&target, options.clone()).unwrap();
    for (rel, data) in &files {
        stage_file(&stage, rel, data).unwrap();
    }
    stage.commit().unwrap();
    let stage = DirStage::begin(&target, options).unwrap();
    assert_eq!(stage.link_current().unwrap(), 5000);
    stage_file(&stage, "d0/f0", b"changed").unwrap();
    let manifest = stage.commit().unwrap();
    let mut expected: Vec<_> = files
        .iter()
        .map(|(rel, data)| {
            let data = if rel == "d0/f0" {
                &b"changed"[..]
            } else {
                data
            };
            (rel.clone(), data.len() as u64, hash::digest(data))
        })
        .collect();
    expected.sort();
    let got: Vec<_> = manifest
        .files
        .iter()
        .map(|f| (f.path.to_str().unwrap().to_owned(), f.size, f.hash))
        .collect();
    assert_eq!(got, expected);
}
