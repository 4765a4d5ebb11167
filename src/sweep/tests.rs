use super::*;
use crate::publish::{PublishOptions, Publisher};
use crate::test_support::names_in;
use filetime::{set_file_mtime, FileTime};
use std::fs;

const OLD: i64 = 1_000_000_000;

fn old_file(path: &Path) {
    fs::write(path, b"x").unwrap();
    set_file_mtime(path, FileTime::from_unix_time(OLD, 0)).unwrap();
}

/// What a sweep removed, sorted; it must report no failure.
fn swept(dir: &Path, options: &SweepOptions) -> Vec<PathBuf> {
    let report = sweep_orphans(dir, options).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let mut removed = report.removed;
    removed.sort();
    removed
}

fn dry() -> SweepOptions {
    SweepOptions {
        dry_run: true,
        ..SweepOptions::default()
    }
}

#[test]
fn only_old_files_of_the_scratch_shape_are_swept_whatever_the_random_length() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let orphans = [
        "a.oxentmp.x",
        "data.bin.oxentmp.Ab3dE6",
        "data.bin.oxentmp.AbCdEf1234",
    ];
    for name in orphans {
        old_file(&d.join(name));
    }
    fs::write(d.join("young.bin.oxentmp.ZZZZZZZZZZ"), b"x").unwrap();
    let long = format!("data.bin.oxentmp.{}", "a".repeat(65));
    for look_alike in [
        long.as_str(),
        "data.bin.oxentmp.AbCdEf123!",
        "data.bin.oxentmp.Ab-dE6",
        ".oxentmp.AbCdEf1234",
        "data.bin.oxentmp.",
        "data.bin",
    ] {
        old_file(&d.join(look_alike));
    }
    fs::create_dir(d.join("dir.oxentmp.AbCdEf1234")).unwrap();
    let expected: Vec<PathBuf> = orphans.iter().map(|n| d.join(n)).collect();
    assert_eq!(swept(d, &SweepOptions::default()), expected);
    assert!(expected.iter().all(|p| !p.exists()));
    assert!(d.join("young.bin.oxentmp.ZZZZZZZZZZ").exists());
    assert_eq!(fs::read_dir(d).unwrap().count(), 8);
}

#[test]
fn dry_run_lists_without_removing() {
    let dir = tempfile::tempdir().unwrap();
    let orphan = dir.path().join("f.oxentmp.0123456789");
    old_file(&orphan);
    assert_eq!(swept(dir.path(), &dry()), [orphan.as_path()]);
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
    std::os::unix::fs::symlink(outside.path(), d.join("link")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("o.oxentmp.cccccccccc"),
        d.join("l.oxentmp.dddddddddd"),
    )
    .unwrap();
    assert_eq!(swept(d, &dry()), [d.join("top.oxentmp.aaaaaaaaaa")]);
    let deep = SweepOptions {
        recursive: true,
        ..SweepOptions::default()
    };
    assert_eq!(
        swept(d, &deep),
        [
            d.join("a/b/deep.oxentmp.bbbbbbbbbb"),
            d.join("top.oxentmp.aaaaaaaaaa")
        ]
    );
    assert!(outside.path().join("o.oxentmp.cccccccccc").exists());
    assert!(fs::symlink_metadata(d.join("l.oxentmp.dddddddddd")).is_ok());
}

#[test]
fn a_fifo_named_like_a_scratch_neither_blocks_nor_goes() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("p.oxentmp.Ab3dE6");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let options = SweepOptions {
        older_than: Duration::ZERO,
        ..SweepOptions::default()
    };
    assert!(swept(dir.path(), &options).is_empty());
    assert!(fs::symlink_metadata(&fifo).is_ok());
}

#[test]
fn a_name_that_is_not_utf8_is_swept_and_returned_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let orphan = dir
        .path()
        .join(OsStr::from_bytes(b"n\xe9.txt.oxentmp.Ab3dE6"));
    old_file(&orphan);
    assert_eq!(swept(dir.path(), &SweepOptions::default()), [orphan]);
}

#[test]
fn a_missing_directory_is_enoent() {
    let dir = tempfile::tempdir().unwrap();
    let err = sweep_orphans(&dir.path().join("missing"), &SweepOptions::default()).unwrap_err();
    assert_eq!(err.errno().code, "ENOENT");
}

