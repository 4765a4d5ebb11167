//! The directory stage on Windows: refused. Windows has no atomic exchange of two directory
//! entries, so a directory publish there would leave a moment with no target at all; rather
//! than offer a weaker promise under the same name, every directory publish fails with
//! ENOTSUP before anything is made.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::windows_dir::TargetDir;
use super::EntryKind;

/// ERROR_NOT_SUPPORTED, which libuv (and so Node) names ENOTSUP.
fn unsupported() -> io::Error {
    io::Error::from_raw_os_error(50)
}

/// Never made: see the module's doc.
/// Directories cannot be exchanged atomically here: ENOTSUP.
pub fn directories_supported() -> io::Result<()> {
    Err(unsupported())
}

#[derive(Debug)]
pub struct StageDir {
    dir: File,
}

impl StageDir {
    pub fn make_root(_parent: &TargetDir, _name: &OsStr) -> io::Result<(Self, u32)> {
        Err(unsupported())
    }
    pub fn subdir(&self, _name: &OsStr) -> io::Result<(Self, bool)> {
        Err(unsupported())
    }
    pub fn open_subdir(&self, _name: &OsStr) -> io::Result<Self> {
        Err(unsupported())
    }
    pub fn open_in(_parent: &TargetDir, _name: &OsStr) -> io::Result<Self> {
        Err(unsupported())
    }
    pub fn create_file(&self, _name: &OsStr, _bits: u32) -> io::Result<File> {
        Err(unsupported())
    }
    pub fn open_file(&self, _name: &OsStr) -> io::Result<File> {
        Err(unsupported())
    }
    pub fn is_plain_file(&self, _name: &OsStr) -> io::Result<bool> {
        Err(unsupported())
    }
    pub fn unlink(&self, _name: &OsStr) -> io::Result<()> {
        Err(unsupported())
    }
    pub fn link_from(&self, _from: &StageDir, _from_name: &OsStr, _name: &OsStr) -> io::Result<()> {
        Err(unsupported())
    }
    pub fn entries(&self) -> io::Result<Vec<(OsString, EntryKind)>> {
        Err(unsupported())
    }
    pub fn set_mode(&self, _bits: u32) -> io::Result<()> {
        Err(unsupported())
    }
    pub fn sync(&self) -> io::Result<()> {
        Err(unsupported())
    }
    pub fn file(&self) -> &File {
        &self.dir
    }
    pub fn is_named(&self, _parent: &TargetDir, _name: &OsStr) -> io::Result<bool> {
        Err(unsupported())
    }
}

pub fn entry_kind(_dir: &TargetDir, _name: &OsStr) -> io::Result<Option<EntryKind>> {
    Err(unsupported())
}
pub fn exchange(_dir: &TargetDir, _a: &OsStr, _b: &OsStr) -> io::Result<()> {
    Err(unsupported())
}
pub fn rename_dir_noreplace(_dir: &TargetDir, _from: &OsStr, _to: &OsStr) -> io::Result<()> {
    Err(unsupported())
}
/// No `syncfs` here.
pub fn syncs_file_system() -> bool {
    false
}

pub fn sync_file_system(_dir: &StageDir) -> io::Result<bool> {
    Ok(false)
}
pub fn remove_tree(_parent: &TargetDir, _name: &OsStr, path: &Path) -> Vec<(PathBuf, io::Error)> {
    vec![(path.to_path_buf(), unsupported())]
}
pub fn remove_tree_by_path(path: &Path) -> Vec<(PathBuf, io::Error)> {
    vec![(path.to_path_buf(), unsupported())]
}

/// ENOTDIR: something other than a directory is where a tree is to be published.
pub fn not_a_directory() -> io::Error {
    io::ErrorKind::NotADirectory.into()
}

/// An open of a directory that met a link or a file.
pub fn is_link_or_file(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::NotADirectory
}
