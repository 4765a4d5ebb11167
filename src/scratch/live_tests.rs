//! An ending environment: no scratch of its owner is created afterwards, and one whose create
//! was under way when the end began is removed, not left behind. Each test ends an owner of
//! its own, so tests running beside it keep theirs.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::*;
use crate::errors::PublishError;
use crate::publish::{PublishOptions, Publisher};
use crate::test_support::{names_in, skipped_under_wine, WINE_KEEPS_DELETED_NAMES};

fn fresh_owner() -> Owner {
    static NEXT: AtomicU64 = AtomicU64::new(u64::MAX / 2);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn options_of(owner: Owner) -> PublishOptions {
    PublishOptions {
        owner,
        ..PublishOptions::default()
    }
}

fn begin(target: &Path, owner: Owner) -> Result<Publisher, PublishError> {
    Publisher::begin(target, options_of(owner), false)
}

/// After its owner has ended, a publish of `relative` begun on another thread is aborted and
/// leaves nothing in the directory.
fn assert_ended_owner_creates_nothing(relative: &str) {
    let dir = tempfile::tempdir().unwrap();
    let owner = fresh_owner();
    close_and_remove(Some(owner));
    let target = dir.path().join(relative);
    let err = std::thread::spawn(move || begin(&target, owner).err().unwrap())
        .join()
        .unwrap();
    assert!(matches!(err, PublishError::Aborted), "{err:?}");
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn once_an_owner_has_ended_its_publishes_on_other_threads_create_nothing() {
    assert_ended_owner_creates_nothing("t");
}

#[test]
fn once_an_owner_has_ended_its_publishes_make_no_missing_directory_either() {
    assert_ended_owner_creates_nothing("new/dirs/t");
}

#[test]
fn the_thread_that_ended_an_owner_may_still_publish_synchronously() {
    let dir = tempfile::tempdir().unwrap();
    let owner = fresh_owner();
    close_and_remove(Some(owner));
    let mut publisher = begin(&dir.path().join("t"), owner).unwrap();
    publisher.append(b"saved at exit").unwrap();
    publisher.finish(None).unwrap();
    assert_eq!(names_in(dir.path()), ["t"]);
}

#[test]
fn ending_removes_the_scratch_in_flight_and_its_publish_then_fails() {
    if skipped_under_wine(WINE_KEEPS_DELETED_NAMES) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let owner = fresh_owner();
    let mut publisher = begin(&dir.path().join("t"), owner).unwrap();
    publisher.append(b"half").unwrap();
    assert_eq!(close_and_remove(Some(owner)), 1);
    assert!(names_in(dir.path()).is_empty());
    assert!(publisher.finish(None).is_err());
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn other_owners_keep_publishing_and_keep_their_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let (ended, other) = (fresh_owner(), fresh_owner());
    let publisher = begin(&dir.path().join("t"), other).unwrap();
    close_and_remove(Some(ended));
    assert_eq!(names_in(dir.path()).len(), 1);
    publisher.finish(None).unwrap();
    begin(&dir.path().join("u"), other)
        .unwrap()
        .finish(None)
        .unwrap();
    assert_eq!(names_in(dir.path()), ["t", "u"]);
}

#[test]
fn a_create_under_way_when_the_end_begins_is_waited_for_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let owner = fresh_owner();
    let target = crate::target::prepare(&dir.path().join("t")).unwrap();
    let path = dir.path().join("t.oxentmp.UnderWay01");
    let made = Arc::new(AtomicBool::new(false));
    let (ending, end_begins) = mpsc::channel();
    // The create has its ticket, then is slow to make its file: the end must wait for it.
    let ticket = CreateTicket::take(owner).unwrap();
    let maker = {
        let (path, made) = (path.clone(), made.clone());
        std::thread::spawn(move || {
            end_begins.recv().unwrap();
            std::thread::sleep(Duration::from_millis(100));
            std::fs::write(&path, b"x").unwrap();
            made.store(true, Ordering::SeqCst);
            ticket.enter((target.dir_id, "t.oxentmp.UnderWay01".into()), path)
        })
    };
    ending.send(()).unwrap();
    close_and_remove(Some(owner));
    assert!(
        made.load(Ordering::SeqCst),
        "the end did not wait for the create"
    );
    assert!(!path.exists(), "a scratch made during the end was left");
    assert!(maker.join().unwrap().is_none());
}