#[test]
fn a_subdirectory_that_cannot_be_entered_is_reported_and_the_rest_is_swept() {
    if nix::unistd::geteuid().is_root() {
        eprintln!(
            "skipped: root enters a directory whatever its mode (the JS suite runs this as nobody)"
        );
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("locked")).unwrap();
    fs::create_dir_all(d.join("open")).unwrap();
    old_file(&d.join("locked/x.oxentmp.Ab3dE6"));
    old_file(&d.join("open/y.oxentmp.Ab3dE6"));
    fs::set_permissions(d.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let options = SweepOptions {
        recursive: true,
        ..SweepOptions::default()
    };
    let report = sweep_orphans(d, &options).unwrap();
    fs::set_permissions(d.join("locked"), fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(report.removed, [d.join("open/y.oxentmp.Ab3dE6")]);
    let [(path, failure)] = &report.failures[..] else {
        panic!("{:?}", report.failures)
    };
    assert_eq!(path, &d.join("locked"));
    assert_eq!(failure.errno().code, "EACCES");
}

#[test]
fn an_in_flight_scratch_of_this_process_is_never_swept() {
    let dir = tempfile::tempdir().unwrap();
    let publisher =
        Publisher::begin(&dir.path().join("t"), PublishOptions::default(), false).unwrap();
    set_file_mtime(publisher.scratch_path(), FileTime::from_unix_time(OLD, 0)).unwrap();
    assert!(swept(dir.path(), &SweepOptions::default()).is_empty());
    assert!(publisher.scratch_path().exists());
    let scratch = publisher.scratch_path().to_path_buf();
    drop(publisher);
    assert!(!scratch.exists());
}

#[test]
fn a_scratch_locked_through_another_descriptor_is_never_swept() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("w.oxentmp.Ab3dE6");
    old_file(&scratch);
    let writer = fs::File::open(&scratch).unwrap();
    writer.try_lock().unwrap();
    assert!(swept(dir.path(), &SweepOptions::default()).is_empty());
    drop(writer);
    assert_eq!(swept(dir.path(), &SweepOptions::default()), [scratch]);
}

#[test]
fn publishes_racing_a_sweep_with_no_age_limit_all_commit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sweeper = {
        let (d, stop) = (d.clone(), stop.clone());
        std::thread::spawn(move || {
            let options = SweepOptions {
                older_than: Duration::ZERO,
                ..SweepOptions::default()
            };
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                sweep_orphans(&d, &options).unwrap();
            }
        })
    };
    for i in 0..2000 {
        let options = PublishOptions {
            durability: crate::durability::Durability::None,
            ..PublishOptions::default()
        };
        crate::publish::write(&d.join(format!("f{}", i % 50)), b"x", options).unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    sweeper.join().unwrap();
    // Every publish committed (a sweeper may take a scratch its writer had not yet claimed,
    // and the writer then starts over with another).
    let mut names: Vec<_> = fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 50, "{names:?}");
}

#[test]
fn older_than_zero_takes_every_orphan_at_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("n.oxentmp.dddddddddd"), b"x").unwrap();
    let options = SweepOptions {
        older_than: Duration::ZERO,
        ..SweepOptions::default()
    };
    assert_eq!(swept(dir.path(), &options).len(), 1);
}

#[test]
fn an_orphan_stamped_with_a_future_mtime_is_swept_by_its_status_change_time() {
    let dir = tempfile::tempdir().unwrap();
    let orphan = dir.path().join("t.bin.oxentmp.AbCdEf1234");
    fs::write(&orphan, b"x").unwrap();
    // 2100-01-01: what a killed publish withMtime(2100) leaves.
    set_file_mtime(&orphan, FileTime::from_unix_time(4_102_444_800, 0)).unwrap();
    let young = SweepOptions {
        older_than: std::time::Duration::from_secs(3600),
        ..SweepOptions::default()
    };
    assert!(swept(dir.path(), &young).is_empty(), "changed a moment ago");
    let any_age = SweepOptions {
        older_than: std::time::Duration::ZERO,
        ..SweepOptions::default()
    };
    assert_eq!(swept(dir.path(), &any_age), [orphan]);
}

#[test]
fn a_scratch_this_user_cannot_read_is_left_alone_without_failing_the_sweep() {
    if nix::unistd::geteuid().is_root() {
        eprintln!("skipped: root reads every file, so the case cannot arise");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let unreadable = dir.path().join("a.oxentmp.AbCdEf1234");
    old_file(&unreadable);
    fs::set_permissions(&unreadable, fs::Permissions::from_mode(0o200)).unwrap();
    let other = dir.path().join("b.oxentmp.AbCdEf1234");
    old_file(&other);
    assert_eq!(swept(dir.path(), &SweepOptions::default()), [other]);
    assert!(unreadable.exists());
}

#[test]
fn what_a_sweeper_killed_mid_removal_left_aside_is_swept_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // As a sweeper killed between its move aside and its unlink leaves an old orphan, and a
    // young file it had moved aside while the name was retaken.
    let left = d.join(sweep_aside_name());
    old_file(&left);
    let young = d.join(sweep_aside_name());
    fs::write(&young, b"young").unwrap();
    assert_eq!(swept(d, &SweepOptions::default()), [left]);
    assert!(young.exists());
    // And the sweep's own moves never leave one behind.
    old_file(&d.join("t.oxentmp.AbCdEf1234"));
    swept(d, &SweepOptions::default());
    assert_eq!(names_in(d), [young.file_name().unwrap()]);
}

#[cfg(target_os = "linux")]
#[test]
fn an_aside_name_already_taken_is_drawn_again_and_the_file_taken_there_stays() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let taken = sweep_aside_name();
    fs::write(d.join(&taken), b"someone else's").unwrap();
    old_file(&d.join("t.oxentmp.AbCdEf1234"));
    let sweep_dir = SweepDir::open(d).unwrap();
    let candidate = sweep_dir
        .open_entry(std::ffi::OsStr::new("t.oxentmp.AbCdEf1234"))
        .unwrap();
    let draws = std::cell::Cell::new(0);
    let fresh = || {
        draws.set(draws.get() + 1);
        if draws.get() == 1 {
            taken.clone()
        } else {
            sweep_aside_name()
        }
    };
    let removed = sweep_dir
        .remove_if_same(
            std::ffi::OsStr::new("t.oxentmp.AbCdEf1234"),
            &candidate,
            &fresh,
        )
        .unwrap();
    assert!(removed);
    assert_eq!(draws.get(), 2);
    assert_eq!(names_in(d), [taken.as_os_str()]);
    assert_eq!(fs::read(d.join(&taken)).unwrap(), b"someone else's");
}
