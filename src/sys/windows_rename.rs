//! Renames on Windows, done through the scratch's own open handle.
//!
//! `SetFileInformationByHandle(FileRenameInfoEx)` with POSIX semantics replaces a target that
//! other processes hold open (with delete sharing, as Node, editors and most indexers open
//! files): their handles keep reading the old file, and every later open finds the new one,
//! as a `rename(2)` does on Unix. `MoveFileExW` instead fails with ACCESS_DENIED while any
//! handle to the target is open. The scratch stays open, and locked against sweepers, until
//! the rename has happened, so no other process can take it in between.
//!
//! What the file system or Windows version cannot do is tried the older way, each step only
//! where the one before was refused as unsupported: FileRenameInfoEx without the read-only
//! flag (Windows 10 before 1809), FileRenameInfo with ReplaceIfExists (before 1607, FAT,
//! exFAT, some network shares: a target held open is then waited for, as before), and last
//! `MoveFileExW` by path.

use std::cell::Cell;
use std::fs::File;
use std::io;
use std::os::windows::io::AsRawHandle;
use std::path::Path;

use windows_sys::Win32::Storage::FileSystem::{
    FileRenameInfo, FileRenameInfoEx, MoveFileExW, SetFileInformationByHandle,
    FILE_INFO_BY_HANDLE_CLASS, FILE_RENAME_INFO, FILE_RENAME_INFO_0, MOVEFILE_REPLACE_EXISTING,
    MOVEFILE_WRITE_THROUGH,
};

use super::windows::win32_path;

// FILE_RENAME_INFORMATION's flags (ntifs.h; FILE_RENAME_IGNORE_READONLY_ATTRIBUTE is 0x40).
const REPLACE_IF_EXISTS: u32 = 0x1;
const POSIX_SEMANTICS: u32 = 0x2;
const IGNORE_READONLY_ATTRIBUTE: u32 = 0x40;

/// ERROR_INVALID_FUNCTION, ERROR_NOT_SUPPORTED, ERROR_INVALID_PARAMETER,
/// ERROR_CALL_NOT_IMPLEMENTED: the information class or a flag is unknown to this Windows or
/// this file system. Nothing has been renamed.
fn is_unsupported(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(1 | 50 | 87 | 120))
}

/// The one way a rename may be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Replace whatever file is at the target.
    Always,
    /// Fail with ERROR_ALREADY_EXISTS (EEXIST) where the target exists.
    Never,
}

thread_local! {
    /// Whether this thread's last refused rename was refused with POSIX semantics (see
    /// `is_transient_rename_failure`): the retry that asks runs on the thread that renamed.
    static LAST_REFUSAL_POSIX: Cell<bool> = const { Cell::new(false) };
}

pub fn last_refusal_was_posix() -> bool {
    LAST_REFUSAL_POSIX.with(Cell::get)
}

/// Rename the scratch open as `file` (and named `from`) onto `to`.
pub fn rename_open(file: &File, from: &Path, to: &Path, replace: Replace) -> io::Result<()> {
    // A rename by handle resolves a relative name against nothing: give it a full path.
    let target = win32_path(&std::path::absolute(to)?)?;
    let attempts: &[(FILE_INFO_BY_HANDLE_CLASS, u32)] = match replace {
        Replace::Always => &[
            (
                FileRenameInfoEx,
                REPLACE_IF_EXISTS | POSIX_SEMANTICS | IGNORE_READONLY_ATTRIBUTE,
            ),
            (FileRenameInfoEx, REPLACE_IF_EXISTS | POSIX_SEMANTICS),
            (FileRenameInfo, REPLACE_IF_EXISTS),
        ],
        Replace::Never => &[(FileRenameInfo, 0)],
    };
    LAST_REFUSAL_POSIX.with(|last| last.set(false));
    for &(class, flags) in attempts {
        match set_rename_info(file, class, flags, &target) {
            Err(e) if is_unsupported(&e) => continue,
            Err(e) => {
                LAST_REFUSAL_POSIX.with(|last| last.set(flags & POSIX_SEMANTICS != 0));
                return Err(e);
            }
            done => return done,
        }
    }
    move_by_path(from, to, replace)
}

/// One `SetFileInformationByHandle` rename of `file` to the NUL-terminated `target`.
fn set_rename_info(
    file: &File,
    class: FILE_INFO_BY_HANDLE_CLASS,
    flags: u32,
    target: &[u16],
) -> io::Result<()> {
    let name = &target[..target.len() - 1];
    let header = std::mem::offset_of!(FILE_RENAME_INFO, FileName);
    let size = header + std::mem::size_of_val(name) + 2;
    // u64 storage keeps the structure's 8-byte alignment (it holds a HANDLE).
    let mut storage = vec![0u64; size.div_ceil(8)];
    let info = storage.as_mut_ptr().cast::<FILE_RENAME_INFO>();
    // FileRenameInfo reads the first byte as the BOOLEAN ReplaceIfExists: the whole word is
    // written either way, so no byte of the union is left unset.
    let anonymous = if class == FileRenameInfoEx {
        FILE_RENAME_INFO_0 { Flags: flags }
    } else {
        FILE_RENAME_INFO_0 {
            Flags: flags & REPLACE_IF_EXISTS,
        }
    };
    let name_bytes = u32::try_from(std::mem::size_of_val(name))
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `storage` is zeroed, aligned for FILE_RENAME_INFO and `size` bytes long, which
    // holds the header and the name with its NUL; every write stays inside it.
    unsafe {
        (&raw mut (*info).Anonymous).write(anonymous);
        (&raw mut (*info).RootDirectory).write(std::ptr::null_mut());
        (&raw mut (*info).FileNameLength).write(name_bytes);
        std::ptr::copy_nonoverlapping(
            name.as_ptr(),
            (&raw mut (*info).FileName).cast::<u16>(),
            name.len(),
        );
    }
    // SAFETY: the handle is open for the whole call; `info` points at `size` valid bytes.
    let ok = unsafe {
        SetFileInformationByHandle(
            file.as_raw_handle(),
            class,
            info.cast(),
            u32::try_from(size).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `MoveFileExW`, where no rename by handle is supported.
fn move_by_path(from: &Path, to: &Path, replace: Replace) -> io::Result<()> {
    let (from, to) = (win32_path(from)?, win32_path(to)?);
    let flags = match replace {
        Replace::Always => MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH,
        Replace::Never => MOVEFILE_WRITE_THROUGH,
    };
    // SAFETY: both are NUL-terminated UTF-16 strings that outlive the call.
    if unsafe { MoveFileExW(from.as_ptr(), to.as_ptr(), flags) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
