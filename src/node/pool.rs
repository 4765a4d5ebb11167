//! One shape for every piece of work sent to libuv's thread pool.
//!
//! `state` is what the work needs (paths, options, a reference to the caller's bytes); it
//! stays with the task, which N-API drops on the JS thread once the promise has settled, so a
//! JS buffer is never released from a pool thread. `work` runs on the pool; its result is
//! handed to JavaScript as it is (failures are data in the result, see `outcome`). A panic in
//! `work` would abort the whole process from a pool thread; it is caught and rejects the
//! promise instead (guarantee 15).

use napi::bindgen_prelude::{ToNapiValue, TypeName};
use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::panic_to_error;
use napi::{Env, Result, Task};

pub struct OnPool<S, T> {
    state: S,
    work: fn(&mut S) -> T,
}

impl<S, T> OnPool<S, T> {
    pub fn new(state: S, work: fn(&mut S) -> T) -> Self {
        Self { state, work }
    }
}

impl<S: Send, T: ToNapiValue + TypeName + Send + 'static> Task for OnPool<S, T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> Result<T> {
        let (work, state) = (self.work, &mut self.state);
        catch_unwind(AssertUnwindSafe(|| work(state))).map_err(panic_to_error)
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<T> {
        Ok(output)
    }
}
