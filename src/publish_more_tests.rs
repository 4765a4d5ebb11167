//! Tests of what a publish carries besides its bytes (modes, owners, symlinks) and of call
//! order between publishes to one target.

use super::*;
use crate::test_support::names_in;
use std::sync::Arc;

const BOGUS: u128 = 0xdead_beef_dead_beef_dead_beef_dead_beef;

#[cfg(unix)]
mod unix {
    use super::*;
    use crate::scratch::ModePolicy;
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

    fn mode_of(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o7777
    }

    fn current_umask() -> u32 {
        // Read the umask without changing it for longer than this call.
        let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
        nix::sys::stat::umask(old);
        old.bits() as u32
    }

    /// As Node's recursive mkdir: a missing directory under a link that names nothing is
    /// ENOENT (what following the link says), not EEXIST for the link's own name.
    #[test]
    fn a_target_under_a_dangling_link_is_enoent_and_nothing_is_made() {
        let dir = tempfile::tempdir().unwrap();
        symlink("nowhere", dir.path().join("dangling")).unwrap();
        let target = dir.path().join("dangling").join("x").join("f");
        let err = write(&target, b"x", PublishOptions::default()).unwrap_err();
        assert_eq!(err.code(), "ENOENT");
        assert_eq!(names_in(dir.path()), ["dangling"]);
    }

    #[test]
    fn a_target_under_a_link_loop_is_eloop() {
        let dir = tempfile::tempdir().unwrap();
        symlink("loop", dir.path().join("loop")).unwrap();
        let err = write(
            &dir.path().join("loop").join("x").join("f"),
            b"x",
            PublishOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "ELOOP");
    }

    #[test]
    fn a_new_file_gets_0666_masked_by_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new");
        write(&target, b"x", PublishOptions::default()).unwrap();
        assert_eq!(mode_of(&target), 0o666 & !current_umask());
    }

    #[test]
    fn a_replaced_file_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("script");
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o751)).unwrap();
        write(&target, b"new", PublishOptions::default()).unwrap();
        assert_eq!(mode_of(&target), 0o751);
    }

    #[test]
    fn an_explicit_mode_is_exact_and_not_masked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("shared");
        let options = PublishOptions {
            mode: ModePolicy::Exact(0o2777),
            ..PublishOptions::default()
        };
        write(&target, b"x", options).unwrap();
        assert_eq!(mode_of(&target), 0o2777);
    }

    #[test]
    fn a_symlinked_target_keeps_its_link_and_replaces_the_file_behind_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/config"), b"old").unwrap();
        let link = dir.path().join("config");
        symlink("real/config", &link).unwrap();
        write(&link, b"new", PublishOptions::default()).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read(dir.path().join("real/config")).unwrap(),
            b"new"
        );
        assert_eq!(names_in(&dir.path().join("real")), ["config"]);
    }

    #[test]
    fn a_replaced_file_keeps_its_owner_when_we_may_set_it() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("SKIPPED: changing a file's owner needs root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("owned");
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::chown(&target, Some(4242), Some(4343)).unwrap();
        write(&target, b"new", PublishOptions::default()).unwrap();
        let meta = std::fs::metadata(&target).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
    }

    #[test]
    fn a_failed_publish_in_a_read_only_directory_is_eacces_or_erofs() {
        // Root ignores permission bits, so this only says something for other users.
        if nix::unistd::geteuid().is_root() {
            eprintln!("SKIPPED: root ignores directory permissions (see the read-only mount test)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let err = write(&dir.path().join("f"), b"x", PublishOptions::default()).unwrap_err();
        assert_eq!(err.code(), "EACCES");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn the_scratch_is_created_with_the_final_mode_before_any_byte() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("secret");
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        let publisher = Publisher::begin(&target, PublishOptions::default(), false).unwrap();
        let scratch: std::path::PathBuf = publisher.scratch_path().to_path_buf();
        assert_eq!(mode_of(&scratch), 0o600);
        drop(publisher);
    }
}

mod call_order {
    use super::*;
    use crate::order::Ticket;

    fn ticketed(ticket: &Arc<Ticket>) -> PublishOptions {
        PublishOptions {
            ticket: Some(ticket.clone()),
            ..PublishOptions::default()
        }
    }

    #[test]
    fn the_last_call_wins_even_when_an_earlier_larger_one_finishes_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let (first, second) = (Arc::new(Ticket::issue()), Arc::new(Ticket::issue()));
        let done = write(&target, b"second", ticketed(&second)).unwrap();
        assert!(!done.superseded);
        let big = vec![7u8; 4 << 20];
        let late = write(&target, &big, ticketed(&first)).unwrap();
        assert!(
            late.superseded,
            "the earlier call must not overwrite the later one"
        );
        assert_eq!(late.hash, Some(hash::digest(&big)), "its own hash, still");
        assert_eq!(std::fs::read(&target).unwrap(), b"second");
        assert_eq!(names_in(dir.path()), ["f"]);
    }

    #[cfg(unix)]
    #[test]
    fn two_spellings_of_one_file_are_one_target() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let real = dir.path().join("real").join("f");
        std::fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink("real/f", dir.path().join("link")).unwrap();
        let (first, second) = (Arc::new(Ticket::issue()), Arc::new(Ticket::issue()));
        write(&dir.path().join("link"), b"via link", ticketed(&second)).unwrap();
        let via_dots = dir.path().join("real").join("..").join("real").join("f");
        assert!(
            write(&via_dots, b"via dots", ticketed(&first))
                .unwrap()
                .superseded
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"via link");
    }

    #[test]
    fn a_hash_mismatch_is_reported_even_for_a_call_that_was_overtaken() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let (first, second) = (Arc::new(Ticket::issue()), Arc::new(Ticket::issue()));
        write(&target, b"second", ticketed(&second)).unwrap();
        let options = PublishOptions {
            expected_hash: Some(BOGUS),
            ..ticketed(&first)
        };
        let err = write(&target, b"first", options).unwrap_err();
        assert!(matches!(err, PublishError::HashMismatch { .. }));
    }
}

