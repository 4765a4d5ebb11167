//! Verified kernel copies: what is renamed is what was verified, whatever the source does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::*;
use crate::publish::Control;
use crate::test_support::names_in;

const PIECE: usize = KERNEL_COPY_PIECE as usize;

/// `words` little-endian counters: content whose every piece differs from the others.
fn counting_bytes(words: usize) -> Vec<u8> {
    (0..words as u32).flat_map(u32::to_le_bytes).collect()
}

/// A source rewritten by another thread once the copy has begun: each round either publishes
/// bytes that hash to the expected value, or rejects with the mismatch and leaves the target
/// and the directory as they were. Whole-file rewrites reach pieces already copied (which must
/// not matter) and pieces still to come (which must be caught).
#[test]
fn a_source_rewritten_during_a_verified_copy_publishes_only_matching_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
    let original = counting_bytes(PIECE / 2 + PIECE / 16);
    let rewritten = vec![0xa5u8; original.len()];
    let expected = hash::digest(&original);
    let (mut published, mut refused) = (0, 0);
    for round in 0..4 {
        std::fs::write(&src, &original).unwrap();
        std::fs::write(&dst, format!("round {round}")).unwrap();
        let control = Arc::new(Control::default());
        let options = PublishOptions {
            expected_hash: Some(expected),
            control: Some(control.clone()),
            ..PublishOptions::default()
        };
        let finished = AtomicBool::new(false);
        let result = std::thread::scope(|scope| {
            scope.spawn(|| {
                // Once the first piece is in the scratch (or the copy is over).
                while control.bytes_written() == 0 && !finished.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                // Opened without append or truncation: the write lands at offset 0.
                let mut file = std::fs::OpenOptions::new().write(true).open(&src).unwrap();
                std::io::Write::write_all(&mut file, &rewritten).unwrap();
            });
            let result = copy_from(&src, &dst, options);
            finished.store(true, Ordering::Release);
            result
        });
        match result {
            Ok(done) => {
                published += 1;
                assert_eq!(done.hash, Some(expected));
                assert_eq!(hash::digest(&std::fs::read(&dst).unwrap()), expected);
            }
            Err(PublishError::HashMismatch {
                expected: said,
                actual,
            }) => {
                refused += 1;
                assert_eq!(said, expected);
                assert_ne!(actual, expected);
                assert_eq!(
                    std::fs::read(&dst).unwrap(),
                    format!("round {round}").as_bytes()
                );
            }
            Err(other) => panic!("round {round}: {other:?}"),
        }
        assert_eq!(names_in(dir.path()), ["dst", "src"], "round {round}");
    }
    eprintln!("rewritten mid-copy: {published} published, {refused} refused");
}

/// A copy of several pieces, cancelled once the first is in: nothing is published.
#[test]
fn a_verified_copy_cancelled_between_pieces_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
    let original = vec![7u8; 2 * PIECE + 1];
    std::fs::write(&src, &original).unwrap();
    let control = Arc::new(Control::default());
    let options = PublishOptions {
        expected_hash: Some(hash::digest(&original)),
        control: Some(control.clone()),
        ..PublishOptions::default()
    };
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            while control.bytes_written() == 0 {
                std::thread::yield_now();
            }
            control.cancel();
        });
        copy_from(&src, &dst, options)
    });
    // The cancel may come after the last piece; then the rename refused it, or it lost.
    match result {
        Err(PublishError::Aborted) => assert_eq!(names_in(dir.path()), ["src"]),
        Ok(done) => {
            assert_eq!(done.bytes, original.len() as u64);
            assert_eq!(std::fs::read(&dst).unwrap(), original);
        }
        Err(other) => panic!("{other:?}"),
    }
    assert!(control.bytes_written() >= PIECE as u64);
}

/// Progress counts whole pieces as they land, and the verified copy's hash is the file's.
#[test]
fn a_verified_copy_of_several_pieces_reports_its_bytes_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
    let original = counting_bytes(PIECE / 2 + 3);
    std::fs::write(&src, &original).unwrap();
    let control = Arc::new(Control::default());
    let options = PublishOptions {
        expected_hash: Some(hash::digest(&original)),
        control: Some(control.clone()),
        ..PublishOptions::default()
    };
    let done = copy_from(&src, &dst, options).unwrap();
    assert_eq!(done.bytes, original.len() as u64);
    assert_eq!(control.bytes_written(), original.len() as u64);
    assert_eq!(done.hash, Some(hash::digest(&original)));
    assert_eq!(std::fs::read(&dst).unwrap(), original);
}

/// Where positional reads move the cursor (Windows), the read-back runs in line with the copy:
/// the same pieces, hashed on the copying thread, verify the same way.
#[test]
fn the_in_line_read_back_verifies_a_copy_of_several_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
    let original = counting_bytes(PIECE / 2 + 5);
    std::fs::write(&src, &original).unwrap();
    let run = |expected: u128| {
        let source = Source {
            file: File::open(&src).unwrap(),
            fifo_stop: None,
        };
        let options = PublishOptions {
            expected_hash: Some(expected),
            ..PublishOptions::default()
        };
        let mut publisher = Publisher::begin(&dst, options, true).unwrap();
        let mut readback = vec![0u8; hash::FILE_CHUNK];
        assert!(copy_pieces(&source, &mut publisher, &mut readback, &mut |_, _| {}).is_ok());
        publisher.finish(None)
    };
    let done = run(hash::digest(&original)).unwrap();
    assert_eq!(done.hash, Some(hash::digest(&original)));
    assert_eq!(std::fs::read(&dst).unwrap(), original);
    assert!(matches!(
        run(0xbad),
        Err(PublishError::HashMismatch {
            expected: 0xbad,
            ..
        })
    ));
    assert_eq!(names_in(dir.path()), ["dst", "src"]);
}
