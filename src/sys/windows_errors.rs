//! Windows error codes named as Node names them: libuv 1.49.2's `uv_translate_sys_error` table
//! (`src/win/error.c`; the file-system and pipe codes, since Winsock codes never reach a file
//! publish), with libuv's Windows numbers (Node's `err.errno`, e.g. -4058 for ENOENT) and
//! `uv_strerror`'s messages. One code libuv lacks is named beyond it: a disk quota exceeded is
//! EDQUOT, numbered as libuv numbers errors on Unix (the negated system code, -1295).
//!
//! Pure data and lookups, so they are unit-tested on every platform.

/// A libuv error: its name (Node's `code`), number on Windows (Node's `errno`) and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UvError {
    pub code: &'static str,
    pub errno: i32,
    pub message: &'static str,
}

const fn uv(code: &'static str, errno: i32, message: &'static str) -> UvError {
    UvError {
        code,
        errno,
        message,
    }
}

// Numbers from libuv's include/uv/errno.h (the `_WIN32` branch), messages from UV_ERRNO_MAP.
pub const EAGAIN: UvError = uv("EAGAIN", -4088, "resource temporarily unavailable");
pub const EACCES: UvError = uv("EACCES", -4092, "permission denied");
pub const EBADF: UvError = uv("EBADF", -4083, "bad file descriptor");
pub const EBUSY: UvError = uv("EBUSY", -4082, "resource busy or locked");
pub const ECANCELED: UvError = uv("ECANCELED", -4081, "operation canceled");
pub const ECHARSET: UvError = uv("ECHARSET", -4080, "invalid Unicode character");
pub const ECONNABORTED: UvError = uv("ECONNABORTED", -4079, "software caused connection abort");
pub const ECONNREFUSED: UvError = uv("ECONNREFUSED", -4078, "connection refused");
pub const ECONNRESET: UvError = uv("ECONNRESET", -4077, "connection reset by peer");
pub const EEXIST: UvError = uv("EEXIST", -4075, "file already exists");
pub const EFAULT: UvError = uv("EFAULT", -4074, "bad address in system call argument");
pub const EHOSTUNREACH: UvError = uv("EHOSTUNREACH", -4073, "host is unreachable");
pub const EINTR: UvError = uv("EINTR", -4072, "interrupted system call");
pub const EINVAL: UvError = uv("EINVAL", -4071, "invalid argument");
pub const EIO: UvError = uv("EIO", -4070, "i/o error");
pub const EISDIR: UvError = uv("EISDIR", -4068, "illegal operation on a directory");
pub const ELOOP: UvError = uv("ELOOP", -4067, "too many symbolic links encountered");
pub const EMFILE: UvError = uv("EMFILE", -4066, "too many open files");
pub const ENAMETOOLONG: UvError = uv("ENAMETOOLONG", -4064, "name too long");
pub const ENETUNREACH: UvError = uv("ENETUNREACH", -4062, "network is unreachable");
pub const ENOENT: UvError = uv("ENOENT", -4058, "no such file or directory");
pub const ENOMEM: UvError = uv("ENOMEM", -4057, "not enough memory");
pub const ENOSPC: UvError = uv("ENOSPC", -4055, "no space left on device");
pub const ENOTCONN: UvError = uv("ENOTCONN", -4053, "socket is not connected");
pub const ENOTDIR: UvError = uv("ENOTDIR", -4052, "not a directory");
pub const ENOTEMPTY: UvError = uv("ENOTEMPTY", -4051, "directory not empty");
pub const ENOTSUP: UvError = uv("ENOTSUP", -4049, "operation not supported on socket");
pub const EPERM: UvError = uv("EPERM", -4048, "operation not permitted");
pub const EPIPE: UvError = uv("EPIPE", -4047, "broken pipe");
pub const EROFS: UvError = uv("EROFS", -4043, "read-only file system");
pub const ETIMEDOUT: UvError = uv("ETIMEDOUT", -4039, "connection timed out");
pub const EXDEV: UvError = uv("EXDEV", -4037, "cross-device link not permitted");
pub const E2BIG: UvError = uv("E2BIG", -4093, "argument list too long");
pub const EOF: UvError = uv("EOF", -4095, "end of file");
pub const EFTYPE: UvError = uv("EFTYPE", -4028, "inappropriate file type or format");
/// Not in libuv: ERROR_DISK_QUOTA_EXCEEDED, negated, with the wording of Linux's EDQUOT.
pub const EDQUOT: UvError = uv("EDQUOT", -1295, "disk quota exceeded");

