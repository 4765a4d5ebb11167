//! `NativeControl`: one publish's handle on the JS side. It carries the publish's place in
//! call order (taken when the control is made, at the call), and lets JavaScript cancel the
//! publish and read its progress without a round trip through the thread pool.

use std::sync::{Arc, Mutex};

use napi_derive::napi;

use napi::bindgen_prelude::{Buffer, Either};

use super::paths::to_path;
use crate::order::Ticket;
use crate::publish::{Control, PublishOptions};

#[napi]
pub struct NativeControl {
    inner: Arc<Control>,
    /// Gone once the call has settled: a ticket held by a collected-later object would hold
    /// back the pruning of order records.
    ticket: Mutex<Option<Arc<Ticket>>>,
}

#[napi]
impl NativeControl {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    /// `exclusive`: the call may not overwrite (unsaid: counted as such, the careful side);
    /// `target`: the path it was called with, so that a sync call can tell whether it is its
    /// own file before that call has found it.
    pub fn new(exclusive: Option<bool>, target: Option<Either<String, Buffer>>) -> Self {
        let path = target.and_then(|t| to_path(t).ok());
        Self {
            inner: Arc::new(Control::default()),
            ticket: Mutex::new(Some(Arc::new(Ticket::issue_for(
                exclusive.unwrap_or(true),
                path,
            )))),
        }
    }

    /// Ask the publish to stop. True when it will never publish, so the caller may reject at
    /// once (clean-up follows on the pool); false when its rename has begun.
    #[napi]
    pub fn cancel(&self) -> bool {
        let accepted = self.inner.cancel();
        if accepted {
            if let Some(ticket) = self.ticket().as_ref() {
                ticket.withdraw();
            }
        }
        accepted
    }

    /// The call has settled: give up its place in call order (a publish still running keeps
    /// its own reference until it ends).
    #[napi]
    pub fn retire(&self) {
        // Settled: it will never rename, so no sync call waits for it, even while something
        // still holds its ticket.
        if let Some(ticket) = self.ticket().take() {
            ticket.withdraw();
        }
    }

    /// Bytes written so far.
    #[napi]
    pub fn bytes_written(&self) -> f64 {
        self.inner.bytes_written() as f64
    }
}

impl NativeControl {
    /// Attach this control, and its place in call order, to a publish's options.
    pub fn attach(&self, options: &mut PublishOptions) {
        options.control = Some(self.inner.clone());
        if let Some(ticket) = self.ticket().as_ref() {
            options.ticket = Some(ticket.clone());
        }
    }

    fn ticket(&self) -> std::sync::MutexGuard<'_, Option<Arc<Ticket>>> {
        self.ticket
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
