use super::*;
use crate::dirsync::rounds_finished;
use crate::durability::Durability;
use crate::hash;
use crate::order::Ticket;
use crate::test_support::{assert_mismatch, cancelled_options, names_in, with_hash};
use std::path::PathBuf;
use std::sync::Arc;

fn job_with<'a>(target: &'a Path, data: &'a [u8], options: PublishOptions) -> WriteJob<'a> {
    WriteJob {
        target,
        data,
        options,
    }
}

fn job<'a>(target: &'a Path, data: &'a [u8]) -> WriteJob<'a> {
    job_with(target, data, PublishOptions::default())
}

fn targets(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..n).map(|i| dir.join(format!("f{i}"))).collect()
}

#[test]
fn every_job_of_a_batch_is_published_with_its_own_bytes_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    let paths = targets(dir.path(), 8);
    let payloads: Vec<Vec<u8>> = (0..8).map(|i| vec![b'a' + i as u8; 100 + i]).collect();
    let jobs = paths
        .iter()
        .zip(&payloads)
        .map(|(t, d)| job(t, d))
        .collect();
    let results = write_batch(jobs);
    for ((path, data), result) in paths.iter().zip(&payloads).zip(results) {
        let published = result.unwrap();
        assert_eq!(published.bytes, data.len() as u64);
        assert_eq!(published.hash, Some(hash::digest(data)));
        assert!(!published.superseded);
        assert_eq!(&std::fs::read(path).unwrap(), data);
    }
    assert_eq!(names_in(dir.path()).len(), 8, "no scratch is left");
}

#[test]
fn a_failing_job_fails_alone_and_leaves_its_target_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let mismatched = dir.path().join("mismatched");
    std::fs::write(&mismatched, b"old").unwrap();
    // A parent that is a file: the scratch cannot be created there.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"not a dir").unwrap();
    let unreachable = blocker.join("child");
    let bogus = 0x1234_u128;
    let jobs = vec![
        job_with(&mismatched, b"new", with_hash(bogus)),
        job(&unreachable, b"x"),
        job(&good, b"fine"),
    ];
    let mut results = write_batch(jobs).into_iter();
    assert_mismatch(results.next().unwrap(), bogus, hash::digest(b"new"));
    assert_eq!(results.next().unwrap().unwrap_err().code(), "ENOTDIR");
    assert_eq!(results.next().unwrap().unwrap().bytes, 4);
    assert_eq!(std::fs::read(&mismatched).unwrap(), b"old");
    assert_eq!(std::fs::read(&good).unwrap(), b"fine");
    assert_eq!(names_in(dir.path()), ["blocker", "good", "mismatched"]);
}

#[test]
fn a_cancelled_job_publishes_nothing_and_the_others_do() {
    let dir = tempfile::tempdir().unwrap();
    let [kept, cancelled] = [dir.path().join("kept"), dir.path().join("cancelled")];
    let jobs = vec![
        job(&kept, b"kept"),
        job_with(&cancelled, b"dropped", cancelled_options()),
    ];
    let results = write_batch(jobs);
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(PublishError::Aborted)));
    assert_eq!(names_in(dir.path()), ["kept"]);
}

#[test]
fn within_a_batch_the_later_call_wins_whatever_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("one");
    let older = Arc::new(Ticket::issue());
    let newer = Arc::new(Ticket::issue());
    let with = |ticket: Arc<Ticket>| PublishOptions {
        ticket: Some(ticket),
        ..PublishOptions::default()
    };
    // The newer call sits first in the batch, so it renames first: the older is superseded.
    let jobs = vec![
        job_with(&target, b"newer", with(newer)),
        job_with(&target, b"older", with(older)),
    ];
    let results = write_batch(jobs);
    assert!(!results[0].as_ref().unwrap().superseded);
    assert!(results[1].as_ref().unwrap().superseded);
    assert_eq!(std::fs::read(&target).unwrap(), b"newer");
    assert_eq!(names_in(dir.path()), ["one"]);
}

#[test]
fn a_batch_fsyncs_each_of_its_directories_once() {
    let [a, b] = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let id = |d: &tempfile::TempDir| DirId::of(d.path()).unwrap();
    let before = (rounds_finished(&id(&a)), rounds_finished(&id(&b)));
    let mut paths = targets(a.path(), 5);
    paths.extend(targets(b.path(), 3));
    write_batch(paths.iter().map(|t| job(t, b"x")).collect())
        .into_iter()
        .for_each(|r| assert!(r.is_ok()));
    assert_eq!(rounds_finished(&id(&a)), before.0 + 1);
    assert_eq!(rounds_finished(&id(&b)), before.1 + 1);
}

#[test]
fn below_full_durability_a_batch_syncs_no_directory() {
    for level in [Durability::None, Durability::File] {
        let dir = tempfile::tempdir().unwrap();
        let id = DirId::of(dir.path()).unwrap();
        let before = rounds_finished(&id);
        let paths = targets(dir.path(), 4);
        let at_level = || PublishOptions {
            durability: level,
            ..PublishOptions::default()
        };
        let jobs = paths
            .iter()
            .map(|t| job_with(t, b"x", at_level()))
            .collect();
        assert!(write_batch(jobs).iter().all(Result::is_ok));
        assert_eq!(rounds_finished(&id), before, "{level:?}");
        assert_eq!(std::fs::read(&paths[3]).unwrap(), b"x");
    }
}

#[test]
fn a_batch_with_one_full_publish_syncs_its_directory_once() {
    let dir = tempfile::tempdir().unwrap();
    let id = DirId::of(dir.path()).unwrap();
    let before = rounds_finished(&id);
    let paths = targets(dir.path(), 3);
    let levels = [Durability::None, Durability::Full, Durability::File];
    let jobs = paths
        .iter()
        .zip(levels)
        .map(|(t, durability)| {
            job_with(
                t,
                b"x",
                PublishOptions {
                    durability,
                    ..PublishOptions::default()
                },
            )
        })
        .collect();
    assert!(write_batch(jobs).iter().all(Result::is_ok));
    assert_eq!(rounds_finished(&id), before + 1);
}