/// Win32 error codes the core names itself (values from winerror.h).
pub const ERROR_ACCESS_DENIED: i32 = 5;
pub const ERROR_INVALID_HANDLE: i32 = 6;
pub const ERROR_TOO_MANY_OPEN_FILES: i32 = 4;
pub const ERROR_SHARING_VIOLATION: i32 = 32;
pub const ERROR_LOCK_VIOLATION: i32 = 33;
pub const ERROR_CANT_RESOLVE_FILENAME: i32 = 1921;

/// libuv's `uv_translate_sys_error` for a Win32 error code; `None` where libuv says UNKNOWN
/// (the caller then names the error by its kind, so `code` is never 'UNKNOWN').
pub fn translate(code: i32) -> Option<UvError> {
    Some(match code {
        // ERROR_ELEVATION_REQUIRED, ERROR_CANT_ACCESS_FILE
        740 | 1920 => EACCES,
        // ERROR_NO_DATA (a pipe with nothing to read; libuv's write path says EPIPE)
        232 => EAGAIN,
        // ERROR_INVALID_FLAGS, ERROR_INVALID_HANDLE
        1004 | ERROR_INVALID_HANDLE => EBADF,
        // ERROR_LOCK_VIOLATION, ERROR_PIPE_BUSY, ERROR_SHARING_VIOLATION
        ERROR_LOCK_VIOLATION | 231 | ERROR_SHARING_VIOLATION => EBUSY,
        // ERROR_OPERATION_ABORTED
        995 => ECANCELED,
        // ERROR_NO_UNICODE_TRANSLATION
        1113 => ECHARSET,
        // ERROR_CONNECTION_ABORTED, ERROR_CONNECTION_REFUSED, ERROR_NETNAME_DELETED
        1236 => ECONNABORTED,
        1225 => ECONNREFUSED,
        64 => ECONNRESET,
        // ERROR_ALREADY_EXISTS, ERROR_FILE_EXISTS
        183 | 80 => EEXIST,
        // ERROR_NOACCESS
        998 => EFAULT,
        // ERROR_HOST_UNREACHABLE
        1232 => EHOSTUNREACH,
        // ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_DATA, ERROR_INVALID_PARAMETER,
        // ERROR_SYMLINK_NOT_SUPPORTED
        122 | 13 | 87 | 1464 => EINVAL,
        // ERROR_BEGINNING_OF_MEDIA, ERROR_BUS_RESET, ERROR_CRC, ERROR_DEVICE_DOOR_OPEN,
        // ERROR_DEVICE_REQUIRES_CLEANING, ERROR_DISK_CORRUPT, ERROR_EOM_OVERFLOW,
        // ERROR_FILEMARK_DETECTED, ERROR_GEN_FAILURE, ERROR_INVALID_BLOCK_LENGTH,
        // ERROR_IO_DEVICE, ERROR_NO_DATA_DETECTED, ERROR_NO_SIGNAL_SENT, ERROR_OPEN_FAILED,
        // ERROR_SETMARK_DETECTED, ERROR_SIGNAL_REFUSED
        1102 | 1111 | 23 | 1166 | 1165 | 1393 | 1129 | 1101 | 31 | 1106 | 1117 | 1104 | 205
        | 110 | 1103 | 156 => EIO,
        ERROR_CANT_RESOLVE_FILENAME => ELOOP,
        ERROR_TOO_MANY_OPEN_FILES => EMFILE,
        // ERROR_BUFFER_OVERFLOW, ERROR_FILENAME_EXCED_RANGE
        111 | 206 => ENAMETOOLONG,
        // ERROR_NETWORK_UNREACHABLE
        1231 => ENETUNREACH,
        // ERROR_BAD_PATHNAME, ERROR_DIRECTORY, ERROR_ENVVAR_NOT_FOUND, ERROR_FILE_NOT_FOUND,
        // ERROR_INVALID_NAME, ERROR_INVALID_DRIVE, ERROR_INVALID_REPARSE_DATA,
        // ERROR_MOD_NOT_FOUND, ERROR_PATH_NOT_FOUND
        161 | 267 | 203 | 2 | 123 | 15 | 4392 | 126 | 3 => ENOENT,
        // ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY
        8 | 14 => ENOMEM,
        // ERROR_CANNOT_MAKE, ERROR_DISK_FULL, ERROR_EA_TABLE_FULL, ERROR_END_OF_MEDIA,
        // ERROR_HANDLE_DISK_FULL
        82 | 112 | 277 | 1100 | 39 => ENOSPC,
        // ERROR_NOT_CONNECTED
        2250 => ENOTCONN,
        // ERROR_DIR_NOT_EMPTY
        145 => ENOTEMPTY,
        // ERROR_NOT_SUPPORTED
        50 => ENOTSUP,
        // ERROR_BROKEN_PIPE
        109 => EOF,
        // ERROR_PRIVILEGE_NOT_HELD
        // ERROR_ACCESS_DENIED is EPERM in the libuv that Node 22 bundles: under Wine, Node's own
        // fs.renameSync onto a file held open says `EPERM -4048`, and we say what fs says.
        ERROR_ACCESS_DENIED | 1314 => EPERM,
        // ERROR_BAD_PIPE, ERROR_PIPE_NOT_CONNECTED
        230 | 233 => EPIPE,
        // ERROR_WRITE_PROTECT
        19 => EROFS,
        // ERROR_SEM_TIMEOUT
        121 => ETIMEDOUT,
        // ERROR_NOT_SAME_DEVICE
        17 => EXDEV,
        // ERROR_INVALID_FUNCTION
        1 => EISDIR,
        // ERROR_META_EXPANSION_TOO_LONG
        208 => E2BIG,
        // ERROR_BAD_EXE_FORMAT
        193 => EFTYPE,
        // ERROR_DISK_QUOTA_EXCEEDED: UNKNOWN in libuv
        1295 => EDQUOT,
        _ => return None,
    })
}

