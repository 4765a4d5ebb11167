//! How the file system of a directory compares names, asked of the directory itself: one
//! volume may mix rules (a case-sensitive APFS volume, an ext4 directory with casefold, a
//! Windows directory flagged case-sensitive for WSL). See `crate::name_folding` for the rules.

use std::path::Path;

use crate::name_folding::NameFolding;

/// Linux: exact, except in a directory with the casefold attribute (ext4 and f2fs `+F`),
/// where the kernel compares names NFD-normalized and case-folded.
#[cfg(target_os = "linux")]
pub fn name_folding(dir: &Path) -> NameFolding {
    use std::os::unix::io::AsRawFd;
    // FS_IOC_GETFLAGS: _IOR('f', 1, long), and FS_CASEFOLD_FL from <linux/fs.h>.
    const FS_IOC_GETFLAGS: u32 =
        (2 << 30) | ((std::mem::size_of::<libc::c_long>() as u32) << 16) | (0x66 << 8) | 1;
    const FS_CASEFOLD_FL: libc::c_long = 0x4000_0000;
    use std::os::unix::fs::OpenOptionsExt;
    // Only a directory is opened: never a FIFO put in its place, whose open would wait.
    let Ok(handle) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NONBLOCK)
        .open(dir)
    else {
        return NameFolding::EXACT;
    };
    let mut flags: libc::c_long = 0;
    // SAFETY: FS_IOC_GETFLAGS writes at most a long into `flags`; an unsupported file system
    // answers ENOTTY or EINVAL and writes nothing.
    let asked = unsafe { libc::ioctl(handle.as_raw_fd(), FS_IOC_GETFLAGS as _, &mut flags) };
    let casefold = asked == 0 && flags & FS_CASEFOLD_FL != 0;
    NameFolding {
        case: casefold,
        normalization: casefold,
    }
}

/// macOS: case as `pathconf(_PC_CASE_SENSITIVE)` says; normalization on APFS and HFS+, which
/// always compare names normalized (other mounts, such as SMB or FAT, do not).
#[cfg(target_vendor = "apple")]
pub fn name_folding(dir: &Path) -> NameFolding {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return NameFolding::EXACT;
    };
    // SAFETY: a NUL-terminated path; pathconf and statfs only read it and fill `fs`.
    let (case_sensitive, fs_type) = unsafe {
        let sensitive = libc::pathconf(path.as_ptr(), libc::_PC_CASE_SENSITIVE);
        let mut fs: libc::statfs = std::mem::zeroed();
        let kind = if libc::statfs(path.as_ptr(), &mut fs) == 0 {
            std::ffi::CStr::from_ptr(fs.f_fstypename.as_ptr())
                .to_bytes()
                .to_vec()
        } else {
            Vec::new()
        };
        (sensitive, kind)
    };
    NameFolding {
        // 0: insensitive; 1: sensitive; -1: not known, so not folded.
        case: case_sensitive == 0,
        normalization: fs_type == b"apfs" || fs_type == b"hfs",
    }
}

/// Windows: case is ignored unless the directory is flagged case-sensitive
/// (`FILE_CASE_SENSITIVE_INFO`, set for WSL); NTFS does not normalize names.
#[cfg(windows)]
pub fn name_folding(dir: &Path) -> NameFolding {
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        FileCaseSensitiveInfo, GetFileInformationByHandleEx, FILE_CASE_SENSITIVE_INFO,
        FILE_FLAG_BACKUP_SEMANTICS, FILE_READ_ATTRIBUTES, FILE_SHARE_DELETE, FILE_SHARE_READ,
        FILE_SHARE_WRITE,
    };
    const FILE_CS_FLAG_CASE_SENSITIVE_DIR: u32 = 1;
    let insensitive = NameFolding {
        case: true,
        normalization: false,
    };
    let Ok(handle) = std::fs::OpenOptions::new()
        .access_mode(FILE_READ_ATTRIBUTES)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(dir)
    else {
        return insensitive;
    };
    let mut info = FILE_CASE_SENSITIVE_INFO::default();
    // SAFETY: `info` is a FILE_CASE_SENSITIVE_INFO of the size given. Where the call is not
    // supported (before Windows 10 1803, FAT, ReFS), the directory ignores case.
    let asked = unsafe {
        GetFileInformationByHandleEx(
            handle.as_raw_handle(),
            FileCaseSensitiveInfo,
            (&raw mut info).cast(),
            std::mem::size_of::<FILE_CASE_SENSITIVE_INFO>() as u32,
        )
    };
    if asked != 0 && info.Flags & FILE_CS_FLAG_CASE_SENSITIVE_DIR != 0 {
        NameFolding::EXACT
    } else {
        insensitive
    }
}

/// Other Unix systems: names compared exactly.
#[cfg(not(any(target_os = "linux", target_vendor = "apple", windows)))]
pub fn name_folding(_dir: &Path) -> NameFolding {
    NameFolding::EXACT
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::target::key_now;

    #[test]
    fn an_ordinary_linux_directory_compares_names_exactly() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(name_folding(dir.path()), NameFolding::EXACT);
        assert_ne!(
            key_now(&dir.path().join("Data.json")),
            key_now(&dir.path().join("data.json"))
        );
    }

    #[test]
    fn a_fifo_where_the_directory_was_is_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(name_folding(&fifo), NameFolding::EXACT);
    }

    #[test]
    fn a_casefold_directory_folds_case_and_normalization_skipped_where_chattr_f_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let folded = dir.path().join("folded");
        std::fs::create_dir(&folded).unwrap();
        let made = std::process::Command::new("chattr")
            .arg("+F")
            .arg(&folded)
            .output();
        match made {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                let why = String::from_utf8_lossy(&out.stderr);
                eprintln!(
                    "skipped: no casefold directory here (chattr +F: {})",
                    why.trim()
                );
                return;
            }
            Err(e) => {
                eprintln!("skipped: no casefold directory here (chattr: {e})");
                return;
            }
        }
        let both = NameFolding {
            case: true,
            normalization: true,
        };
        assert_eq!(name_folding(&folded), both);
        let key = |name: &str| key_now(&folded.join(name)).unwrap();
        assert_eq!(key("Data.json"), key("data.json"));
        assert_eq!(key("CAF\u{c9}"), key("cafe\u{301}"));
        assert_ne!(key("a.json"), key("b.json"));
        // The file system agrees: the second spelling opens the first's file.
        std::fs::write(folded.join("Data.json"), b"x").unwrap();
        assert_eq!(std::fs::read(folded.join("data.json")).unwrap(), b"x");
    }
}
