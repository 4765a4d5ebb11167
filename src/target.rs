//! Where a publish really lands.
//!
//! A target that is a symlink keeps its link: like `fs.writeFile`, we write through it, so the
//! file replaced is the one the link points to and the scratch is created beside *that* file
//! (a rename only replaces atomically within one directory). Missing parent directories are
//! created, as `mkdir -p` would, except under a dangling link: like `fs`, a link's destination
//! directories are never created (ENOENT). Only a regular file is ever replaced: a directory,
//! FIFO, socket or device at the target (or at a link's end) is refused and left alone.

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::errors::{self, FsFailure, Subject, Syscall};
use crate::retry;
use crate::sys;

/// Linux's own limit on links followed in one lookup; past it the answer is ELOOP.
const MAX_LINK_HOPS: usize = 40;

/// The file a publish will replace (or create), after following links at the last component.
#[derive(Debug)]
pub struct ResolvedTarget {
    /// The file that the rename will replace.
    pub file: PathBuf,
    /// Its directory: where the scratch lives and which is fsynced after the rename.
    pub dir: PathBuf,
    /// The directory, open: the scratch is created, renamed and fsynced relative to it.
    pub dir_handle: sys::TargetDir,
    /// The directory's identity, the same for every spelling of it.
    pub dir_id: DirId,
    pub file_name: OsString,
    /// What is there now, if anything: its mode and owner carry over to the new file.
    pub existing: Option<Metadata>,
    /// The parent of each directory this publish created (outermost first): their entries
    /// must be fsynced too before a `'full'` publish may resolve.
    pub made_dirs_in: Vec<PathBuf>,
}

