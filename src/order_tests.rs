use super::*;
use crate::target::DirId;
use std::path::Path;

/// A key for a made-up file in this process's working directory.
fn key(name: &str) -> FileKey {
    (
        DirId::of(Path::new(".")).unwrap(),
        format!("order-test-{name}").into(),
    )
}

/// The pruning and sync tests watch the one global registry: an unbound ticket held by one of
/// them holds back pruning for another, or refuses its sync call, so they take turns.
fn pruning_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    lock(&TURN)
}

fn commit(target: &FileKey, ticket: &Ticket) -> Result<Result<(), Superseded>, ()> {
    commit_in_order(target, ticket, true, || Ok(()))
}

#[test]
fn tickets_number_calls_in_order() {
    let a = Ticket::issue();
    let b = Ticket::issue();
    assert!(b.seq() > a.seq());
}

#[test]
fn an_older_publish_that_arrives_last_is_superseded() {
    let target = &key("one");
    let older = Ticket::issue();
    let newer = Ticket::issue();
    let mut renamed = Vec::new();
    let r: Result<_, ()> = commit_in_order(target, &newer, false, || {
        renamed.push("newer");
        Ok(())
    });
    assert_eq!(r, Ok(Ok(())));
    let r: Result<_, ()> = commit_in_order(target, &older, true, || {
        renamed.push("older");
        Ok(())
    });
    assert_eq!(
        r,
        Ok(Err(Superseded {
            later_synced: false
        })),
        "the superseded publish learns the later bytes were not fsynced"
    );
    assert_eq!(renamed, ["newer"]);
}

#[test]
fn a_failed_rename_does_not_count_as_a_commit() {
    let target = &key("two");
    let older = Ticket::issue();
    let newer = Ticket::issue();
    let r: Result<Result<(), _>, _> = commit_in_order(target, &newer, true, || Err("disk on fire"));
    assert_eq!(r, Err("disk on fire"));
    assert_eq!(
        commit(target, &older),
        Ok(Ok(())),
        "the older bytes are the newest that made it"
    );
}

#[test]
fn different_targets_do_not_order_each_other() {
    let older = Ticket::issue();
    let newer = Ticket::issue();
    assert_eq!(commit(&key("a"), &newer), Ok(Ok(())));
    assert_eq!(commit(&key("b"), &older), Ok(Ok(())));
}

#[test]
fn a_bound_old_ticket_keeps_its_record_while_others_are_pruned() {
    // A long stream: bound to its target early, committing last. Many other targets come and
    // go meanwhile; their records must not pile up, and the stream's order must still hold.
    let _turn = pruning_turn();
    let target = &key("long-stream");
    let stream = Ticket::issue();
    stream.bind(target);
    let newer = Ticket::issue();
    assert_eq!(commit(target, &newer), Ok(Ok(())));
    drop(newer);
    for i in 0..(PRUNE_FLOOR * 8) {
        let t = Ticket::issue();
        assert_eq!(commit(&key(&format!("many-{i}")), &t), Ok(Ok(())));
    }
    assert!(
        record_count() < PRUNE_FLOOR * 4,
        "records were pruned while a bound ticket lived: {}",
        record_count()
    );
    assert!(
        commit(target, &stream).unwrap().is_err(),
        "the long stream is still superseded by the newer call"
    );
}

#[test]
fn an_unbound_old_ticket_keeps_records_it_could_lose_to() {
    // A call not yet bound could be for any target: a record whose commit is newer than it
    // must survive pruning, or that call would win where it should be superseded.
    let _turn = pruning_turn();
    let target = &key("late-arrival");
    let waiting = Ticket::issue();
    let newer = Ticket::issue();
    assert_eq!(commit(target, &newer), Ok(Ok(())));
    drop(newer);
    for i in 0..(PRUNE_FLOOR * 3) {
        let t = Ticket::issue();
        assert_eq!(commit(&key(&format!("other-{i}")), &t), Ok(Ok(())));
    }
    assert!(commit(target, &waiting).unwrap().is_err());
}

