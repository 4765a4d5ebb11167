//! Failures of a publish, described the way Node describes file-system errors.
//!
//! The core never builds JS errors itself: it reports *what* failed (an errno with its name,
//! the step that failed, which path it concerned, whether the bytes were already published)
//! and the N-API layer hands that over as data. Naming errnos here, not in JS, is what keeps
//! `code` a real name even where Node's own table lacks one (EDQUOT on Node 20).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::sys;

/// The step of the protocol that failed; its name is Node's `syscall` for the same call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    Open,
    Stat,
    Mkdir,
    Read,
    Write,
    Futime,
    Fchmod,
    Fchown,
    Fsetxattr,
    Fsync,
    Rename,
    Link,
    Symlink,
    Readlink,
    Scandir,
    Unlink,
}

impl Syscall {
    pub fn as_str(self) -> &'static str {
        match self {
            Syscall::Open => "open",
            Syscall::Stat => "stat",
            Syscall::Mkdir => "mkdir",
            Syscall::Read => "read",
            Syscall::Write => "write",
            Syscall::Futime => "futime",
            Syscall::Fchmod => "fchmod",
            Syscall::Fchown => "fchown",
            Syscall::Fsetxattr => "fsetxattr",
            Syscall::Fsync => "fsync",
            Syscall::Rename => "rename",
            Syscall::Link => "link",
            Syscall::Symlink => "symlink",
            Syscall::Readlink => "readlink",
            Syscall::Scandir => "scandir",
            Syscall::Unlink => "unlink",
        }
    }
}

/// Which of the caller's paths a failure concerns. The scratch file is never the subject: its
/// name means nothing to the caller, so scratch failures are reported against the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Target,
    Source,
}

/// A named errno: `code` as Node spells it, the libuv-style negative `errno`, and a lowercase
/// description in libuv's wording where the platform gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrnoName {
    pub code: String,
    pub errno: i32,
    pub description: String,
}

/// Name the errno behind `err`. Errors that carry no OS code (a write that made no progress,
/// a size check that failed) are given the errno that describes their cause.
pub fn errno_name(err: &io::Error) -> ErrnoName {
    if let Some(raw) = err.raw_os_error() {
        if let Some(named) = sys::name_raw(raw) {
            return named;
        }
    }
    let fallback = match err.kind() {
        io::ErrorKind::NotFound => "ENOENT",
        io::ErrorKind::PermissionDenied => "EACCES",
        io::ErrorKind::AlreadyExists => "EEXIST",
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => "EINVAL",
        io::ErrorKind::Interrupted => "EINTR",
        // A write that reports zero bytes on a regular file means the device has no room.
        io::ErrorKind::WriteZero | io::ErrorKind::StorageFull => "ENOSPC",
        io::ErrorKind::IsADirectory => "EISDIR",
        io::ErrorKind::NotADirectory => "ENOTDIR",
        io::ErrorKind::ReadOnlyFilesystem => "EROFS",
        io::ErrorKind::ResourceBusy => "EBUSY",
        io::ErrorKind::QuotaExceeded => "EDQUOT",
        _ => "EIO",
    };
    sys::name_code(fallback)
}

/// An `io::Error` reduced to what can be handed to several waiters (`io::Error` is not
/// `Clone`): one fsync's failure, shared by every publish it covered.
#[derive(Debug, Clone, Copy)]
pub struct SharedIoError {
    raw: Option<i32>,
    kind: io::ErrorKind,
}

impl SharedIoError {
    pub fn of(err: &io::Error) -> Self {
        Self {
            raw: err.raw_os_error(),
            kind: err.kind(),
        }
    }

    pub fn to_io(self) -> io::Error {
        match self.raw {
            Some(raw) => io::Error::from_raw_os_error(raw),
            None => io::Error::from(self.kind),
        }
    }
}

/// EISDIR, EBADF (a call on a stream that has already ended) and ELOOP (more links at the
/// last component than the kernel itself would follow), as the platform spells them.
pub use crate::sys::{bad_descriptor, is_a_directory, too_many_links};

/// A file-system failure during a publish.
#[derive(Debug)]
pub struct FsFailure {
    pub error: io::Error,
    pub syscall: Syscall,
    pub subject: Subject,
    /// The rename had already happened: the new bytes are visible but may not be durable.
    pub published: bool,
    /// A scratch file that could not be removed after the failure, left for `sweep_orphans`.
    pub scratch_left: Option<PathBuf>,
    /// Why, where the errno alone does not say (a FIFO where a regular file must be).
    pub detail: Option<String>,
}

impl FsFailure {
    pub fn target(error: io::Error, syscall: Syscall) -> Self {
        Self {
            error,
            syscall,
            subject: Subject::Target,
            published: false,
            scratch_left: None,
            detail: None,
        }
    }

    /// Creating the target's directory `dir` (and its missing parents) failed: `detail` is
    /// the directory whose creation failed, the first missing one from the top, so that the
    /// message names it rather than the target (`mkdir -p` creates them top down).
    pub fn mkdir(error: io::Error, dir: &Path) -> Self {
        let mut failed = dir;
        while let Some(parent) = failed.parent() {
            if parent.as_os_str().is_empty() || parent.is_dir() {
                break;
            }
            failed = parent;
        }
        Self {
            detail: Some(failed.to_string_lossy().into_owned()),
            ..Self::target(error, Syscall::Mkdir)
        }
    }

