//! What the Linux and macOS carries of a replaced file's attributes share: which file they
//! read the attributes from, and how a list or value of unknown size is read.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;

use super::TargetDir;

/// The file `name` in `dir`, opened itself (never through a link), which must still be the
/// file `old` describes; `None` when nothing is there any more.
///
/// It is read in the directory the publish opened, never by path: a path can name another
/// directory by now. A different file there (replaced meanwhile) is refused with EAGAIN
/// unless it has the same owner and mode as the one examined, as another publish of the same
/// file leaves it.
pub(super) fn open_old_file(
    dir: &TargetDir,
    name: &OsStr,
    old: &Metadata,
) -> io::Result<Option<File>> {
    let entry = match dir.open_entry(name) {
        Ok(entry) => entry,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(None),
        Err(e) => return Err(e),
    };
    let now = entry.metadata()?;
    if !same_file(&now, old) && !looks_alike(&now, old) {
        return Err(super::target_changed());
    }
    Ok(Some(entry))
}

fn same_file(a: &Metadata, b: &Metadata) -> bool {
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

/// Only its owner (or root) can make a file with that owner: a file another user planted
/// never passes, so its list cannot widen what the published file allows. The mode includes
/// the file type: only another regular file passes.
fn looks_alike(a: &Metadata, b: &Metadata) -> bool {
    (a.uid(), a.gid(), a.mode()) == (b.uid(), b.gid(), b.mode())
}

/// Call `read(buf, len)` as `listxattr`/`getxattr` want: with room that grows until the
/// value fits (ERANGE means it changed size meanwhile). No support for attributes is an empty
/// list.
pub(super) fn read_growing(read: impl Fn(*mut u8, usize) -> isize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        let n = read(buf.as_mut_ptr(), buf.len());
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ERANGE) => {
                let size = read(std::ptr::null_mut(), 0);
                if size < 0 {
                    return Err(io::Error::last_os_error());
                }
                buf.resize((size as usize).max(buf.len() * 2), 0);
            }
            Some(libc::ENOTSUP) => return Ok(Vec::new()),
            _ => return Err(e),
        }
    }
}

/// The NUL-separated names of a `listxattr` answer.
pub(super) fn names_in(list: &[u8]) -> impl Iterator<Item = &[u8]> {
    list.split(|&b| b == 0).filter(|n| !n.is_empty())
}
