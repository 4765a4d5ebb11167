//! Windows.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::errors::ErrnoName;

// ---------------------------------------------------------------------------------------------
// Errors

const ERROR_ACCESS_DENIED: i32 = 5;
const ERROR_INVALID_HANDLE: i32 = 6;
const ERROR_TOO_MANY_OPEN_FILES: i32 = 4;
const ERROR_SHARING_VIOLATION: i32 = 32;
const ERROR_LOCK_VIOLATION: i32 = 33;
const ERROR_CANT_RESOLVE_FILENAME: i32 = 1921;

/// Windows codes are not errnos; the kind-based fallback names them.
pub fn name_raw(_raw: i32) -> Option<ErrnoName> {
    None
}

pub fn name_code(code: &str) -> ErrnoName {
    ErrnoName {
        code: code.to_string(),
        errno: 0,
        description: code.to_lowercase(),
    }
}

/// EISDIR has no Windows code of its own.
pub fn is_a_directory() -> io::Error {
    io::Error::from(io::ErrorKind::IsADirectory)
}

/// EBADF: ERROR_INVALID_HANDLE.
pub fn bad_descriptor() -> io::Error {
    io::Error::from_raw_os_error(ERROR_INVALID_HANDLE)
}

/// ELOOP: ERROR_CANT_RESOLVE_FILENAME, what Windows reports for a loop of reparse points.
pub fn too_many_links() -> io::Error {
    io::Error::from_raw_os_error(ERROR_CANT_RESOLVE_FILENAME)
}

/// Too many open files (the C runtime's limit; Win32 handles have none worth the name).
pub fn is_out_of_descriptors(err: &io::Error) -> bool {
    err.raw_os_error() == Some(ERROR_TOO_MANY_OPEN_FILES)
}

/// A rename onto a file that another process holds open (an antivirus scan, a search
/// indexer) fails with one of these until it lets go.
pub fn is_transient_rename_failure(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(ERROR_ACCESS_DENIED | ERROR_SHARING_VIOLATION | ERROR_LOCK_VIOLATION)
    )
}

// ---------------------------------------------------------------------------------------------
// Process limits

/// Windows has no soft descriptor limit to read; this one keeps the scratch budget at 512.
pub fn open_file_limit() -> u64 {
    2048
}

// ---------------------------------------------------------------------------------------------
// Directories

/// What identifies a directory whatever the spelling of its path: its canonical path.
pub type DirKey = PathBuf;

pub fn dir_key(path: &Path) -> io::Result<DirKey> {
    std::fs::canonicalize(path)
}

/// Windows has no directory fsync and makes renames durable on its own.
pub const DIRECTORY_FSYNC: bool = false;

// ---------------------------------------------------------------------------------------------
// Scratch files

/// A new file gets the default attributes: there are no permission bits to give it.
pub fn set_new_file_mode(_options: &mut OpenOptions) {}

/// `name` cut to at most `max` characters.
pub fn truncate_file_name(name: &OsStr, max: usize) -> OsString {
    let name = name.to_string_lossy();
    OsString::from(name.chars().take(max).collect::<String>())
}

/// Positional writes until all of `data` is at `offset` (a short write is continued).
pub fn write_all_at(file: &File, data: &[u8], offset: u64) -> io::Result<()> {
    let mut done = 0;
    while done < data.len() {
        match std::os::windows::fs::FileExt::seek_write(file, &data[done..], offset + done as u64) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// No writeback hint exists here.
pub fn start_writeback(_file: &File) {}

/// Windows cannot rename a file open without delete sharing: the scratch is closed first.
pub const CLOSE_BEFORE_RENAME: bool = true;

pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// Open an existing file only to flush it: FlushFileBuffers needs a handle open for writing.
pub fn open_to_sync(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

/// FlushFileBuffers.
pub fn sync_file(file: &File) -> io::Result<()> {
    file.sync_all()
}

// ---------------------------------------------------------------------------------------------
// Mode and owner

/// Windows knows only the read-only attribute: 0o444 or 0o666.
pub fn mode_bits(meta: &Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o666
    }
}

/// Read-only exactly when `bits` lack the owner-write bit.
pub fn set_mode_bits(file: &File, bits: u32) -> io::Result<()> {
    let mut perms = file.metadata()?.permissions();
    perms.set_readonly(bits & 0o200 == 0);
    file.set_permissions(perms)
}

/// Owners do not carry over on Windows.
pub fn same_owner(_a: &Metadata, _b: &Metadata) -> bool {
    true
}

pub fn copy_owner(_file: &File, _like: &Metadata) -> io::Result<()> {
    Ok(())
}