/// The libuv error called `code`, for errors that carry no Win32 code (named by their kind).
pub fn by_name(code: &str) -> UvError {
    [
        EACCES,
        EBADF,
        EBUSY,
        EDQUOT,
        EEXIST,
        EINTR,
        EINVAL,
        EISDIR,
        ELOOP,
        EMFILE,
        ENAMETOOLONG,
        ENOENT,
        ENOSPC,
        ENOTDIR,
        EPERM,
        EROFS,
        EXDEV,
    ]
    .into_iter()
    .find(|e| e.code == code)
    .unwrap_or(EIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(code: i32) -> &'static str {
        translate(code).map_or("(none)", |e| e.code)
    }

    #[test]
    fn a_file_held_open_elsewhere_is_ebusy() {
        assert_eq!(named(ERROR_SHARING_VIOLATION), "EBUSY");
        assert_eq!(named(ERROR_LOCK_VIOLATION), "EBUSY");
    }

    #[test]
    fn the_file_system_codes_a_publish_meets_are_named_as_libuv_names_them() {
        for (win32, code) in [
            (2, "ENOENT"),         // ERROR_FILE_NOT_FOUND
            (3, "ENOENT"),         // ERROR_PATH_NOT_FOUND
            (267, "ENOENT"),       // ERROR_DIRECTORY
            (4, "EMFILE"),         // ERROR_TOO_MANY_OPEN_FILES
            (5, "EPERM"),          // ERROR_ACCESS_DENIED
            (1314, "EPERM"),       // ERROR_PRIVILEGE_NOT_HELD
            (17, "EXDEV"),         // ERROR_NOT_SAME_DEVICE
            (206, "ENAMETOOLONG"), // ERROR_FILENAME_EXCED_RANGE
            (112, "ENOSPC"),       // ERROR_DISK_FULL
            (39, "ENOSPC"),        // ERROR_HANDLE_DISK_FULL
            (19, "EROFS"),         // ERROR_WRITE_PROTECT
            (80, "EEXIST"),        // ERROR_FILE_EXISTS
            (183, "EEXIST"),       // ERROR_ALREADY_EXISTS
            (145, "ENOTEMPTY"),    // ERROR_DIR_NOT_EMPTY
            (1921, "ELOOP"),       // ERROR_CANT_RESOLVE_FILENAME
            (6, "EBADF"),          // ERROR_INVALID_HANDLE
            (87, "EINVAL"),        // ERROR_INVALID_PARAMETER
            (1117, "EIO"),         // ERROR_IO_DEVICE
            (1, "EISDIR"),         // ERROR_INVALID_FUNCTION
        ] {
            assert_eq!(named(win32), code, "Win32 error {win32}");
        }
    }

    #[test]
    fn errno_is_libuvs_negative_windows_number_and_the_message_nodes_wording() {
        let enoent = translate(2).unwrap();
        assert_eq!(enoent.errno, -4058);
        assert_eq!(enoent.message, "no such file or directory");
        assert_eq!(translate(32).unwrap().errno, -4082);
        assert_eq!(translate(5).unwrap().errno, -4048, "EPERM, as Node 22 says");
        assert_eq!(
            translate(17).unwrap().message,
            "cross-device link not permitted"
        );
    }

    /// The rows libuv 1.49 and 1.49.2 changed from 1.48 (`git diff v1.48.0 v1.49.2 --
    /// src/win/error.c`), and the one code named beyond libuv.
    #[test]
    fn the_rows_libuv_1_49_2_changed_are_named_as_it_names_them() {
        for (win32, code) in [
            (232, "EAGAIN"),       // ERROR_NO_DATA (was EPIPE)
            (998, "EFAULT"),       // ERROR_NOACCESS (was EACCES)
            (111, "ENAMETOOLONG"), // ERROR_BUFFER_OVERFLOW (was EFAULT)
            (193, "EFTYPE"),       // ERROR_BAD_EXE_FORMAT (new)
            (1295, "EDQUOT"),      // ERROR_DISK_QUOTA_EXCEEDED (UNKNOWN in libuv)
        ] {
            assert_eq!(named(win32), code, "Win32 error {win32}");
        }
        assert_eq!(translate(998).unwrap().errno, -4074);
        assert_eq!(translate(232).unwrap().errno, -4088);
        assert_eq!(translate(1295).unwrap().message, "disk quota exceeded");
    }

    #[test]
    fn a_code_libuv_does_not_know_is_left_to_the_kind_fallback() {
        assert_eq!(translate(1816), None); // ERROR_NOT_ENOUGH_QUOTA: UNKNOWN in libuv
        assert_eq!(translate(0), None);
    }

    #[test]
    fn fallback_names_have_their_windows_numbers() {
        assert_eq!(by_name("ENOENT"), ENOENT);
        assert_eq!(by_name("EISDIR").errno, -4068);
        assert_eq!(by_name("no such name"), EIO);
    }

    #[test]
    fn every_errno_is_distinct() {
        let all = [
            EAGAIN,
            EACCES,
            EBADF,
            EBUSY,
            ECANCELED,
            ECHARSET,
            ECONNABORTED,
            ECONNREFUSED,
            ECONNRESET,
            EEXIST,
            EFAULT,
            EHOSTUNREACH,
            EINTR,
            EINVAL,
            EIO,
            EISDIR,
            ELOOP,
            EMFILE,
            ENAMETOOLONG,
            ENETUNREACH,
            ENOENT,
            ENOMEM,
            ENOSPC,
            ENOTCONN,
            ENOTDIR,
            ENOTEMPTY,
            ENOTSUP,
            EPERM,
            EPIPE,
            EROFS,
            ETIMEDOUT,
            EXDEV,
            E2BIG,
            EOF,
            EFTYPE,
            EDQUOT,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.errno, b.errno, "{} and {}", a.code, b.code);
            }
        }
    }
}
