//! The target's directory on Windows: named by its path (Windows has no `openat`); opened
//! only to flush it after a rename.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::windows::DirKey;
use super::windows_rename::{rename_open, Replace};

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

    /// Create `path` exclusively (no permission bits to give it here), open with DELETE
    /// access so that it can later be renamed through this handle, WRITE_DAC to give it the
    /// replaced file's DACL (`windows_security`), and every sharing mode.
    pub fn create_new(&self, path: &Path, _bits: u32) -> io::Result<File> {
        use std::os::windows::fs::OpenOptionsExt;
        use windows_sys::Win32::Foundation::{GENERIC_READ, GENERIC_WRITE};
        use windows_sys::Win32::Storage::FileSystem::{DELETE, WRITE_DAC};
        OpenOptions::new()
            .read(true)
            .write(true)
            .access_mode(GENERIC_READ | GENERIC_WRITE | DELETE | WRITE_DAC)
            .create_new(true)
            .open(path)
    }

    /// Flush the directory's metadata (a rename in it) to disk: `FlushFileBuffers` on a
    /// handle to it, which needs write access and backup semantics to open a directory.
    /// Where the file system cannot flush a directory (ERROR_INVALID_FUNCTION or
    /// ERROR_NOT_SUPPORTED: FAT and some network redirectors) nothing more can be done, and
    /// the rename is as durable as the file system makes it.
    pub fn sync(&self) -> io::Result<()> {
        use std::os::windows::fs::OpenOptionsExt;
        use windows_sys::Win32::Foundation::GENERIC_WRITE;
        use windows_sys::Win32::Storage::FileSystem::{
            FILE_ADD_FILE, FILE_FLAG_BACKUP_SEMANTICS, FILE_SHARE_DELETE, FILE_SHARE_READ,
            FILE_SHARE_WRITE,
        };
        let open = |access| {
            OpenOptions::new()
                .access_mode(access)
                .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
                .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
                .open(&self.path)
        };
        // GENERIC_WRITE, as FlushFileBuffers documents; where an ACL grants less on the
        // directory, the right to add a file, which the scratch's creation already needed.
        let dir = match open(GENERIC_WRITE) {
            Err(e) if e.raw_os_error() == Some(super::windows_errors::ERROR_ACCESS_DENIED) => {
                open(FILE_ADD_FILE)?
            }
            opened => opened?,
        };
        match dir.sync_all() {
            Err(e) if matches!(e.raw_os_error(), Some(1 | 50)) => Ok(()),
            done => done,
        }
    }

    /// Rename the scratch `from`, open as `scratch`, onto `to`, replacing it.
    pub fn rename(&self, scratch: Option<&File>, from: &Path, to: &Path) -> io::Result<()> {
        self.rename_as(scratch, from, to, Replace::Always)
    }

    /// [`TargetDir::rename`] only where `to` does not exist (EEXIST otherwise).
    pub fn rename_noreplace(
        &self,
        scratch: Option<&File>,
        from: &Path,
        to: &Path,
    ) -> io::Result<()> {
        self.rename_as(scratch, from, to, Replace::Never)
    }

    fn rename_as(
        &self,
        scratch: Option<&File>,
        from: &Path,
        to: &Path,
        replace: Replace,
    ) -> io::Result<()> {
        let scratch = scratch.ok_or_else(super::windows::bad_descriptor)?;
        rename_open(scratch, from, to, replace)?;
        // The lock kept sweepers off the scratch until now; held on, it would bar readers of
        // the published file from its bytes until the handle closes.
        let _ = scratch.unlock();
        Ok(())
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
