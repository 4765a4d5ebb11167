//! Everywhere but Linux: no unnamed scratch files, so large writes copy the caller's bytes
//! first (see `unread.rs`).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

pub fn create_unnamed(_dir: &Path, _options: &mut OpenOptions) -> io::Result<Option<File>> {
    Ok(None)
}

pub fn link_unnamed(_file: &File, _path: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

pub fn write_all_from(_file: &File, _addr: usize, _len: usize, _offset: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}
