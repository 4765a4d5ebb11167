//! The versioned layout's steps on Unix: the target is a symbolic link to a sibling version
//! tree, replaced by a link made under a scratch name and swapped in. Every step is relative
//! to the open parent directory; the only link ever read is the one named by the caller, and
//! no link is ever followed.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::time::SystemTime;

use nix::errno::Errno;
use nix::fcntl::{openat, readlinkat, AtFlags, OFlag};
use nix::sys::stat::{fstatat, Mode};
use nix::unistd::{symlinkat, unlinkat, UnlinkatFlags};

use super::unix_dir::DIR_FLAGS;
use super::unix_sweep::read_entries;

/// What the symbolic link `name` in `dir` holds, read without following it; `Ok(None)` where
/// `name` is not a link (EINVAL) or is missing.
pub fn read_link_at(dir: impl AsFd, name: &OsStr) -> io::Result<Option<OsString>> {
    match readlinkat(dir.as_fd(), name) {
        Ok(content) => Ok(Some(content)),
        Err(Errno::EINVAL | Errno::ENOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Make the symbolic link `name` in `dir`, holding `content` (EEXIST if the name is taken).
pub fn symlink_at(dir: impl AsFd, content: &OsStr, name: &OsStr) -> io::Result<()> {
    Ok(symlinkat(content, dir.as_fd(), name)?)
}

/// Remove the entry `name` of `dir` that is not a directory (a link is removed itself).
pub fn unlink_at(dir: impl AsFd, name: &OsStr) -> io::Result<()> {
    Ok(unlinkat(dir.as_fd(), name, UnlinkatFlags::NoRemoveDir)?)
}

/// The directory `name` in `dir`, opened never through a link (ELOOP or ENOTDIR otherwise).
pub fn open_dir_nofollow(dir: impl AsFd, name: &OsStr) -> io::Result<File> {
    Ok(openat(
        dir.as_fd(),
        name,
        DIR_FLAGS | OFlag::O_NOFOLLOW,
        Mode::empty(),
    )?
    .into())
}

/// Is `name` in `dir` a symbolic link, and when did it last change (not followed)?
pub fn link_changed_at(dir: impl AsFd, name: &OsStr) -> io::Result<Option<SystemTime>> {
    let st = fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
    if st.st_mode & nix::libc::S_IFMT != nix::libc::S_IFLNK {
        return Ok(None);
    }
    let secs = u64::try_from(st.st_mtime).unwrap_or(0);
    Ok(Some(
        SystemTime::UNIX_EPOCH + std::time::Duration::new(secs, st.st_mtime_nsec as u32),
    ))
}

/// The names in `dir` that `keep` accepts (entries of every type).
pub fn names_in(dir: impl AsFd, keep: impl Fn(&OsStr) -> bool) -> io::Result<Vec<OsString>> {
    Ok(read_entries(dir, |name, _| keep(name))?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}

/// The bytes of a name, for parsing.
pub fn name_bytes(name: &OsStr) -> &[u8] {
    name.as_bytes()
}

/// What an entry is, not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Directory,
    Link,
    Other,
}

/// What `name` in `dir` is, not followed: `None` if nothing.
pub fn kind_at(dir: impl AsFd, name: &OsStr) -> io::Result<Option<Kind>> {
    match fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(match st.st_mode & nix::libc::S_IFMT {
            nix::libc::S_IFDIR => Kind::Directory,
            nix::libc::S_IFLNK => Kind::Link,
            _ => Kind::Other,
        })),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The permission bits of the directory `name` in `dir`, not followed.
pub fn dir_mode_at(dir: impl AsFd, name: &OsStr) -> io::Result<u32> {
    let st = fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
    Ok(st.st_mode as u32 & 0o7777)
}

/// Remove the tree `name` of `dir` (spelled `path` in reports), never through a link.
pub fn remove_tree_in(
    dir: impl AsFd,
    name: &OsStr,
    path: &std::path::Path,
) -> Vec<(std::path::PathBuf, io::Error)> {
    super::unix_stage::remove_tree_at(dir.as_fd(), name, path)
}
