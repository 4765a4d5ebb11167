//! Everywhere but Linux: no unnamed scratch files, so large writes copy the caller's bytes
//! first (see `unread.rs`).

use std::fs::File;
use std::io;
use std::path::Path;

use super::TargetDir;

pub fn create_unnamed(_dir: &TargetDir, _bits: u32) -> io::Result<Option<File>> {
    Ok(None)
}

pub fn link_unnamed(_file: &File, _dir: &TargetDir, _path: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Never asked: no file is ever made unnamed here.
#[derive(Debug, PartialEq, Eq)]
pub struct NewFileTraits;

pub fn new_file_traits(_dir: &TargetDir) -> io::Result<NewFileTraits> {
    Err(io::ErrorKind::Unsupported.into())
}

pub fn write_all_from(_file: &File, _addr: usize, _len: usize, _offset: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}
