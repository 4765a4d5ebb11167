//! The tests of liboxen's `AtomicFile`, ported to this core (names kept where the behaviour is
//! the same), and the ones it lacked: modes, owners, symlinks, size checks, directory targets.

use super::*;
use crate::scratch::{is_scratch_name, SCRATCH_INFIX};
use crate::test_support::{
    assert_mismatch, cancelled_options, kept_nanos, names_in, payload_200k, skipped_under_wine,
    with_hash, WINE_KEEPS_DELETED_NAMES,
};
use std::io::Read;

fn fixed_mtime() -> Mtime {
    Mtime {
        secs: 1_700_000_000,
        nanos: 123_456_789,
    }
}

const BOGUS: u128 = 0xdead_beef_dead_beef_dead_beef_dead_beef;

/// Yields `some-bytes` once, then fails: the source dies mid-publish.
struct FailingReader {
    served_once: bool,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.served_once {
            return Err(io::Error::other("simulated read failure"));
        }
        self.served_once = true;
        let bytes = b"some-bytes";
        buf[..bytes.len()].copy_from_slice(bytes);
        Ok(bytes.len())
    }
}

#[test]
fn test_atomic_write_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.txt");
    let published = write(&target, b"hello world", PublishOptions::default()).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"hello world");
    assert_eq!(published.bytes, 11);
    assert_eq!(published.hash, Some(hash::digest(b"hello world")));
}

#[test]
fn test_atomic_write_overwrites_existing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.txt");
    std::fs::write(&target, b"old contents").unwrap();
    write(&target, b"new contents", PublishOptions::default()).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new contents");
}

#[test]
fn test_atomic_write_creates_parent_dir() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested").join("deeper").join("file.txt");
    write(&target, b"x", PublishOptions::default()).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"x");
}

#[test]
fn test_atomic_write_empty_contents() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.txt");
    write(&target, b"", PublishOptions::default()).unwrap();
    assert!(std::fs::read(&target).unwrap().is_empty());
}

#[test]
fn test_atomic_write_verified_commits_on_match() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let payload = b"the quick brown fox jumps over the lazy dog";
    write(&target, payload, with_hash(hash::digest(payload))).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), payload);
    assert_eq!(names_in(dir.path()), ["blob.bin"]);
}

#[test]
fn test_atomic_write_verified_aborts_on_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    // The mismatch must not even create the missing parent directory.
    let target = dir.path().join("sub").join("blob.bin");
    let payload = b"the quick brown fox jumps over the lazy dog";
    assert_mismatch(
        write(&target, payload, with_hash(BOGUS)),
        BOGUS,
        hash::digest(payload),
    );
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn test_atomic_temp_file_name_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("HEAD");
    let publisher = Publisher::begin(&target, PublishOptions::default(), false).unwrap();
    let scratch = publisher.scratch_path().to_path_buf();
    let name = scratch.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with(&format!("HEAD{SCRATCH_INFIX}")), "{name}");
    assert!(is_scratch_name(name.as_ref()), "{name}");
    assert_eq!(scratch.parent(), Some(dir.path()));
    assert!(scratch.exists());
    assert!(!target.exists(), "nothing is published before finish");
    drop(publisher);
    assert!(
        !scratch.exists(),
        "dropping an unfinished publish removes its scratch"
    );
}

#[test]
fn test_atomic_stream_sync_streams() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let payload = payload_200k();
    let published = write_from_reader(
        &target,
        &mut io::Cursor::new(&payload),
        PublishOptions::default(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), payload);
    assert_eq!(published.hash, Some(hash::digest(&payload)));
    assert_eq!(names_in(dir.path()), ["blob.bin"]);
}

#[test]
fn test_atomic_stream_sync_cleans_up_on_read_failure() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let mut reader = FailingReader { served_once: false };
    let err = write_from_reader(&target, &mut reader, PublishOptions::default()).unwrap_err();
    assert!(matches!(err, PublishError::Fs(ref f) if f.syscall == Syscall::Read));
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn test_atomic_stream_cleans_up_on_read_failure_keeps_the_old_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    std::fs::write(&target, b"old").unwrap();
    let mut reader = FailingReader { served_once: false };
    write_from_reader(&target, &mut reader, PublishOptions::default()).unwrap_err();
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["blob.bin"]);
}

#[test]
fn test_atomic_write_concurrent_writers() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.txt");
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let target = target.clone();
            std::thread::spawn(move || {
                let payload = format!("writer-{i}").into_bytes();
                write(&target, &payload, PublishOptions::default()).unwrap();
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    let text = String::from_utf8(std::fs::read(&target).unwrap()).unwrap();
    let n: u32 = text.strip_prefix("writer-").unwrap().parse().unwrap();
    assert!(n < 32, "{text}");
    assert_eq!(names_in(dir.path()), ["file.txt"]);
}

#[test]
fn test_atomic_stream_verified_commits_on_match() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let payload = payload_200k();
    let options = with_hash(hash::digest(&payload));
    write_from_reader(&target, &mut io::Cursor::new(&payload), options).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), payload);
    assert_eq!(names_in(dir.path()), ["blob.bin"]);
}

