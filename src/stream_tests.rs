//! liboxen's async-stream tests, ported to chunk pushes (names kept), and the end-of-stream
//! rule: nothing but an explicit commit publishes.

use super::*;
use crate::hash;
use crate::publish::{Control, Mtime};
use crate::test_support::{assert_mismatch, kept_nanos, names_in, payload_200k};
use std::sync::Arc;

fn push_all(stream: &mut StreamPublish, data: &[u8], chunk: usize) {
    for piece in data.chunks(chunk) {
        stream.push(piece).unwrap();
    }
}

#[test]
fn test_atomic_stream_streams() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let data = payload_200k();
    let mut stream = StreamPublish::new(target.clone(), PublishOptions::default());
    push_all(&mut stream, &data, 7_000);
    let published = stream.commit().unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), data);
    assert_eq!(published.hash, Some(hash::digest(&data)));
    assert_eq!(names_in(dir.path()), ["blob.bin"]);
}

#[test]
fn test_atomic_stream_cleans_up_on_read_failure() {
    // The source failed after one chunk: the caller aborts instead of committing.
    let dir = tempfile::tempdir().unwrap();
    let mut stream = StreamPublish::new(dir.path().join("blob.bin"), PublishOptions::default());
    stream.push(b"some-bytes").unwrap();
    assert_eq!(
        names_in(dir.path()).len(),
        1,
        "the scratch exists mid-stream"
    );
    assert_eq!(stream.abort(), None);
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn a_stream_dropped_without_an_end_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    std::fs::write(&target, b"old").unwrap();
    let mut stream = StreamPublish::new(target.clone(), PublishOptions::default());
    stream.push(b"partial").unwrap();
    drop(stream);
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["blob.bin"]);
}

#[test]
fn test_atomic_stream_async_verified_commits_on_match() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let data = payload_200k();
    let options = PublishOptions {
        expected_hash: Some(hash::digest(&data)),
        ..PublishOptions::default()
    };
    let mut stream = StreamPublish::new(target.clone(), options);
    push_all(&mut stream, &data, 4096);
    stream.commit().unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), data);
    assert_eq!(names_in(dir.path()), ["blob.bin"]);
}

#[test]
fn test_atomic_stream_async_verified_aborts_on_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let data = payload_200k();
    let options = PublishOptions {
        expected_hash: Some(0xdead_beef),
        ..PublishOptions::default()
    };
    let mut stream = StreamPublish::new(target.clone(), options);
    push_all(&mut stream, &data, 4096);
    assert_mismatch(stream.commit(), 0xdead_beef, hash::digest(&data));
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn test_atomic_stream_async_with_mtime_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob.bin");
    let options = PublishOptions {
        mtime: Some(Mtime {
            secs: 1_700_000_000,
            nanos: 123_456_789,
        }),
        ..PublishOptions::default()
    };
    let mut stream = StreamPublish::new(target.clone(), options);
    push_all(&mut stream, &payload_200k(), 10_000);
    stream.commit().unwrap();
    let mtime = filetime::FileTime::from_last_modification_time(&target.metadata().unwrap());
    assert_eq!(
        (mtime.unix_seconds(), mtime.nanoseconds()),
        (1_700_000_000, kept_nanos(123_456_789))
    );
}

#[test]
fn test_atomic_stream_async_with_mtime_cleans_up_on_read_failure() {
    let dir = tempfile::tempdir().unwrap();
    let options = PublishOptions {
        mtime: Some(Mtime { secs: 1, nanos: 0 }),
        ..PublishOptions::default()
    };
    let mut stream = StreamPublish::new(dir.path().join("blob.bin"), options);
    stream.push(b"partial").unwrap();
    stream.abort();
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn an_empty_stream_publishes_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("empty");
    let published = StreamPublish::new(target.clone(), PublishOptions::default())
        .commit()
        .unwrap();
    assert_eq!(published.bytes, 0);
    assert_eq!(std::fs::read(&target).unwrap(), b"");
}

#[test]
fn a_cancelled_stream_stops_at_the_next_chunk_and_removes_its_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let control = Arc::new(Control::default());
    let options = PublishOptions {
        control: Some(control.clone()),
        ..PublishOptions::default()
    };
    let mut stream = StreamPublish::new(dir.path().join("blob.bin"), options);
    assert_eq!(stream.push(b"one").unwrap(), 3);
    assert_eq!(control.bytes_written(), 3);
    control.cancel();
    assert!(matches!(stream.push(b"two"), Err(PublishError::Aborted)));
    assert!(stream.is_closed());
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn a_closed_stream_refuses_more_with_ebadf() {
    let dir = tempfile::tempdir().unwrap();
    let mut stream = StreamPublish::new(dir.path().join("f"), PublishOptions::default());
    stream.commit().unwrap();
    assert_eq!(stream.push(b"late").unwrap_err().code(), "EBADF");
    assert_eq!(stream.commit().unwrap_err().code(), "EBADF");
}
