//! `NativeControl`: how JavaScript cancels a publish and reads its progress without a round
//! trip through the thread pool (both are plain atomics).

use std::sync::Arc;

use napi_derive::napi;

use crate::publish::Control;

#[napi]
pub struct NativeControl {
    inner: Arc<Control>,
}

#[napi]
impl NativeControl {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Control::default()),
        }
    }

    /// Ask the publish to stop; honoured between chunks and before the rename, never after.
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Bytes written so far.
    #[napi]
    pub fn bytes_written(&self) -> f64 {
        self.inner.bytes_written() as f64
    }
}

impl NativeControl {
    pub fn shared(&self) -> Arc<Control> {
        self.inner.clone()
    }
}
