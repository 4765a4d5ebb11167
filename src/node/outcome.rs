//! What crosses the boundary: publish settings in, outcomes out.

use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use crate::errors::{FsFailure, PublishError, Subject};
use crate::hash;
use std::path::Path;
use std::sync::Arc;

use crate::order::Ticket;
use crate::publish::{Durability, Mtime, PublishOptions, Published};
use crate::scratch::{Attributes, ModePolicy, OwnerPolicy, ScratchSpec};
use std::time::Duration;

/// Publish settings, already validated and normalised by the wrapper.
#[napi(object)]
pub struct NativePublishConfig {
    /// 1–32 hex digits.
    pub expected_hash: Option<String>,
    pub mtime_secs: Option<i64>,
    pub mtime_nanos: Option<u32>,
    pub mode: Option<u32>,
    /// `'full'`, `'file'` or `'none'`.
    pub durability: String,
    pub overwrite: bool,
    /// `withOwner`: each id from -1 (leave as is) to 2^32 - 1, as `fs.chown` takes them.
    pub owner: Option<NativeOwner>,
    /// The compatibility entry's settings (see `js/internal.ts`).
    pub masked_mode: Option<u32>,
    pub process_owner: Option<bool>,
    pub attributes_best_effort: Option<bool>,
    pub retry_budget_ms: Option<u32>,
    pub keep_scratch_on_failure: Option<bool>,
}

#[napi(object)]
pub struct NativeOwner {
    pub uid: i64,
    pub gid: i64,
}

/// An id as `fchown` takes it: -1 is "leave it", anything else must fit 32 bits.
fn owner_id(id: i64) -> Result<Option<u32>> {
    if id == -1 {
        return Ok(None);
    }
    u32::try_from(id)
        .map(Some)
        .map_err(|_| Error::new(Status::InvalidArg, format!("not a user or group id: {id}")))
}

impl NativePublishConfig {
    /// Options for a publish to `target`, with its place in call order taken now.
    pub fn to_options(&self, env: &Env, target: &Path) -> Result<PublishOptions> {
        let expected_hash = match &self.expected_hash {
            Some(text) => Some(hash::from_hex(text).ok_or_else(|| {
                Error::new(
                    Status::InvalidArg,
                    format!("not an XXH3-128 hash: {text:?}"),
                )
            })?),
            None => None,
        };
        let mtime = self.mtime_secs.map(|secs| Mtime {
            secs,
            nanos: self.mtime_nanos.unwrap_or(0),
        });
        let durability = Durability::parse(&self.durability).ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                format!("not a durability level: {:?}", self.durability),
            )
        })?;
        let owner = match (&self.owner, self.process_owner) {
            (Some(o), _) => OwnerPolicy::Set {
                uid: owner_id(o.uid)?,
                gid: owner_id(o.gid)?,
            },
            (None, Some(true)) => OwnerPolicy::Process,
            (None, _) => OwnerPolicy::Inherit,
        };
        let mode = match (self.mode, self.masked_mode) {
            (Some(bits), _) => ModePolicy::Exact(bits),
            (None, Some(bits)) => ModePolicy::Masked(bits),
            (None, None) => ModePolicy::Inherit,
        };
        Ok(PublishOptions {
            expected_hash,
            mtime,
            mode,
            durability,
            overwrite: self.overwrite,
            scratch: ScratchSpec {
                attributes: Attributes {
                    mode,
                    owner,
                    best_effort: self.attributes_best_effort == Some(true),
                    at_most: None,
                },
                retry_budget: self
                    .retry_budget_ms
                    .map(|ms| Duration::from_millis(ms.into())),
                keep_on_failure: self.keep_scratch_on_failure == Some(true),
            },
            control: None,
            // Taken now, on the JS thread, so tickets follow the order of the calls; a
            // NativeControl made at the call replaces it with the one it took then. With its
            // path: a ticket without one could be for any file, and a sync call on another
            // thread would be refused behind it whatever file it is for.
            ticket: Some(Arc::new(Ticket::issue_for(
                !self.overwrite,
                Some(target.to_path_buf()),
            ))),
            order_checked_at_commit: false,
            owner: super::lifecycle::environment_of(env),
        })
    }
}