#[test]
fn test_atomic_stream_verified_aborts_on_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let payload = payload_200k();
    let err = write_from_reader(&target, &mut io::Cursor::new(&payload), with_hash(BOGUS));
    assert_mismatch(err, BOGUS, hash::digest(&payload));
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn test_atomic_copy_with_mtime_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src.bin"), dir.path().join("dst.bin"));
    let payload: Vec<u8> = (0..5_000u32).flat_map(u32::to_le_bytes).collect();
    std::fs::write(&src, &payload).unwrap();
    let options = PublishOptions {
        mtime: Some(fixed_mtime()),
        ..PublishOptions::default()
    };
    let published = copy_from(&src, &dst, options).unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), payload);
    assert_eq!(published.bytes, payload.len() as u64);
    let mtime = filetime::FileTime::from_last_modification_time(&dst.metadata().unwrap());
    assert_eq!(
        (mtime.unix_seconds(), mtime.nanoseconds()),
        (1_700_000_000, kept_nanos(123_456_789))
    );
    assert_eq!(names_in(dir.path()), ["dst.bin", "src.bin"]);
}

#[test]
fn test_atomic_copy_with_mtime_overwrites_existing() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src.bin"), dir.path().join("dst.bin"));
    std::fs::write(&src, b"new content").unwrap();
    std::fs::write(&dst, b"old content with different length").unwrap();
    let options = PublishOptions {
        mtime: Some(fixed_mtime()),
        ..PublishOptions::default()
    };
    copy_from(&src, &dst, options).unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), b"new content");
}

#[test]
fn test_atomic_copy_with_mtime_missing_source_leaves_no_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (
        dir.path().join("missing.bin"),
        dir.path().join("sub/dst.bin"),
    );
    let err = copy_from(&src, &dst, PublishOptions::default()).unwrap_err();
    match err {
        PublishError::Fs(f) => {
            assert_eq!(f.errno().code, "ENOENT");
            assert_eq!(f.subject, crate::errors::Subject::Source);
        }
        other => panic!("expected ENOENT, got {other:?}"),
    }
    assert!(names_in(dir.path()).is_empty(), "not even the parent dir");
}

#[test]
fn copy_with_hash_verifies_and_reports_the_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src.bin"), dir.path().join("dst.bin"));
    let payload = payload_200k();
    std::fs::write(&src, &payload).unwrap();
    let published = copy_from(&src, &dst, with_hash(hash::digest(&payload))).unwrap();
    assert_eq!(published.hash, Some(hash::digest(&payload)));
    std::fs::write(&dst, b"old").unwrap();
    let err = copy_from(&src, &dst, with_hash(BOGUS)).unwrap_err();
    assert!(matches!(err, PublishError::HashMismatch { .. }));
    assert_eq!(std::fs::read(&dst).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["dst.bin", "src.bin"]);
}

#[test]
fn copy_from_a_directory_is_eisdir_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let err = copy_from(
        dir.path(),
        &dir.path().join("dst"),
        PublishOptions::default(),
    );
    assert_eq!(err.unwrap_err().code(), "EISDIR");
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn writing_onto_a_directory_is_eisdir_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("d");
    std::fs::create_dir(&target).unwrap();
    let err = write(&target, b"x", PublishOptions::default()).unwrap_err();
    assert_eq!(err.code(), "EISDIR");
    assert!(target.is_dir());
    assert_eq!(names_in(dir.path()), ["d"]);
}

#[test]
fn a_raised_cancel_flag_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let payload = payload_200k();
    let err = write_from_reader(&target, &mut io::Cursor::new(&payload), cancelled_options())
        .unwrap_err();
    assert!(matches!(err, PublishError::Aborted));
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn without_fsync_the_bytes_still_publish() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    let options = PublishOptions {
        durability: crate::durability::Durability::None,
        ..PublishOptions::default()
    };
    write(&target, b"quick", options).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"quick");
}

#[test]
fn a_scratch_taken_by_another_sweeper_fails_the_rename_and_is_not_reported_left_behind() {
    if skipped_under_wine(WINE_KEEPS_DELETED_NAMES) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t");
    std::fs::write(&target, b"old").unwrap();
    let mut publisher = Publisher::begin(&target, PublishOptions::default(), true).unwrap();
    publisher.append(b"new").unwrap();
    std::fs::remove_file(publisher.scratch_path()).unwrap();
    match publisher.finish(None) {
        Err(PublishError::Fs(f)) => {
            assert_eq!(f.syscall, Syscall::Rename);
            assert_eq!(f.errno().code, "ENOENT");
            assert_eq!(f.scratch_left, None, "nothing is left behind");
        }
        other => panic!("expected ENOENT on rename, got {other:?}"),
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
}

#[test]
fn a_target_with_the_longest_allowed_name_still_gets_a_scratch() {
    let dir = tempfile::tempdir().unwrap();
    // 255 bytes each; the second puts a two-byte character across the cut.
    let names = ["n".repeat(255), format!("a{}", "é".repeat(127))];
    // Windows counts UTF-16 units: the second name is 128, its scratch name 147, no cut.
    let two_byte_names = !cfg!(windows)
        || !skipped_under_wine(
            "Wine stores names as UTF-8 on a Linux file system, 255 bytes at most: \
             the 147 UTF-16 units of the two-byte name's scratch are 273 bytes there",
        );
    let tried = if two_byte_names {
        &names[..]
    } else {
        &names[..1]
    };
    for name in tried {
        let target = dir.path().join(name);
        write(&target, b"long name", PublishOptions::default()).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"long name");
    }
    assert_eq!(
        names_in(dir.path()).len(),
        tried.len(),
        "no scratch left behind"
    );
}
