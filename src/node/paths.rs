//! Paths from JavaScript: a string, or a Buffer that names exactly its bytes (guarantee 15).
//! The wrapper sends a Buffer only when its bytes are not UTF-8, and only where file names
//! are bytes; anywhere else such a path is refused here too, never altered.

use std::path::PathBuf;

use napi::bindgen_prelude::{Buffer, Either};
use napi::{Error, Result, Status};

use crate::sys;

pub type JsPath = Either<String, Buffer>;

pub fn to_path(path: JsPath) -> Result<PathBuf> {
    match path {
        Either::A(text) => Ok(PathBuf::from(text)),
        Either::B(bytes) => sys::path_from_bytes(&bytes).ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                "a path that is not UTF-8 cannot name a file on this platform",
            )
        }),
    }
}