    /// `path` is a FIFO, socket or device where only a regular file (or, for a source, a FIFO)
    /// will do: EINVAL, with what it is.
    pub fn wrong_file_type(subject: Subject, kind: FileKind) -> Self {
        let error = io::Error::from(io::ErrorKind::InvalidInput);
        let detail = match subject {
            Subject::Target => format!("the target is {kind}; only a regular file is replaced"),
            Subject::Source => {
                format!("the source is {kind}; only regular files and FIFOs are copied")
            }
        };
        Self {
            subject,
            detail: Some(detail),
            ..Self::target(error, Syscall::Open)
        }
    }

    pub fn source(error: io::Error, syscall: Syscall) -> Self {
        Self {
            subject: Subject::Source,
            ..Self::target(error, syscall)
        }
    }

    pub fn errno(&self) -> ErrnoName {
        errno_name(&self.error)
    }
}

/// What a path names, for messages about files that cannot be published or copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    /// A pipe (on Windows, a name under `\\.\pipe\`).
    #[cfg_attr(not(windows), allow(dead_code))]
    Pipe,
    Other,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Fifo => "a FIFO",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Pipe => "a pipe",
            FileKind::Other => "not a regular file",
        })
    }
}

/// Why a publish did not (fully) happen.
#[derive(Debug)]
pub enum PublishError {
    Fs(FsFailure),
    /// `cause` (an abort or a hash mismatch), after which the scratch could not be removed.
    LeftBehind {
        cause: Box<PublishError>,
        scratch: PathBuf,
    },
    /// The file system stored another mtime than asked (it clamps what it cannot hold);
    /// nothing was published.
    MtimeNotStorable {
        asked: crate::options::Mtime,
        stored: crate::options::Mtime,
    },
    /// The platform's file times cannot hold the mtime asked for (Windows: 1601 to 30828);
    /// refused before anything touched the disk.
    MtimeOutOfRange {
        asked: crate::options::Mtime,
    },
    /// The bytes do not hash to what the caller expected; nothing was published.
    HashMismatch {
        expected: u128,
        actual: u128,
    },
    /// The caller cancelled before the rename; nothing was published.
    Aborted,
    /// A sync call would have overtaken earlier calls to its file still under way, which it
    /// cannot wait for (guarantee 7); nothing was published.
    OrderPending,
    /// A staged entry's relative path is refused (`reason`); nothing was made.
    InvalidEntry {
        path: String,
        reason: &'static str,
    },
}

impl PublishError {
    pub fn code(&self) -> String {
        match self {
            PublishError::Fs(f) => f.errno().code,
            PublishError::LeftBehind { cause, .. } => cause.code(),
            PublishError::MtimeNotStorable { .. } | PublishError::MtimeOutOfRange { .. } => {
                "ERR_OUT_OF_RANGE".into()
            }
            PublishError::HashMismatch { .. } => "ERR_HASH_MISMATCH".into(),
            PublishError::Aborted => "ABORT_ERR".into(),
            PublishError::OrderPending => "ERR_ORDER_PENDING".into(),
            PublishError::InvalidEntry { .. } => "ERR_INVALID_ARG_VALUE".into(),
        }
    }
}

impl From<FsFailure> for PublishError {
    fn from(f: FsFailure) -> Self {
        PublishError::Fs(f)
    }
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::Fs(fail) => {
                let name = fail.errno();
                write!(
                    f,
                    "{}: {}, {}",
                    name.code,
                    name.description,
                    fail.syscall.as_str()
                )
            }
            PublishError::HashMismatch { expected, actual } => write!(
                f,
                "hash mismatch: expected {}, got {}",
                crate::hash::to_hex(*expected),
                crate::hash::to_hex(*actual)
            ),
            PublishError::Aborted => f.write_str("the operation was aborted"),
            PublishError::OrderPending => {
                f.write_str("earlier publishes to this file are still under way")
            }
            PublishError::InvalidEntry { path, reason } => {
                write!(f, "the staged path {path:?} {reason}")
            }
            PublishError::LeftBehind { cause, scratch } => {
                write!(f, "{cause} (left behind: {})", scratch.display())
            }
            PublishError::MtimeNotStorable { asked, stored } => write!(
                f,
                "the file system cannot store mtime {asked} s (it stored {stored} s)"
            ),
            PublishError::MtimeOutOfRange { asked } => {
                write!(f, "this platform's file times cannot hold mtime {asked} s")
            }
        }
    }
}

impl std::error::Error for PublishError {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_failed_mkdir_names_the_first_missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        let wanted = dir.path().join("a").join("b").join("c");
        let failure = FsFailure::mkdir(io::Error::from(io::ErrorKind::PermissionDenied), &wanted);
        assert_eq!(failure.syscall, Syscall::Mkdir);
        let named = dir.path().join("a").join("b");
        assert_eq!(
            failure.detail.as_deref(),
            Some(named.to_string_lossy().as_ref())
        );
    }

    #[test]
    fn errno_names_follow_node() {
        let enoent = errno_name(&io::Error::from_raw_os_error(nix::libc::ENOENT));
        assert_eq!(enoent.code, "ENOENT");
        assert_eq!(enoent.errno, -nix::libc::ENOENT);
        assert_eq!(enoent.description, "no such file or directory");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn edquot_has_a_name_even_though_node_20_lacks_one() {
        let named = errno_name(&io::Error::from_raw_os_error(nix::libc::EDQUOT));
        assert_eq!(named.code, "EDQUOT");
        assert!(
            named.description.ends_with("quota exceeded"),
            "{}",
            named.description
        );
    }

    #[test]
    fn a_write_that_makes_no_progress_is_named_enospc() {
        let named = errno_name(&io::Error::from(io::ErrorKind::WriteZero));
        assert_eq!(named.code, "ENOSPC");
    }
}
