//! Windows.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::windows_errors::{
    self as uv, UvError, ERROR_ACCESS_DENIED, ERROR_CANT_RESOLVE_FILENAME, ERROR_INVALID_HANDLE,
    ERROR_LOCK_VIOLATION, ERROR_SHARING_VIOLATION, ERROR_TOO_MANY_OPEN_FILES,
};
use crate::errors::{ErrnoName, FileKind};

// ---------------------------------------------------------------------------------------------
// Errors

/// The Win32 error `raw` as Node names it (libuv's table), or `None` where libuv would say
/// UNKNOWN: the caller then names it by its kind.
pub fn name_raw(raw: i32) -> Option<ErrnoName> {
    uv::translate(raw).map(named)
}

/// The error called `code`, with libuv's Windows number.
pub fn name_code(code: &str) -> ErrnoName {
    named(uv::by_name(code))
}

fn named(e: UvError) -> ErrnoName {
    ErrnoName {
        code: e.code.to_string(),
        errno: e.errno,
        description: e.message.to_string(),
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

/// EBUSY: the target's directory kept changing while it was resolved (never seen here: the
/// directory is named by path each time).
pub fn target_changed() -> io::Error {
    io::Error::from_raw_os_error(ERROR_SHARING_VIOLATION)
}

/// Too many open files (the C runtime's limit; Win32 handles have none worth the name).
pub fn is_out_of_descriptors(err: &io::Error) -> bool {
    err.raw_os_error() == Some(ERROR_TOO_MANY_OPEN_FILES)
}

/// A rename onto a file that another process holds open without delete sharing (an
/// antivirus scan, a search indexer) fails with a sharing violation until it lets go. Where
/// the rename had to go the older way (no POSIX semantics), a target merely open elsewhere
/// fails with ACCESS_DENIED too, and that is waited out as well; a rename with POSIX
/// semantics refused with ACCESS_DENIED was refused by an ACL or the read-only attribute,
/// which no wait changes.
pub fn is_transient_rename_failure(err: &io::Error) -> bool {
    match err.raw_os_error() {
        Some(ERROR_SHARING_VIOLATION | ERROR_LOCK_VIOLATION) => true,
        Some(ERROR_ACCESS_DENIED) => !super::windows_rename::last_refusal_was_posix(),
        _ => false,
    }
}

/// What a caller's retry budget also waits out: access denied, sharing and lock violations,
/// on any step.
pub fn is_busy_or_refused(err: &io::Error) -> bool {
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

/// At `'full'`, the directory is flushed after a rename: `FlushFileBuffers` on a directory
/// handle (opened with backup semantics) writes its metadata, as NTFS and ReFS document for
/// `NtFlushBuffersFileEx`. A rename by handle has no write-through flag of its own.
pub const DIRECTORY_FSYNC: bool = true;

// ---------------------------------------------------------------------------------------------
// Scratch files

/// `name` cut to at most `max` UTF-16 units (what Windows' 255 limit counts), never
/// between the two halves of a surrogate pair.
pub fn truncate_file_name(name: &OsStr, max: usize) -> OsString {
    use std::os::windows::ffi::{OsStrExt, OsStringExt};
    let wide: Vec<u16> = name.encode_wide().collect();
    if wide.len() <= max {
        return name.to_os_string();
    }
    let low_surrogate = 0xDC00..0xE000;
    let cut = if low_surrogate.contains(&wide[max]) {
        max - 1
    } else {
        max
    };
    OsString::from_wide(&wide[..cut])
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
/// A positional read moves the cursor, which a duplicated handle shares: reading back on one
/// handle while writing at the cursor on another would misplace the writes.
pub const READ_AT_KEEPS_CURSOR: bool = false;

/// Positional reads until `buf` is full from `offset` (an early end of file is
/// UnexpectedEof). Unlike `pread`, each read moves the file's cursor, to the end of the range
/// read: callers read only up to the file's end, where the cursor already is.
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], offset + done as u64)
        {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub fn start_writeback(_file: &File) {}

/// No writeback hint exists here.
pub fn start_writeback_of(_file: &File, _offset: u64, _len: u64) {}

/// The scratch stays open through its rename: the rename is done through its handle (see
/// `windows_rename`), and its lock, which on Windows bars every other handle from its bytes,
/// keeps sweepers in other processes off it until then.
pub const CLOSE_BEFORE_RENAME: bool = false;

/// `path` as a NUL-terminated wide string for a Win32 call. Paths past the legacy MAX_PATH
/// limit are made absolute and verbatim (`\\?\`), as std does for its own calls.
pub(super) fn win32_path(path: &Path) -> io::Result<Vec<u16>> {
    use std::os::windows::ffi::OsStrExt;
    /// std's threshold: directories may be no longer than MAX_PATH - 12.
    const LEGACY_MAX: usize = 248;
    let wide_of = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    let (verbatim, device, unc) = (wide_of(r"\\?\"), wide_of(r"\\.\"), wide_of(r"\\"));
    let mut wide: Vec<u16> = path.as_os_str().encode_wide().collect();
    if wide.len() >= LEGACY_MAX && !wide.starts_with(&verbatim) {
        let absolute: Vec<u16> = std::path::absolute(path)?
            .as_os_str()
            .encode_wide()
            .collect();
        wide = if absolute.starts_with(&verbatim) || absolute.starts_with(&device) {
            absolute
        } else if let Some(share) = absolute.strip_prefix(unc.as_slice()) {
            // \\server\share\... becomes \\?\UNC\server\share\...
            wide_of(r"\\?\UNC\")
                .into_iter()
                .chain(share.iter().copied())
                .collect()
        } else {
            verbatim.into_iter().chain(absolute).collect()
        };
    }
    if wide.contains(&0) {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    wide.push(0);
    Ok(wide)
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

/// What metadata alone tells of a file that is neither a regular file nor a directory: on
/// Windows, nothing (devices are told apart by [`device_kind`], on an open handle).
pub fn file_kind(_meta: &Metadata) -> FileKind {
    FileKind::Other
}

/// `None` for a file on a disk; otherwise what `GetFileType` says the open `file` is: the
/// console (`CON`), `NUL`, a COM port (character devices) or a pipe. std's `is_file()` is
/// true of all of them ("not a directory or a link").
pub fn device_kind(file: &File) -> Option<FileKind> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        GetFileType, FILE_TYPE_CHAR, FILE_TYPE_DISK, FILE_TYPE_PIPE,
    };
    // SAFETY: the handle is owned by `file` and open for the whole call.
    match unsafe { GetFileType(file.as_raw_handle()) } {
        FILE_TYPE_DISK => None,
        FILE_TYPE_CHAR => Some(FileKind::CharDevice),
        FILE_TYPE_PIPE => Some(FileKind::Pipe),
        _ => Some(FileKind::Other),
    }
}

/// [`device_kind`] of whatever `path` opens (no access asked, nothing read); `None` where it
/// cannot be opened, which the caller's own calls then report.
pub fn device_at(path: &Path) -> Option<FileKind> {
    use std::os::windows::fs::OpenOptionsExt;
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_FLAG_BACKUP_SEMANTICS, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
    };
    let file = OpenOptions::new()
        .access_mode(0)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)
        .ok()?;
    device_kind(&file)
}

/// Windows closes a scratch before touching its name, so there is no descriptor to ask.
pub fn current_name(_file: &File, _name: &OsStr) -> Option<PathBuf> {
    None
}

/// Windows closes a scratch before touching its name: a name not found is taken as gone.
pub fn is_unlinked(_file: &File) -> bool {
    true
}

/// A path given as bytes: Windows names are UTF-16, so only UTF-8 bytes name a path.
pub fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

/// Whether a FILETIME can hold this mtime (see `windows_time`).
pub fn mtime_fits(secs: i64, nanos: u32) -> bool {
    super::windows_time::filetime_of(secs, nanos).is_some()
}

/// Windows keeps no status-change time: its creation time stands in.
pub fn status_changed(meta: &Metadata) -> Option<std::time::SystemTime> {
    meta.created().ok()
}

pub fn is_fifo(_meta: &Metadata) -> bool {
    false
}

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

pub fn same_group(_a: &Metadata, _b: &Metadata) -> bool {
    true
}

pub fn copy_owner(_file: &File, _like: &Metadata) -> io::Result<()> {
    Ok(())
}

/// Windows files have no uid or gid (`fs.chown` does nothing there either).
pub fn set_owner(_file: &File, _uid: Option<u32>, _gid: Option<u32>) -> io::Result<()> {
    Ok(())
}

/// Nothing to ignore: owners and modes are never refused here.
pub fn is_benign_attribute_refusal(_err: &io::Error) -> bool {
    false
}

// ---------------------------------------------------------------------------------------------
// Scratch locks and sweeping

/// ERROR_LOCK_VIOLATION: another process holds the lock right now.
pub fn lock_contended() -> io::Error {
    io::Error::from_raw_os_error(ERROR_LOCK_VIOLATION)
}

/// Does `path` (a final reparse point not followed) name the file open as `file`?
pub fn names_file(path: &Path, file: &File) -> io::Result<bool> {
    Ok(file_id(&open_not_following(path)?)? == file_id(file)?)
}

/// The volume and 128-bit file id of an open file: what identifies it across names
/// (`FileIdInfo`; ReFS ids do not fit the 64-bit `nFileIndex`). Where that class is refused
/// (before Windows 8, some network redirectors), the volume serial and `nFileIndex`.
fn file_id(file: &File) -> io::Result<(u64, [u8; 16])> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        FileIdInfo, GetFileInformationByHandle, GetFileInformationByHandleEx,
        BY_HANDLE_FILE_INFORMATION, FILE_ID_INFO,
    };
    // SAFETY: an all-zero FILE_ID_INFO is a valid value of plain integers.
    let mut id: FILE_ID_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is owned by `file` and open for the whole call; `id` is writable
    // and as large as said.
    let got = unsafe {
        GetFileInformationByHandleEx(
            file.as_raw_handle(),
            FileIdInfo,
            (&raw mut id).cast(),
            std::mem::size_of::<FILE_ID_INFO>() as u32,
        )
    };
    if got != 0 {
        return Ok((id.VolumeSerialNumber, id.FileId.Identifier));
    }
    // SAFETY: an all-zero BY_HANDLE_FILE_INFORMATION is a valid value of plain integers.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is owned by `file` and open for the whole call; `info` is writable.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    let mut identifier = [0u8; 16];
    identifier[..8].copy_from_slice(&index.to_le_bytes());
    Ok((u64::from(info.dwVolumeSerialNumber), identifier))
}

/// Open `path` for reading as itself: a reparse point (a link) is opened, not followed, and
/// the file stays deletable and writable by others while it is open.
pub fn open_not_following(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_FLAG_OPEN_REPARSE_POINT, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
    };
    OpenOptions::new()
        .read(true)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

/// The errors of an `open` or `unlink` of one directory entry that say it is gone or is no
/// longer the kind of thing looked for.
pub fn is_gone_or_other_kind(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::IsADirectory | io::ErrorKind::NotADirectory
    )
}

/// Open a copy's source for reading (no FIFOs here to wait on). Windows refuses to open a
/// directory as a file (ERROR_ACCESS_DENIED, EPERM); Node's fs opens it and its read fails
/// with EISDIR, the error given here too.
pub fn open_source(path: &Path) -> io::Result<File> {
    File::open(path).map_err(|e| {
        let directory = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
        if e.raw_os_error() == Some(ERROR_ACCESS_DENIED) && directory {
            is_a_directory()
        } else {
            e
        }
    })
}

/// Nothing to wait for here: false only if already cancelled.
pub fn wait_readable(_file: &File, cancelled: &dyn Fn() -> bool) -> io::Result<bool> {
    Ok(!cancelled())
}

/// Read from `file` into `buf`; `Ok(None)` is never returned here, where reads do not wait on
/// another process's writer.
pub fn read_waiting(
    file: &File,
    buf: &mut [u8],
    _cancelled: &dyn Fn() -> bool,
) -> io::Result<Option<usize>> {
    std::io::Read::read(&mut &*file, buf).map(Some)
}
