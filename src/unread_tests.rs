//! Writes from memory the core never reads: the file holds what was verified, a mismatch or a
//! failure leaves the directory exactly as it was, and what cannot be done unnamed says so.

use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::dirs_tests::{dir_state, memory_of};
use super::*;
use crate::errors::PublishError;
use crate::publish::Control;
use crate::test_support::{assert_mismatch, cancelled_options, names_in, payload_200k, with_hash};

/// Both steps in one, as a caller whose memory cannot go away meanwhile would take them.
fn write_unread(
    target: &Path,
    data: CallerMemory,
    options: PublishOptions,
) -> Option<Result<Published, PublishError>> {
    Some(fill_unread(target, data, options)?.and_then(Filled::publish))
}

#[test]
fn bytes_from_memory_publish_with_the_hash_of_what_the_file_holds() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    std::fs::write(&target, b"old").unwrap();
    // Three pieces and a bit: the read-back covers every piece boundary.
    let data: Vec<u8> = payload_200k().repeat(PIECE * 3 / 200_000 + 2);
    let published = write_unread(&target, memory_of(&data), with_hash(hash::digest(&data)))
        .expect("this file system has unnamed files")
        .unwrap();
    assert_eq!(published.hash, Some(hash::digest(&data)));
    assert_eq!(published.bytes, data.len() as u64);
    assert!(std::fs::read(&target).unwrap() == data);
    assert_eq!(names_in(dir.path()), ["blob"]);
}

#[test]
fn a_mismatch_touches_nothing_on_disk_not_even_the_directory_times() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    std::fs::write(&target, b"old").unwrap();
    let data = payload_200k();
    let before = dir_state(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let result = write_unread(&target, memory_of(&data), with_hash(7)).unwrap();
    assert_mismatch(result, 7, hash::digest(&data));
    assert_eq!(dir_state(dir.path()), before);
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
}

#[test]
fn memory_the_kernel_cannot_read_fails_with_efault_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    std::fs::write(&target, b"old").unwrap();
    // A freed JavaScript buffer: an address range nothing is mapped at.
    let unmapped = CallerMemory::new(16, 1 << 20);
    let before = dir_state(dir.path());
    match write_unread(&target, unmapped, PublishOptions::default()) {
        Some(Err(PublishError::Fs(failure))) => {
            assert_eq!(failure.error.raw_os_error(), Some(libc::EFAULT));
            assert_eq!(failure.syscall.as_str(), "write");
            assert!(!failure.published);
        }
        other => panic!("expected EFAULT, got {other:?}"),
    }
    assert_eq!(dir_state(dir.path()), before);
}

#[test]
fn a_scratch_to_keep_is_left_to_the_copying_path_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data = payload_200k();
    let mut keep = PublishOptions::default();
    keep.scratch.keep_on_failure = true;
    assert!(write_unread(&dir.path().join("blob"), memory_of(&data), keep.clone()).is_none());
    let deep = dir.path().join("a").join("b").join("blob");
    assert!(write_unread(&deep, memory_of(&data), keep).is_none());
    assert!(names_in(dir.path()).is_empty(), "nothing made");
}

#[test]
fn an_abort_before_or_during_the_write_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    let data = vec![1u8; PIECE * 4];
    let result = write_unread(&target, memory_of(&data), cancelled_options()).unwrap();
    assert!(matches!(result, Err(PublishError::Aborted)), "{result:?}");
    let control = Arc::new(Control::default());
    let options = PublishOptions {
        control: Some(control.clone()),
        ..Default::default()
    };
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            while control.bytes_written() == 0 {
                std::thread::yield_now();
            }
            control.cancel();
        });
        write_unread(&target, memory_of(&data), options).unwrap()
    });
    assert!(matches!(result, Err(PublishError::Aborted)), "{result:?}");
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn filled_bytes_stay_unseen_until_published_and_discarding_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    std::fs::write(&target, b"old").unwrap();
    let data = payload_200k();
    let before = dir_state(dir.path());
    let filled = fill_unread(&target, memory_of(&data), PublishOptions::default())
        .unwrap()
        .unwrap();
    assert_eq!(filled.digest(), hash::digest(&data));
    assert_eq!(dir_state(dir.path()), before, "nothing visible once filled");
    filled.discard();
    assert_eq!(dir_state(dir.path()), before, "nor once discarded");
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
}

