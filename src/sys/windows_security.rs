//! What a replace keeps on Windows: the replaced file's DACL (who may read and write it), its
//! hidden and system attributes and its creation time, given to the scratch right after it
//! is created, before any byte is written. A scratch otherwise inherits its directory's
//! ACL, which for a file whose owner narrowed its DACL would let more people read the new
//! bytes than could read the old ones. The owner is not carried: setting another owner needs
//! SeRestorePrivilege, and the scratch's creator owns it as a new file's would.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::os::windows::io::AsRawHandle;
use std::path::Path;

use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Authorization::{
    GetSecurityInfo, SetSecurityInfo, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    GetSecurityDescriptorControl, ACL, DACL_SECURITY_INFORMATION,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, SE_DACL_PROTECTED,
    UNPROTECTED_DACL_SECURITY_INFORMATION,
};
use windows_sys::Win32::Storage::FileSystem::{
    FileBasicInfo, SetFileInformationByHandle, FILE_ATTRIBUTE_HIDDEN, FILE_ATTRIBUTE_SYSTEM,
    FILE_BASIC_INFO, FILE_FLAG_BACKUP_SEMANTICS, FILE_SHARE_DELETE, FILE_SHARE_READ,
    FILE_SHARE_WRITE, READ_CONTROL,
};

/// ERROR_INVALID_FUNCTION, ERROR_NOT_SUPPORTED: a file system without security descriptors.
fn has_no_security(code: u32) -> bool {
    matches!(code, 1 | 50)
}

/// Give the new scratch `file` what the file at `old_path` (described by `old`) has.
pub fn carry_to_scratch(file: &File, old_path: &Path, old: &Metadata) -> io::Result<()> {
    carry_dacl(file, old_path)?;
    carry_basic_info(file, old)
}

/// The old file's DACL, protected from inheritance exactly where it was: an inherited DACL
/// is then computed again from the same directory, a protected one is copied as it is.
fn carry_dacl(file: &File, old_path: &Path) -> io::Result<()> {
    let old = OpenOptions::new()
        .access_mode(READ_CONTROL)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(old_path)?;
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: the handle is open; the out-pointers are valid; `descriptor` is freed below.
    let got = unsafe {
        GetSecurityInfo(
            old.as_raw_handle(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    if got != 0 {
        return if has_no_security(got) {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(got as i32))
        };
    }
    let result = set_dacl(file, descriptor, dacl);
    // SAFETY: `descriptor` was allocated by GetSecurityInfo, which says to free it so; `dacl`
    // points into it and is not used after this.
    unsafe { LocalFree(descriptor) };
    result
}

fn set_dacl(file: &File, descriptor: PSECURITY_DESCRIPTOR, dacl: *mut ACL) -> io::Result<()> {
    // A NULL DACL (a file system without ACLs, or one that grants everyone everything) is
    // what a new file there gets anyway.
    if dacl.is_null() {
        return Ok(());
    }
    let (mut control, mut revision) = (0u16, 0u32);
    // SAFETY: `descriptor` is a valid security descriptor; the out-pointers are valid.
    if unsafe { GetSecurityDescriptorControl(descriptor, &mut control, &mut revision) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let inheritance = if control & SE_DACL_PROTECTED != 0 {
        PROTECTED_DACL_SECURITY_INFORMATION
    } else {
        UNPROTECTED_DACL_SECURITY_INFORMATION
    };
    // SAFETY: the scratch's handle is open; `dacl` is valid while `descriptor` lives.
    let set = unsafe {
        SetSecurityInfo(
            file.as_raw_handle(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | inheritance,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            dacl,
            std::ptr::null(),
        )
    };
    match set {
        0 => Ok(()),
        code if has_no_security(code) => Ok(()),
        code => Err(io::Error::from_raw_os_error(code as i32)),
    }
}

/// The hidden and system attributes and the creation time, in one call (zero times are
/// left as they are).
fn carry_basic_info(file: &File, old: &Metadata) -> io::Result<()> {
    let kept = old.file_attributes() & (FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM);
    let info = FILE_BASIC_INFO {
        CreationTime: old.creation_time() as i64,
        LastAccessTime: 0,
        LastWriteTime: 0,
        ChangeTime: 0,
        FileAttributes: file.metadata()?.file_attributes() | kept,
    };
    // SAFETY: the handle is open; `info` is a valid FILE_BASIC_INFO of the size given.
    let ok = unsafe {
        SetFileInformationByHandle(
            file.as_raw_handle(),
            FileBasicInfo,
            (&raw const info).cast(),
            std::mem::size_of::<FILE_BASIC_INFO>() as u32,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
