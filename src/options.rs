//! What a caller sets for one publish, and what it gets back: the options, the shared
//! control through which it cancels and watches, and the result.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use crate::durability::Durability;
use crate::order::Ticket;
use crate::scratch::{ModePolicy, Owner, ScratchSpec};

/// A point in time with nanosecond precision, as seconds and nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mtime {
    pub secs: i64,
    pub nanos: u32,
}

/// Seconds since the epoch, with as many decimals as the nanoseconds need.
impl std::fmt::Display for Mtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos);
        let (sign, total) = if total < 0 {
            ("-", -total)
        } else {
            ("", total)
        };
        let (whole, fraction) = (total / 1_000_000_000, total % 1_000_000_000);
        if fraction == 0 {
            return write!(f, "{sign}{whole}");
        }
        let digits = format!("{fraction:09}");
        write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// Shared between a publish and its caller: the caller may cancel it, and reads how many
/// bytes are down so far.
///
/// Cancelling and committing race for one state: the first to move it away from running wins.
/// So a caller whose cancel was accepted knows the publish will never rename, and may report
/// the abort at once while the clean-up goes on; a cancel that comes once the rename has begun
/// is refused, and the publish completes.
#[derive(Debug, Default)]
pub struct Control {
    state: AtomicU8,
    bytes: AtomicU64,
}

const RUNNING: u8 = 0;
const CANCELLED: u8 = 1;
const COMMITTING: u8 = 2;

impl Control {
    /// Ask the publish to stop. True when it will never publish (the cancel came first);
    /// false when its rename had already begun.
    pub fn cancel(&self) -> bool {
        match self
            .state
            .compare_exchange(RUNNING, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(now) => now == CANCELLED,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Acquire) == CANCELLED
    }

    /// The point of no return, taken right before the rename: true when the publish may go on
    /// (and no cancel will be accepted from now on), false when it was cancelled.
    pub fn begin_commit(&self) -> bool {
        match self
            .state
            .compare_exchange(RUNNING, COMMITTING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(now) => now == COMMITTING,
        }
    }

    /// Bytes written to the scratch so far; only ever grows.
    pub fn bytes_written(&self) -> u64 {
        self.bytes.load(Ordering::Acquire)
    }

    pub(crate) fn record(&self, total: u64) {
        self.bytes.store(total, Ordering::Release);
    }
}

/// Everything a builder can configure about one publish.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    pub expected_hash: Option<u128>,
    pub mtime: Option<Mtime>,
    pub mode: ModePolicy,
    pub durability: Durability,
    /// `false`: publish only where no target exists (guarantee 13).
    pub overwrite: bool,
    /// Owner, attribute tolerance, retry budget and clean-up of the scratch (`mode` aside).
    pub scratch: ScratchSpec,
    pub control: Option<Arc<Control>>,
    /// The publish's place in call order; taken when the publish begins if not given.
    pub ticket: Option<Arc<Ticket>>,
    /// Checked in call order at the commit rather than before the scratch is made (a stream,
    /// see `order::Ticket::may_commit`).
    pub order_checked_at_commit: bool,
    /// Which JavaScript environment (main thread or worker) the publish belongs to: its end
    /// removes that environment's in-flight scratch files and no other's (0: none).
    pub owner: Owner,
}

impl Default for PublishOptions {
    fn default() -> Self {
        Self {
            expected_hash: None,
            mtime: None,
            mode: ModePolicy::Inherit,
            durability: Durability::Full,
            overwrite: true,
            scratch: ScratchSpec::default(),
            control: None,
            ticket: None,
            order_checked_at_commit: false,
            owner: 0,
        }
    }
}

impl PublishOptions {
    pub fn cancelled(&self) -> bool {
        self.control.as_ref().is_some_and(|c| c.is_cancelled())
    }

    /// Take the point of no return (see [`Control`]); false when the publish was cancelled.
    pub(crate) fn begin_commit(&self) -> bool {
        self.control.as_ref().is_none_or(|c| c.begin_commit())
    }
}

/// What a successful publish wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub bytes: u64,
    /// XXH3-128 of the published bytes, when they were hashed.
    pub hash: Option<u128>,
    /// A later call to the same target committed first: these bytes were never renamed.
    pub superseded: bool,
}