mod cancellation {
    use super::*;

    fn controlled() -> (Arc<Control>, PublishOptions) {
        let control = Arc::new(Control::default());
        let options = PublishOptions {
            control: Some(control.clone()),
            ..PublishOptions::default()
        };
        (control, options)
    }

    #[test]
    fn a_cancel_accepted_after_the_fsync_still_publishes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        std::fs::write(&target, b"old").unwrap();
        let (control, options) = controlled();
        let (publisher, hash) = start_write(&target, b"new", options).unwrap();
        let sealed = publisher.seal_verified(Some(hash)).unwrap();
        assert!(control.cancel(), "nothing has begun to rename yet");
        assert!(matches!(sealed.rename(), Err(PublishError::Aborted)));
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(names_in(dir.path()), ["f"]);
    }

    /// A mode without the owner's write bit makes the scratch read-only once it is sealed
    /// (on Windows, the read-only attribute, which an ordinary delete refuses); a failure
    /// after that must still leave no scratch behind.
    #[test]
    fn a_scratch_made_read_only_by_its_mode_is_removed_when_the_publish_fails_after_sealing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        std::fs::write(&target, b"old").unwrap();
        let (control, options) = controlled();
        let options = PublishOptions {
            mode: crate::scratch::ModePolicy::Exact(0o444),
            ..options
        };
        let (publisher, hash) = start_write(&target, b"new", options).unwrap();
        let sealed = publisher.seal_verified(Some(hash)).unwrap();
        assert!(control.cancel());
        assert!(matches!(sealed.rename(), Err(PublishError::Aborted)));
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(names_in(dir.path()), ["f"]);
    }

    #[test]
    fn a_cancel_is_refused_once_the_rename_has_begun() {
        let (control, _) = controlled();
        assert!(control.begin_commit());
        assert!(
            !control.cancel(),
            "the publish is past its point of no return"
        );
        assert!(!control.is_cancelled());
        assert!(
            control.begin_commit(),
            "asking again does not change the answer"
        );
    }

    #[test]
    fn an_abort_is_reported_rather_than_a_mismatch_found_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let (control, options) = controlled();
        let mut publisher = Publisher::begin(
            &target,
            PublishOptions {
                expected_hash: Some(BOGUS),
                ..options
            },
            true,
        )
        .unwrap();
        publisher.append(b"bytes").unwrap();
        control.cancel();
        assert!(matches!(publisher.finish(None), Err(PublishError::Aborted)));
        assert!(names_in(dir.path()).is_empty());
    }
}