#[test]
fn no_overwrite_onto_an_existing_file_is_eexist_before_a_byte_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    std::fs::write(&target, b"old").unwrap();
    let options = PublishOptions {
        overwrite: false,
        ..Default::default()
    };
    let data = payload_200k();
    match write_unread(&target, memory_of(&data), options) {
        Some(Err(PublishError::Fs(f))) => {
            assert_eq!(f.error.kind(), std::io::ErrorKind::AlreadyExists)
        }
        other => panic!("expected EEXIST, got {other:?}"),
    }
    assert_eq!(names_in(dir.path()), ["blob"]);
}

/// The caller rewrites its buffer while the kernel reads it: each round publishes bytes that
/// hash to the expected value, or is refused with the hash of what it read, and the result's
/// hash always names the file's bytes.
#[test]
fn memory_rewritten_during_the_write_never_publishes_unverified_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    let original: Vec<u8> = payload_200k().repeat(PIECE * 2 / 200_000 + 1);
    let expected = hash::digest(&original);
    let (mut published, mut refused) = (0, 0);
    for _ in 0..4 {
        let buffer: Vec<std::sync::atomic::AtomicU8> = original
            .iter()
            .map(|&b| std::sync::atomic::AtomicU8::new(b))
            .collect();
        let control = Arc::new(Control::default());
        let options = PublishOptions {
            expected_hash: Some(expected),
            control: Some(control.clone()),
            ..Default::default()
        };
        let finished = AtomicBool::new(false);
        let memory = CallerMemory::new(buffer.as_ptr() as usize, buffer.len());
        let result = std::thread::scope(|scope| {
            scope.spawn(|| {
                while control.bytes_written() == 0 && !finished.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                for byte in buffer.iter().step_by(4096) {
                    byte.store(0xa5, Ordering::Relaxed);
                }
            });
            let result = write_unread(&target, memory, options).unwrap();
            finished.store(true, Ordering::Release);
            result
        });
        match result {
            Ok(p) => {
                assert_eq!(p.hash, Some(expected));
                assert_eq!(hash::digest(&std::fs::read(&target).unwrap()), expected);
                published += 1;
            }
            Err(PublishError::HashMismatch { actual, .. }) => {
                assert_ne!(actual, expected);
                refused += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
        assert!(names_in(dir.path()).iter().all(|n| n == "blob"));
    }
    assert_eq!(published + refused, 4);
}

/// What each call of the stand-in fsync saw: the file's link count and the directory's names.
type SyncsSeen = Vec<(u64, Vec<std::ffi::OsString>)>;

/// Publish `data` over an old `blob` at `durability`, with `sync` standing in for the fsync of
/// the unnamed scratch; returns what each call of `sync` saw and the publish's result.
fn publish_watching_sync(
    durability: crate::publish::Durability,
    fail_sync: bool,
) -> (
    tempfile::TempDir,
    SyncsSeen,
    Result<Published, PublishError>,
) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    std::fs::write(&target, b"old").unwrap();
    let data = payload_200k();
    let options = PublishOptions {
        durability,
        ..Default::default()
    };
    let filled = fill_unread(&target, memory_of(&data), options)
        .expect("this file system has unnamed files")
        .unwrap();
    let mut seen = Vec::new();
    let result = filled.publish_synced_by(|file| {
        seen.push((file.metadata().unwrap().nlink(), names_in(dir.path())));
        if fail_sync {
            Err(std::io::Error::from_raw_os_error(libc::EIO))
        } else {
            file.sync_all()
        }
    });
    (dir, seen, result)
}

#[test]
fn the_unnamed_scratch_is_fsynced_before_it_has_a_name() {
    use crate::publish::Durability;
    for level in [Durability::Full, Durability::File] {
        let (dir, seen, result) = publish_watching_sync(level, false);
        result.unwrap();
        // Once, with no link to the file and nothing beside the target yet.
        assert_eq!(seen, [(0, vec!["blob".into()])], "{level:?}");
        assert!(std::fs::read(dir.path().join("blob")).unwrap() == payload_200k());
    }
    let (_dir, seen, result) = publish_watching_sync(Durability::None, false);
    result.unwrap();
    assert!(seen.is_empty(), "'none' fsyncs nothing");
}

#[test]
fn a_failed_fsync_of_the_unnamed_scratch_leaves_only_the_old_target() {
    let (dir, seen, result) = publish_watching_sync(crate::publish::Durability::Full, true);
    assert_eq!(seen.len(), 1);
    match result {
        Err(PublishError::Fs(f)) => assert_eq!(f.error.raw_os_error(), Some(libc::EIO)),
        other => panic!("{other:?}"),
    }
    assert_eq!(names_in(dir.path()), ["blob"]);
    assert_eq!(std::fs::read(dir.path().join("blob")).unwrap(), b"old");
}