/// Follow symlinks at the last component of `target` without creating anything. Returns the
/// file at the end, what is there, and whether a link was followed to get there.
pub fn follow_links(target: &Path) -> Result<(PathBuf, Option<Metadata>, bool), FsFailure> {
    let mut file = target.to_path_buf();
    let mut followed = false;
    for _ in 0..=MAX_LINK_HOPS {
        match fs::symlink_metadata(&file) {
            Ok(meta) if meta.file_type().is_symlink() => {
                // Only a link the kernel would follow for `fs` (protected_symlinks).
                sys::check_link_followable(&file, &meta)
                    .map_err(|e| FsFailure::target(e, Syscall::Open))?;
                let link =
                    fs::read_link(&file).map_err(|e| FsFailure::target(e, Syscall::Readlink))?;
                file = match file.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
                followed = true;
            }
            Ok(meta) => {
                check_not_device(&file)?;
                return Ok((file, Some(meta), followed));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((file, None, followed)),
            // Reported as the open that `fs.writeFile` would have failed at.
            Err(e) => {
                check_not_device(&file)?;
                return Err(FsFailure::target(e, Syscall::Open));
            }
        }
    }
    Err(FsFailure::target(errors::too_many_links(), Syscall::Open))
}

/// Refuse a device that the metadata showed as a file (`NUL`, `CON`, a pipe on Windows).
fn check_not_device(file: &Path) -> Result<(), FsFailure> {
    match sys::device_at(file) {
        Some(kind) => Err(FsFailure::wrong_file_type(Subject::Target, kind)),
        None => Ok(()),
    }
}

/// The order key `target` resolves to now, without creating anything; `None` where that
/// cannot be told (a directory missing or unreadable).
pub fn key_now(target: &Path) -> Option<FileKey> {
    let (file, _, _) = follow_links(target).ok()?;
    let name = file.file_name()?.to_os_string();
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some((
        DirId::of(parent).ok()?,
        sys::name_folding(parent).fold(&name),
    ))
}

/// Resolve `target` and make sure its directory exists.
pub fn prepare(target: &Path) -> Result<ResolvedTarget, FsFailure> {
    // With `create_dirs`, `None` never comes back; were it to, the directory is missing.
    prepare_with(target, true)?
        .ok_or_else(|| FsFailure::target(io::ErrorKind::NotFound.into(), Syscall::Mkdir))
}

/// [`prepare`] where every directory already exists; `None` where one would have to be made
/// (a publish that may yet fail without touching the disk must not create it first).
pub fn prepare_in_place(target: &Path) -> Result<Option<ResolvedTarget>, FsFailure> {
    prepare_with(target, false)
}

/// For a target whose directories are still to be made (where [`prepare_in_place`] says
/// `None`): the nearest directory above it that exists, open, where bytes can wait unseen
/// until the directories may be made. `None` where the target is not plainly missing (a link
/// to follow, a file in the way, an ancestor that cannot be examined): [`prepare`] then makes
/// the directories, or names the failure, as it always does. `None` too for a path with a `..`
/// or a dangling link among the missing directories: the kernel resolves those physically, so
/// the directory they lead to may be anywhere, not below the ancestor found by text.
pub fn nearest_existing_dir(target: &Path) -> Result<Option<sys::TargetDir>, FsFailure> {
    if target
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Ok(None);
    }
    let (file, existing, followed) = follow_links(target)?;
    if existing.is_some() || followed {
        return Ok(None);
    }
    let Some(dir) = file.parent() else {
        return Ok(None);
    };
    for above in dir.ancestors() {
        let above = if above.as_os_str().is_empty() {
            Path::new(".")
        } else {
            above
        };
        match fs::metadata(above) {
            Ok(meta) if meta.is_dir() => return Ok(sys::TargetDir::open(above).ok()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if fs::symlink_metadata(above).is_ok() {
                    return Ok(None);
                }
                continue;
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// How often a resolution whose directory changed under it is redone before giving up.
const MAX_RESOLVE_TRIES: usize = 32;

fn prepare_with(target: &Path, create_dirs: bool) -> Result<Option<ResolvedTarget>, FsFailure> {
    for _ in 0..MAX_RESOLVE_TRIES {
        if let Some(resolved) = resolve_once(target, create_dirs)? {
            return Ok(resolved);
        }
    }
    Err(FsFailure::target(sys::target_changed(), Syscall::Open))
}

/// One resolution; `None` if what the directory opened holds is not what was examined by
/// path (a component swapped meanwhile): the owner, mode and checks must come from the file
/// that the rename will replace, so the caller resolves again.
#[allow(clippy::type_complexity)]
fn resolve_once(
    target: &Path,
    create_dirs: bool,
) -> Result<Option<Option<ResolvedTarget>>, FsFailure> {
    let (file, existing, followed) = follow_links(target)?;
    if let Some(meta) = &existing {
        if meta.is_dir() {
            return Err(FsFailure::target(errors::is_a_directory(), Syscall::Open));
        }
        if !meta.is_file() {
            return Err(FsFailure::wrong_file_type(
                Subject::Target,
                sys::file_kind(meta),
            ));
        }
    }
    let file_name = file
        .file_name()
        .ok_or_else(|| FsFailure::target(io::ErrorKind::InvalidInput.into(), Syscall::Open))?
        .to_os_string();
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut made_dirs_in = Vec::new();
    if existing.is_none() && !followed {
        if !create_dirs && !dir.is_dir() {
            return Ok(Some(None));
        }
        made_dirs_in = create_dirs_of(&dir).map_err(|e| FsFailure::mkdir(e, &dir))?;
    }
    let opened = retry::open(|| sys::TargetDir::open(&dir))
        .and_then(|handle| Ok((handle.key_and_metadata()?, handle)));
    let ((key, dir_meta), dir_handle) = opened.map_err(|e| FsFailure::target(e, Syscall::Open))?;
    let unchanged = dir_handle.still_holds(&file_name, existing.as_ref());
    if !unchanged.map_err(|e| FsFailure::target(e, Syscall::Stat))? {
        return Ok(None);
    }
    if let Some(meta) = &existing {
        sys::check_replaceable(&dir_meta, meta).map_err(|e| FsFailure::target(e, Syscall::Open))?;
    }
    Ok(Some(Some(ResolvedTarget {
        file,
        dir,
        dir_handle,
        dir_id: DirId::from_key(key),
        file_name,
        existing,
        made_dirs_in,
    })))
}

/// `mkdir -p dir`, returning the parent of each directory made here, outermost first (one
/// made meanwhile by someone else is theirs to make durable).
fn create_dirs_of(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.is_dir())
        .collect();
    let mut made_in = Vec::new();
    for d in missing.into_iter().rev() {
        match fs::create_dir(d) {
            Ok(()) => made_in.push(match d.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }),
            // Something has the name. A directory (made meanwhile): go on. A file where a
            // directory must go: ENOTDIR, as Node's recursive mkdir says (Linux says so before
            // this, when the target is looked up through it; Windows finds that path merely
            // missing and its mkdir says ERROR_ALREADY_EXISTS). A link naming nothing, or a
            // loop: what following it says, ENOENT or ELOOP, as Node's recursive mkdir does.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match fs::metadata(d) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(io::ErrorKind::NotADirectory.into()),
                Err(followed) => return Err(followed),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(made_in)
}

/// What makes two spellings of one directory one: its device and inode on Unix, its
/// canonical path on Windows (see `sys::DirKey`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DirId {
    id: sys::DirKey,
}

impl DirId {
    /// The identity of the directory at `path` (links followed).
    pub fn of(path: &Path) -> io::Result<Self> {
        Ok(Self {
            id: sys::dir_key(path)?,
        })
    }

    /// The identity `sys` read from an open directory.
    pub fn from_key(id: sys::DirKey) -> Self {
        Self { id }
    }
}

/// A file named by its directory's identity and its own name: two spellings, one key.
pub type FileKey = (DirId, OsString);

impl ResolvedTarget {
    /// The key of call order: two spellings of one file are one target, including names the
    /// directory's file system takes for one (`Data.json` and `data.json` where case is
    /// ignored; NFC and NFD on APFS).
    pub fn order_key(&self) -> FileKey {
        let folding = sys::name_folding(&self.dir);
        (self.dir_id.clone(), folding.fold(&self.file_name))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, FileTypeExt};

    #[test]
    fn a_plain_missing_target_resolves_to_itself_and_creates_parents() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a/b/file.txt");
        let resolved = prepare(&target).unwrap();
        assert_eq!(resolved.file, target);
        assert_eq!(resolved.dir, dir.path().join("a/b"));
        assert!(resolved.existing.is_none());
        assert!(dir.path().join("a/b").is_dir());
        // Each directory made is entered in its parent: both parents are to be fsynced.
        assert_eq!(
            resolved.made_dirs_in,
            [dir.path().to_path_buf(), dir.path().join("a")]
        );
        assert!(
            prepare(&target).unwrap().made_dirs_in.is_empty(),
            "nothing made twice"
        );
    }

    #[test]
    fn a_relative_symlink_chain_resolves_to_the_final_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        fs::write(dir.path().join("real/data"), b"x").unwrap();
        symlink("real/data", dir.path().join("hop")).unwrap();
        symlink("hop", dir.path().join("link")).unwrap();
        let resolved = prepare(&dir.path().join("link")).unwrap();
        assert_eq!(resolved.file, dir.path().join("real/data"));
        assert_eq!(resolved.dir, dir.path().join("real"));
        assert!(resolved.existing.is_some());
    }

    #[test]
    fn a_dangling_symlink_resolves_to_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        symlink("sub/new", dir.path().join("link")).unwrap();
        let resolved = prepare(&dir.path().join("link")).unwrap();
        assert_eq!(resolved.file, dir.path().join("sub/new"));
        assert!(resolved.existing.is_none());
    }

    #[test]
    fn a_dangling_symlink_into_a_missing_directory_is_enoent_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        symlink("sub/new", dir.path().join("link")).unwrap();
        let err = prepare(&dir.path().join("link")).unwrap_err();
        assert_eq!(err.errno().code, "ENOENT");
        assert_eq!(err.syscall, Syscall::Open);
        assert!(!dir.path().join("sub").exists(), "as fs: no directory made");
    }

    #[test]
    fn a_fifo_socket_or_link_to_one_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        let socket = dir.path().join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        symlink("fifo", dir.path().join("link")).unwrap();
        for (name, kind) in [
            ("fifo", "a FIFO"),
            ("socket", "a socket"),
            ("link", "a FIFO"),
        ] {
            let err = prepare(&dir.path().join(name)).unwrap_err();
            assert_eq!(err.errno().code, "EINVAL", "{name}");
            assert!(err.detail.as_deref().unwrap().contains(kind), "{name}");
        }
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket());
    }

    #[test]
    fn a_device_behind_a_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        symlink("/dev/null", dir.path().join("app.log")).unwrap();
        let err = prepare(&dir.path().join("app.log")).unwrap_err();
        assert_eq!(err.errno().code, "EINVAL");
        assert!(err.detail.unwrap().contains("a character device"));
    }

    #[test]
    fn an_opened_directory_tells_whether_it_still_holds_what_was_examined_by_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("other")).unwrap();
        fs::write(dir.path().join("f"), b"x").unwrap();
        fs::write(dir.path().join("other/f"), b"y").unwrap();
        let here = fs::symlink_metadata(dir.path().join("f")).unwrap();
        let elsewhere = fs::symlink_metadata(dir.path().join("other/f")).unwrap();
        let opened = sys::TargetDir::open(dir.path()).unwrap();
        let name = std::ffi::OsStr::new("f");
        assert!(opened.still_holds(name, Some(&here)).unwrap());
        assert!(!opened.still_holds(name, Some(&elsewhere)).unwrap());
        assert!(
            !opened.still_holds(name, None).unwrap(),
            "a file where none was"
        );
        assert!(opened
            .still_holds(std::ffi::OsStr::new("new"), None)
            .unwrap());
        assert!(!opened
            .still_holds(std::ffi::OsStr::new("new"), Some(&here))
            .unwrap());
    }

    #[test]
    fn a_symlink_loop_is_eloop() {
        let dir = tempfile::tempdir().unwrap();
        symlink("b", dir.path().join("a")).unwrap();
        symlink("a", dir.path().join("b")).unwrap();
        let err = prepare(&dir.path().join("a")).unwrap_err();
        assert_eq!(err.errno().code, "ELOOP");
    }

    #[test]
    fn a_directory_target_is_eisdir_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let err = prepare(dir.path()).unwrap_err();
        assert_eq!(err.errno().code, "EISDIR");
        assert_eq!(err.syscall, Syscall::Open);
    }

    #[test]
    fn a_file_in_the_way_of_the_parent_is_enotdir() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("plain"), b"x").unwrap();
        let err = prepare(&dir.path().join("plain/child")).unwrap_err();
        assert_eq!(err.errno().code, "ENOTDIR");
        assert_eq!(err.syscall, Syscall::Open, "as fs.writeFile reports it");
    }
}