/// Why an operation failed, in the terms a Node error needs.
#[napi(object)]
pub struct NativeFailure {
    /// `'fs'`, `'hashMismatch'`, `'aborted'`, `'outOfRange'` or `'orderPending'`.
    pub kind: String,
    pub code: String,
    /// libuv-style (negative) errno; 0 where there is none.
    pub errno: i32,
    pub description: String,
    pub syscall: String,
    /// Which of the caller's paths the failure concerns: `'target'` or `'source'`.
    pub subject: String,
    /// The rename had happened: the bytes are visible, maybe not durable.
    pub published: bool,
    /// A scratch file that could not be removed.
    pub scratch: Option<String>,
    /// What the errno alone does not say.
    pub detail: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

/// The result of a publish or a hash: either `failure`, or `bytes` and `hash`.
#[napi(object)]
pub struct NativeOutcome {
    pub bytes: f64,
    pub hash: Option<String>,
    /// A later publish to the same target committed first; these bytes were never renamed.
    pub superseded: bool,
    pub failure: Option<NativeFailure>,
}

impl NativeOutcome {
    pub fn success(bytes: u64, hash: Option<u128>) -> Self {
        Self {
            bytes: bytes as f64,
            hash: hash.map(hash::to_hex),
            superseded: false,
            failure: None,
        }
    }

    pub fn from_publish(result: std::result::Result<Published, PublishError>) -> Self {
        match result {
            Ok(p) => Self {
                superseded: p.superseded,
                ..Self::success(p.bytes, p.hash)
            },
            Err(e) => Self::failed(describe(e)),
        }
    }

    /// The outcome of giving up: success, but naming a scratch that could not be removed.
    pub fn abandoned(scratch_left: Option<std::path::PathBuf>) -> Self {
        let mut outcome = Self::success(0, None);
        if let Some(path) = scratch_left {
            outcome.failure = Some(NativeFailure {
                scratch: Some(path.to_string_lossy().into_owned()),
                ..describe(PublishError::Aborted)
            });
        }
        outcome
    }

    pub fn failed(failure: NativeFailure) -> Self {
        Self {
            failure: Some(failure),
            ..Self::success(0, None)
        }
    }
}

pub fn describe_fs(f: FsFailure) -> NativeFailure {
    let name = f.errno();
    NativeFailure {
        kind: "fs".into(),
        code: name.code,
        errno: name.errno,
        description: name.description,
        syscall: f.syscall.as_str().into(),
        subject: match f.subject {
            Subject::Target => "target",
            Subject::Source => "source",
        }
        .into(),
        published: f.published,
        scratch: f.scratch_left.map(|p| p.to_string_lossy().into_owned()),
        detail: f.detail,
        expected: None,
        actual: None,
    }
}

pub fn describe(err: PublishError) -> NativeFailure {
    let other = |kind: &str, code: String| NativeFailure {
        kind: kind.into(),
        code,
        errno: 0,
        description: String::new(),
        syscall: String::new(),
        subject: "target".into(),
        published: false,
        scratch: None,
        detail: None,
        expected: None,
        actual: None,
    };
    match err {
        PublishError::Fs(f) => describe_fs(f),
        PublishError::HashMismatch { expected, actual } => NativeFailure {
            expected: Some(hash::to_hex(expected)),
            actual: Some(hash::to_hex(actual)),
            ..other("hashMismatch", "ERR_HASH_MISMATCH".into())
        },
        PublishError::Aborted => other("aborted", "ABORT_ERR".into()),
        PublishError::OrderPending => other("orderPending", "ERR_ORDER_PENDING".into()),
        PublishError::InvalidEntry { path, reason } => NativeFailure {
            detail: Some(format!("the staged path {path:?} {reason}")),
            ..other("invalidEntry", "ERR_INVALID_ARG_VALUE".into())
        },
        PublishError::LeftBehind { cause, scratch } => NativeFailure {
            scratch: Some(scratch.to_string_lossy().into_owned()),
            ..describe(*cause)
        },
        PublishError::MtimeNotStorable { asked, stored } => NativeFailure {
            detail: Some(format!(
                "the file system cannot store this mtime ({asked} s since the epoch); it would have stored {stored} s"
            )),
            ..other("outOfRange", "ERR_OUT_OF_RANGE".into())
        },
        PublishError::MtimeOutOfRange { asked } => NativeFailure {
            detail: Some(format!(
                "this platform's file times cannot hold this mtime ({asked} s since the epoch)"
            )),
            ..other("outOfRange", "ERR_OUT_OF_RANGE".into())
        },
    }
}