#[test]
fn a_sync_ticket_is_refused_where_it_would_overtake_a_call_it_cannot_wait_for() {
    let _turn = pruning_turn();
    let target = &key("sync");
    let ordinary = Ticket::issue();
    ordinary.enter(target, false).unwrap();
    // Ordinary behind ordinary: the later one simply wins.
    let sync_ordinary = Ticket::issue_for(false, None);
    assert_eq!(sync_ordinary.enter(target, false), Ok(()));
    drop(sync_ordinary);
    // A no-overwrite call's answer depends on the earlier one.
    assert_eq!(
        Ticket::issue_for(false, None).enter(target, true),
        Err(OrderPending)
    );
    drop(ordinary);
    let exclusive = Ticket::issue();
    exclusive.enter(target, true).unwrap();
    // Any call after a no-overwrite one still under way would change its answer.
    assert_eq!(
        Ticket::issue_for(false, None).enter(target, false),
        Err(OrderPending)
    );
    assert_eq!(
        Ticket::issue_for(false, None).enter(target, true),
        Err(OrderPending)
    );
    // A later call under way is no reason to refuse, nor is one on another file.
    let sync_first = Ticket::issue_for(false, None);
    let later = Ticket::issue();
    drop(exclusive);
    later.enter(target, true).unwrap();
    assert_eq!(sync_first.enter(target, true), Ok(()));
    assert_eq!(
        Ticket::issue_for(false, None).enter(&key("other"), true),
        Ok(())
    );
    // A call made from Rust directly has no one to submit it again: never held back.
    assert_eq!(Ticket::issue().enter(target, true), Ok(()));
}

#[test]
fn a_withdrawn_call_holds_back_no_sync_call() {
    let _turn = pruning_turn();
    let target = &key("withdrawn");
    let aborted = Ticket::issue();
    aborted.enter(target, true).unwrap();
    aborted.withdraw();
    assert_eq!(Ticket::issue_for(false, None).enter(target, true), Ok(()));
    // Withdrawn before it found its target: it never counts as under way.
    let early = Ticket::issue();
    early.withdraw();
    early.enter(target, true).unwrap();
    assert_eq!(Ticket::issue_for(false, None).enter(target, true), Ok(()));
}

#[test]
fn a_sync_ticket_is_refused_behind_an_unbound_call_that_may_be_its_file() {
    let _turn = pruning_turn();
    let target = &key("unbound");
    // Not yet resolved on the pool: it may be this file under another spelling.
    let ordinary = Ticket::issue_for(false, None);
    assert_eq!(
        Ticket::issue_for(true, None).enter(target, true),
        Err(OrderPending)
    );
    // Ordinary behind ordinary stays allowed: the later one wins, the earlier is superseded.
    assert_eq!(Ticket::issue_for(false, None).enter(target, false), Ok(()));
    drop(ordinary);
    let exclusive = Ticket::issue_for(true, None);
    assert_eq!(
        Ticket::issue_for(false, None).enter(target, false),
        Err(OrderPending)
    );
    // Once it gave up, nothing waits for it.
    exclusive.withdraw();
    assert_eq!(Ticket::issue_for(false, None).enter(target, false), Ok(()));
    assert_eq!(Ticket::issue_for(true, None).enter(target, true), Ok(()));
}

#[test]
fn a_sync_call_that_has_not_found_its_file_holds_back_only_calls_to_its_own_path() {
    let _turn = pruning_turn();
    let mine = &key("mine");
    // A no-overwrite sync call on another thread, its target not yet resolved.
    let elsewhere = Ticket::issue_for(true, Some("order-test-elsewhere".into()));
    assert_eq!(Ticket::issue_for(false, None).enter(mine, false), Ok(()));
    assert_eq!(Ticket::issue_for(true, None).enter(mine, true), Ok(()));
    drop(elsewhere);
    // One for this very file still holds back what it could change.
    let same = Ticket::issue_for(true, Some("order-test-mine".into()));
    assert_eq!(
        Ticket::issue_for(false, None).enter(mine, false),
        Err(OrderPending)
    );
    drop(same);
    assert_eq!(Ticket::issue_for(false, None).enter(mine, false), Ok(()));
}

