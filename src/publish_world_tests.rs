//! The world around a publish: what its source really is, mode bits the kernel clears, times
//! the file system cannot hold, and a directory renamed while the scratch is in it.

use super::*;
use crate::errors::Subject;
use crate::scratch::ModePolicy;
use crate::test_support::names_in;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

#[test]
fn a_device_source_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("copy");
    std::fs::write(&target, b"old").unwrap();
    let err = copy_from(Path::new("/dev/zero"), &target, PublishOptions::default()).unwrap_err();
    let PublishError::Fs(failure) = err else {
        panic!("{err:?}")
    };
    assert_eq!(failure.errno().code, "EINVAL");
    assert_eq!(failure.subject, Subject::Source);
    assert!(failure.detail.unwrap().contains("a character device"));
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["copy"]);
}

#[test]
fn a_fifo_source_with_a_writer_is_published_whole() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, vec![7u8; 300_000]).unwrap())
    };
    let target = dir.path().join("out");
    let published = copy_from(&fifo, &target, PublishOptions::default()).unwrap();
    writer.join().unwrap();
    assert_eq!(published.bytes, 300_000);
    assert_eq!(std::fs::read(&target).unwrap(), vec![7u8; 300_000]);
}

#[test]
fn set_id_bits_are_set_after_the_last_write() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("tool");
    let options = PublishOptions {
        mode: ModePolicy::Exact(0o4755),
        ..PublishOptions::default()
    };
    let mut publisher = Publisher::begin(&target, options, true).unwrap();
    publisher.append(b"#!/bin/sh\n").unwrap();
    publisher.append(b"exit 0\n").unwrap();
    publisher.finish(None).unwrap();
    let mode = std::fs::metadata(&target).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o4755, "{mode:o}");
}

#[test]
fn a_replaced_setgid_file_keeps_its_bits_without_with_mode() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("shared");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o2750)).unwrap();
    write(&target, b"new bytes", PublishOptions::default()).unwrap();
    let mode = std::fs::metadata(&target).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o2750, "{mode:o}");
}

#[test]
fn an_mtime_the_file_system_would_clamp_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    // Far beyond what any file system stores (year ~ 292 billion).
    let options = PublishOptions {
        mtime: Some(Mtime {
            secs: i64::MAX / 2,
            nanos: 0,
        }),
        ..PublishOptions::default()
    };
    match write(&target, b"new", options) {
        Err(PublishError::MtimeNotStorable { asked, stored }) => {
            assert_eq!(asked.secs, i64::MAX / 2);
            assert_ne!(stored, asked);
        }
        // Some file system might stamp it exactly: then it must have round-tripped.
        Ok(_) => {
            let meta = std::fs::metadata(&target).unwrap();
            assert_eq!(meta.mtime(), i64::MAX / 2);
            return;
        }
        Err(e) => {
            // The kernel may refuse the time outright (EINVAL/EOVERFLOW): nothing published.
            assert!(matches!(e, PublishError::Fs(_)), "{e:?}");
        }
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["f"]);
}

#[test]
fn a_scratch_whose_directory_was_renamed_is_still_removed() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let mut publisher =
        Publisher::begin(&logs.join("app.json"), PublishOptions::default(), true).unwrap();
    publisher.append(b"{}").unwrap();
    let rotated = dir.path().join("logs.1");
    std::fs::rename(&logs, &rotated).unwrap();
    assert_eq!(publisher.abandon(), None, "nothing left behind");
    assert!(names_in(&rotated).is_empty(), "{:?}", names_in(&rotated));
}

#[test]
fn an_abort_whose_clean_up_fails_names_the_scratch_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let control = Arc::new(Control::default());
    let options = PublishOptions {
        control: Some(control.clone()),
        ..PublishOptions::default()
    };
    let mut publisher = Publisher::begin(&dir.path().join("f"), options, true).unwrap();
    publisher.append(b"x").unwrap();
    // Something unremovable now sits under the scratch's name (a non-empty directory: unlink
    // fails with EISDIR, for root too).
    let name = publisher.scratch_path().to_path_buf();
    std::fs::remove_file(&name).unwrap();
    std::fs::create_dir(&name).unwrap();
    std::fs::write(name.join("keep"), b"").unwrap();
    control.cancel();
    let err = publisher.finish(None).unwrap_err();
    let PublishError::LeftBehind { cause, scratch } = err else {
        panic!("{err:?}")
    };
    assert!(matches!(*cause, PublishError::Aborted));
    assert_eq!(scratch, name);
}

