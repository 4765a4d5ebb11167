//! The target's directory on Windows: named by its path, since a directory cannot be opened
//! as a `File` here, and renames are write-through (no directory fsync is needed).

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::windows::DirKey;

/// "The directory name is invalid": libuv's ENOTDIR.
const ERROR_DIRECTORY: i32 = 267;

/// A directory that a publish works in.
#[derive(Debug)]
pub struct TargetDir {
    path: PathBuf,
}

impl TargetDir {
    pub fn open(path: &Path) -> io::Result<Self> {
        if !std::fs::metadata(path)?.is_dir() {
            return Err(io::Error::from_raw_os_error(ERROR_DIRECTORY));
        }
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    pub fn key_and_metadata(&self) -> io::Result<(DirKey, Metadata)> {
        Ok((
            super::windows::dir_key(&self.path)?,
            std::fs::metadata(&self.path)?,
        ))
    }

    /// Nothing is resolved apart from the open here: the directory is named by path each time.
    pub fn still_holds(
        &self,
        _name: &std::ffi::OsStr,
        _existing: Option<&Metadata>,
    ) -> io::Result<bool> {
        Ok(true)
    }

    /// Create `path` exclusively (no permission bits to give it here).
    pub fn create_new(&self, path: &Path, _bits: u32) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
    }

    /// Nothing to do: see `DIRECTORY_FSYNC`.
    pub fn sync(&self) -> io::Result<()> {
        Ok(())
    }

    pub fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        super::windows::rename(from, to)
    }

    pub fn rename_noreplace(&self, from: &Path, to: &Path) -> io::Result<()> {
        super::windows::rename_noreplace(from, to)
    }
}

/// No sticky-directory protections to mirror here.
pub fn check_link_followable(_link: &Path, _meta: &Metadata) -> io::Result<()> {
    Ok(())
}

/// No sticky-directory protections to mirror here.
pub fn check_replaceable(_dir: &Metadata, _file: &Metadata) -> io::Result<()> {
    Ok(())
}
