//! Deleting a file that the read-only attribute protects, on Windows.
//!
//! A publish whose mode lacks the owner's write bit gives its scratch the read-only attribute
//! once it is sealed; if the publish fails after that, the scratch must still go. Whether a
//! plain delete removes a read-only file depends on the Windows release, the file system and
//! the Rust release: `DeleteFileW` refuses it, Windows 10 1809 added a delete that ignores the
//! attribute, and Wine has none. Where the plain delete is refused, the attribute is cleared
//! first, on one handle opened on the name itself without following a link: the checks, the
//! clearing, the delete and, if the delete is refused, putting the attribute back, all act on
//! the one file that handle holds, whatever another process does to the name meanwhile. A file
//! with other names is left alone: its read-only attribute protects those names too.

use std::fs::{File, OpenOptions};
use std::io;
use std::mem::{size_of, zeroed};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::AsRawHandle;
use std::path::Path;

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::Storage::FileSystem::{
    FileBasicInfo, FileDispositionInfo, GetFileInformationByHandle, SetFileInformationByHandle,
    BY_HANDLE_FILE_INFORMATION, DELETE, FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_READONLY,
    FILE_BASIC_INFO, FILE_DISPOSITION_INFO, FILE_FLAG_BACKUP_SEMANTICS,
    FILE_FLAG_OPEN_REPARSE_POINT, FILE_INFO_BY_HANDLE_CLASS, FILE_READ_ATTRIBUTES,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_WRITE_ATTRIBUTES,
};

/// Remove the file at `path`, read-only or not (see the module's comment). The error is the
/// first delete's when the read-only way does not apply or fails too.
pub fn remove_file(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(refused) if refused.kind() == io::ErrorKind::PermissionDenied => {
            remove_read_only(path).map_err(|_| refused)
        }
        done => done,
    }
}

fn remove_read_only(path: &Path) -> io::Result<()> {
    let file = OpenOptions::new()
        .access_mode(DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)?;
    let info = file_information(&file)?;
    let attributes = info.dwFileAttributes;
    if attributes & FILE_ATTRIBUTE_READONLY == 0 || info.nNumberOfLinks != 1 {
        return Err(io::ErrorKind::PermissionDenied.into());
    }
    set_attributes(&file, attributes & !FILE_ATTRIBUTE_READONLY)?;
    let delete = FILE_DISPOSITION_INFO { DeleteFile: true };
    set_information(&file, FileDispositionInfo, &delete).inspect_err(|_| {
        let _ = set_attributes(&file, attributes);
    })
    // Deleted as `file` closes.
}

fn file_information(file: &File) -> io::Result<BY_HANDLE_FILE_INFORMATION> {
    // SAFETY: a plain-data struct the call fills, and a handle `file` keeps open.
    unsafe {
        let mut info: BY_HANDLE_FILE_INFORMATION = zeroed();
        if GetFileInformationByHandle(file.as_raw_handle() as HANDLE, &mut info) == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(info)
    }
}

/// Set the attributes alone: zero times leave the times as they are, and zero attributes
/// would too, so none at all is FILE_ATTRIBUTE_NORMAL.
fn set_attributes(file: &File, attributes: u32) -> io::Result<()> {
    // SAFETY: all-zero is a valid FILE_BASIC_INFO ("leave unchanged").
    let mut basic: FILE_BASIC_INFO = unsafe { zeroed() };
    basic.FileAttributes = if attributes == 0 {
        FILE_ATTRIBUTE_NORMAL
    } else {
        attributes
    };
    set_information(file, FileBasicInfo, &basic)
}

fn set_information<T>(file: &File, class: FILE_INFO_BY_HANDLE_CLASS, value: &T) -> io::Result<()> {
    // SAFETY: `value` is the struct `class` names, alive for the call; the handle is open.
    let done = unsafe {
        SetFileInformationByHandle(
            file.as_raw_handle() as HANDLE,
            class,
            (value as *const T).cast(),
            size_of::<T>() as u32,
        )
    };
    if done == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::remove_file;
    use std::fs;
    use std::path::Path;

    fn make_read_only(path: &Path) {
        let mut perms = fs::metadata(path).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(path, perms).unwrap();
    }

    fn is_read_only(path: &Path) -> bool {
        fs::metadata(path).unwrap().permissions().readonly()
    }

    #[test]
    fn a_read_only_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.oxentmp.abcdef");
        fs::write(&path, b"scratch").unwrap();
        make_read_only(&path);
        remove_file(&path).unwrap();
        assert!(!path.exists());
    }

    /// The attribute belongs to the file, not to one of its names: removing a scratch-named
    /// hard link must leave the file's other name read-only.
    #[test]
    fn a_read_only_file_with_another_name_keeps_its_attribute() {
        let dir = tempfile::tempdir().unwrap();
        let theirs = dir.path().join("theirs");
        fs::write(&theirs, b"precious").unwrap();
        make_read_only(&theirs);
        let link = dir.path().join("f.oxentmp.abcdef");
        fs::hard_link(&theirs, &link).unwrap();
        // Removed where Windows deletes read-only names itself; refused where it cannot.
        let _ = remove_file(&link);
        assert_eq!(fs::read(&theirs).unwrap(), b"precious");
        assert!(is_read_only(&theirs));
    }
}