#[test]
fn an_mtime_is_named_in_seconds_to_the_nanosecond_it_asks_for() {
    let text = |secs, nanos| Mtime { secs, nanos }.to_string();
    assert_eq!(text(5, 0), "5");
    assert_eq!(text(15_032_385_535, 999_000_000), "15032385535.999");
    assert_eq!(text(-2_147_483_648, 500_000_000), "-2147483647.5");
    assert_eq!(text(-1, 999_999_999), "-0.000000001");
    assert_eq!(text(i64::MIN, 0), i64::MIN.to_string());
}

/// A copy of `fifo` into `target` whose call is cancelled `after` from another thread.
fn copy_cancelled_after(
    fifo: &Path,
    target: &Path,
    after: std::time::Duration,
    expected_hash: Option<u128>,
) -> Result<Published, PublishError> {
    let control = std::sync::Arc::new(crate::publish::Control::default());
    let canceller = {
        let control = control.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            control.cancel();
        })
    };
    let options = PublishOptions {
        control: Some(control),
        expected_hash,
        ..PublishOptions::default()
    };
    let result = copy_from(fifo, target, options);
    canceller.join().unwrap();
    result
}

#[test]
fn a_fifo_copy_waiting_for_a_writer_that_never_comes_gives_up_on_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let started = std::time::Instant::now();
    let result = copy_cancelled_after(&fifo, &dir.path().join("out"), MS_200, None);
    assert!(matches!(result, Err(PublishError::Aborted)), "{result:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(names_in(dir.path()), ["fifo"]);
}

#[test]
fn a_fifo_copy_whose_writer_stalls_gives_up_on_cancel_and_publishes_nothing() {
    for expected_hash in [None, Some(0xbad)] {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut end = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
                std::io::Write::write_all(&mut end, b"abc").unwrap();
                // Stalls with the FIFO open until the test is done.
                let _ = stopped.recv();
            })
        };
        let result = copy_cancelled_after(&fifo, &dir.path().join("out"), MS_200, expected_hash);
        stop.send(()).unwrap();
        writer.join().unwrap();
        assert!(matches!(result, Err(PublishError::Aborted)), "{result:?}");
        assert_eq!(names_in(dir.path()), ["fifo"]);
    }
}

const MS_200: std::time::Duration = std::time::Duration::from_millis(200);

#[cfg(target_os = "linux")]
#[test]
fn a_scratch_made_without_a_name_whose_directory_was_renamed_is_still_removed() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let options = PublishOptions::default();
    let target = crate::target::prepare(&logs.join("app.json")).unwrap();
    let Some(unnamed) = crate::scratch::Unnamed::create(&target, &scratch_spec(&options)).unwrap()
    else {
        eprintln!("skipped: no O_TMPFILE on this file system");
        return;
    };
    let scratch = unnamed.name(&target, options.owner).unwrap();
    let rotated = dir.path().join("logs.1");
    std::fs::rename(&logs, &rotated).unwrap();
    assert_eq!(scratch.remove(), None, "nothing left behind");
    assert!(names_in(&rotated).is_empty(), "{:?}", names_in(&rotated));
}

/// Every scratch file under `dir`, at any depth.
fn scratch_files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(scratch_files_under(&path));
        } else if crate::scratch::is_scratch_name(&entry.file_name()) {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_scratch_whose_directory_keeps_being_renamed_is_removed_or_named() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir(&a).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // Moves a/ away and back as fast as the kernel allows: a scratch's directory changes name
    // between any two steps of its clean-up (finding its name, checking it, unlinking it).
    let mover = std::thread::spawn({
        let (stop, a, b) = (stop.clone(), a.clone(), b.clone());
        move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = std::fs::rename(&a, &b);
                let _ = std::fs::rename(&b, &a);
            }
        }
    });
    let mut named = Vec::new();
    for _ in 0..3000 {
        match Publisher::begin(&a.join("f"), PublishOptions::default(), false) {
            Ok(publisher) => named.extend(publisher.abandon()),
            Err(PublishError::Fs(failure)) => named.extend(failure.scratch_left),
            Err(PublishError::LeftBehind { scratch, .. }) => named.push(scratch),
            Err(_) => {}
        }
    }
    stop.store(true, Ordering::Relaxed);
    mover.join().unwrap();
    let named: Vec<_> = named
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    let unnamed: Vec<_> = scratch_files_under(dir.path())
        .into_iter()
        .filter(|p| !named.contains(&p.file_name().unwrap().to_owned()))
        .collect();
    assert_eq!(
        unnamed,
        Vec::<std::path::PathBuf>::new(),
        "left, and named by no error"
    );
}
