//! A publish fed chunk by chunk, for sources whose size is not known in advance.
//!
//! Invariant: only an explicit [`StreamPublish::commit`] publishes. A stream that errors, is
//! aborted, or is simply dropped part-way (its source destroyed, its JS object collected) ends
//! with its scratch removed, because the only path to the rename goes through `commit`. This
//! is liboxen's "explicit end of stream" rule: a closed channel is never taken for an end.

use std::path::PathBuf;

use crate::errors::{self, FsFailure, PublishError, Syscall};
use crate::publish::{PublishOptions, Published, Publisher};

enum State {
    /// Nothing on disk yet: the scratch is created with the first chunk (or at commit for an
    /// empty stream), so a stream cancelled before any data touches nothing.
    Pending {
        target: PathBuf,
        options: PublishOptions,
    },
    Open(Box<Publisher>),
    /// Committed, failed or aborted: every later call is refused.
    Closed,
}

pub struct StreamPublish {
    state: State,
}

impl StreamPublish {
    pub fn new(target: PathBuf, options: PublishOptions) -> Self {
        Self {
            state: State::Pending { target, options },
        }
    }

    fn publisher(&mut self) -> Result<&mut Publisher, PublishError> {
        if let State::Pending { target, options } = &self.state {
            let publisher = Publisher::begin(target, options.clone(), true);
            self.state = match publisher {
                Ok(p) => State::Open(Box::new(p)),
                Err(e) => {
                    self.state = State::Closed;
                    return Err(e);
                }
            };
        }
        match &mut self.state {
            State::Open(p) => Ok(p),
            // Like writing to a closed descriptor: EBADF.
            _ => Err(FsFailure::target(errors::bad_descriptor(), Syscall::Write).into()),
        }
    }

    /// Append a chunk (hashed in passing). After a failure the scratch is gone and the stream
    /// is closed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<u64, PublishError> {
        let publisher = self.publisher()?;
        if publisher.cancelled() {
            return Err(match self.abort() {
                Some(scratch) => PublishError::LeftBehind {
                    cause: Box::new(PublishError::Aborted),
                    scratch,
                },
                None => PublishError::Aborted,
            });
        }
        match publisher.append(chunk) {
            Ok(()) => Ok(publisher.bytes_written()),
            Err(failure) => match std::mem::replace(&mut self.state, State::Closed) {
                State::Open(p) => Err(p.fail(failure)),
                _ => unreachable!("publisher() left the stream open"),
            },
        }
    }

    /// Create the scratch now, before any chunk (for a caller that must learn its path first).
    pub fn begin(&mut self) -> Result<(), PublishError> {
        self.publisher().map(drop)
    }

    /// The scratch's path, once it exists and until the stream is closed.
    pub fn scratch_path(&self) -> Option<&std::path::Path> {
        match &self.state {
            State::Open(p) => Some(p.scratch_path()),
            _ => None,
        }
    }

    /// The explicit end: verify, stamp, fsync, rename. `OrderPending` with the stream still
    /// open where an earlier call to its file must settle first: commit again later.
    pub fn commit(&mut self) -> Result<Published, PublishError> {
        self.publisher()?.may_commit()?;
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Open(p) => p.finish(None),
            _ => unreachable!("publisher() left the stream open"),
        }
    }

    /// Give up: remove the scratch if there is one. `Some(path)` if it could not be removed.
    pub fn abort(&mut self) -> Option<PathBuf> {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Open(p) => p.abandon(),
            _ => None,
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