#[test]
fn an_async_call_held_back_keeps_its_place_until_the_earlier_call_is_done() {
    // `write` ordinary through one spelling, then a no-overwrite `write` through another: the
    // second must not rename first, and must keep its place meanwhile.
    let _turn = pruning_turn();
    let target = &key("held-back");
    let first = Ticket::issue_for(false, Some("order-test-held-back".into()));
    first.enter(target, false).unwrap();
    let second = Ticket::issue_for(true, Some("order-test-held-back".into()));
    assert_eq!(second.enter(target, true), Err(OrderPending));
    assert_eq!(second.enter(target, true), Err(OrderPending), "asked again");
    // Still unbound, for its path: a later ordinary call to the file waits for it too.
    let third = Ticket::issue_for(false, None);
    assert_eq!(third.enter(target, false), Err(OrderPending));
    drop(first);
    assert_eq!(second.enter(target, true), Ok(()));
    // Bound and under way now: the later ordinary call still waits, until it is done.
    assert_eq!(third.enter(target, false), Err(OrderPending));
    drop(second);
    assert_eq!(third.enter(target, false), Ok(()));
}

#[test]
fn an_ordinary_async_call_waits_behind_an_earlier_no_overwrite_one_only() {
    let _turn = pruning_turn();
    let target = &key("ordinary-behind");
    let exclusive = Ticket::issue_for(true, None);
    exclusive.enter(target, true).unwrap();
    let ordinary = Ticket::issue_for(false, None);
    assert_eq!(ordinary.enter(target, false), Err(OrderPending));
    // Withdrawn (its abort accepted): nothing waits for it.
    exclusive.withdraw();
    assert_eq!(ordinary.enter(target, false), Ok(()));
    // Ordinary behind ordinary: both go; the later one wins at the commit.
    assert_eq!(Ticket::issue_for(false, None).enter(target, false), Ok(()));
}

#[test]
fn a_stream_binds_unchecked_and_is_checked_at_its_commit() {
    let _turn = pruning_turn();
    let target = &key("stream-commit");
    let exclusive = Ticket::issue_for(true, None);
    exclusive.enter(target, true).unwrap();
    let stream = Ticket::issue_for(false, None);
    stream.enter_unchecked(target, false);
    assert_eq!(stream.may_commit(target, false), Err(OrderPending));
    // A no-overwrite call after the stream waits for it, though the stream waits too.
    let later = Ticket::issue_for(true, None);
    assert_eq!(later.enter(target, true), Err(OrderPending));
    drop(exclusive);
    assert_eq!(stream.may_commit(target, false), Ok(()));
    drop(stream);
    assert_eq!(later.enter(target, true), Ok(()));
}

#[test]
fn a_lone_call_is_taken_only_where_nothing_could_hold_it_back() {
    let _turn = pruning_turn();
    // An unbound no-overwrite call anywhere could be for any file.
    let exclusive = Ticket::issue_for(true, Some("order-test-lone".into()));
    assert!(Ticket::alone(false, None).is_none());
    assert!(Ticket::alone(true, None).is_none());
    // Bound and under way, just the same.
    exclusive.enter(&key("lone"), true).unwrap();
    assert!(Ticket::alone(false, None).is_none());
    let before = Ticket::issue();
    drop(exclusive);
    // An ordinary call alive holds back only no-overwrite ones.
    assert!(Ticket::alone(true, None).is_none());
    drop(before);
}

#[test]
fn a_no_overwrite_call_waits_behind_100_000_ordinary_calls_under_way() {
    // Every ordinary call's check is a few ordered look-ups, however many calls are queued
    // or under way on its file: 100 000 of each would take hours if each scanned the others.
    let _turn = pruning_turn();
    let target = &key("queue");
    let many = 100_000;
    let queued: Vec<_> = (0..many)
        .map(|_| Ticket::issue_for(false, Some("order-test-queue".into())))
        .collect();
    for ticket in &queued {
        assert_eq!(ticket.enter(target, false), Ok(()));
    }
    let last = Ticket::issue_for(true, Some("order-test-queue".into()));
    assert_eq!(last.enter(target, true), Err(OrderPending));
    drop(queued);
    assert_eq!(last.enter(target, true), Ok(()));
}
