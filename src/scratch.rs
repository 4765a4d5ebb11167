//! The scratch file: where the new bytes are written before they become the target.
//!
//! Invariant: a [`Scratch`] either commits (its file is renamed onto the target) or its file is
//! removed. There is no third outcome, because the only way out of `commit` without a rename
//! is through [`Scratch::discard`], and dropping a `Scratch` unlinks the file too. That is what
//! lets every failure path, including a panic or an abandoned stream, leave no scratch behind.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use tempfile::NamedTempFile;

use crate::errors::{FsFailure, Syscall};
use crate::retry;
use crate::target::{FileKey, ResolvedTarget};

/// The fixed infix of every scratch name: `<basename>.oxentmp.<random>`. Sweeping orphans
/// matches exactly this shape, so it lives in one place.
pub const SCRATCH_INFIX: &str = ".oxentmp.";

/// Random characters after the infix: 62^10 names, so an exclusive create practically never
/// has to retry.
const RANDOM_LEN: usize = 10;

/// Default permission bits of a new file before the umask, as `fs.writeFile` uses.
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o666;

/// The longest file name most file systems take (NAME_MAX on Linux, in bytes).
const NAME_MAX: usize = 255;

/// The part of the scratch name before the infix: the target's name, shortened when the
/// whole scratch name would be longer than a file name may be (a target whose name is valid
/// must not fail with ENAMETOOLONG because of its scratch).
fn scratch_stem(file_name: &std::ffi::OsStr) -> OsString {
    let room = NAME_MAX - SCRATCH_INFIX.len() - RANDOM_LEN;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = file_name.as_bytes();
        if bytes.len() <= room {
            return file_name.to_os_string();
        }
        // Cut at a UTF-8 boundary where the name is UTF-8, so the stem stays readable.
        let mut cut = room;
        while cut > 0 && std::str::from_utf8(&bytes[..cut]).is_err() && (bytes[cut] & 0xC0) == 0x80
        {
            cut -= 1;
        }
        OsString::from(std::ffi::OsStr::from_bytes(&bytes[..cut]))
    }
    #[cfg(not(unix))]
    {
        let name = file_name.to_string_lossy();
        OsString::from(name.chars().take(room).collect::<String>())
    }
}

/// Is `name` shaped like one of our scratch files?
pub fn is_scratch_name(name: &str) -> bool {
    match name.rfind(SCRATCH_INFIX) {
        Some(at) if at > 0 => {
            let random = &name[at + SCRATCH_INFIX.len()..];
            random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        _ => false,
    }
}

/// How the new file's permissions and owner are chosen (guarantee 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModePolicy {
    /// `withMode(m)`: exactly `m`, not masked by the umask.
    Exact(u32),
    /// Keep what the replaced file had, or `0o666 & ~umask` for a new file.
    Inherit,
}

type LiveSet = HashMap<FileKey, PathBuf>;

/// Scratch files of this process's publishes that are still in flight, by key (for
/// `sweep_orphans`, which must never take them) with their paths (for an exiting process,
/// which removes them).
fn live_set() -> MutexGuard<'static, LiveSet> {
    static LIVE: OnceLock<Mutex<LiveSet>> = OnceLock::new();
    LIVE.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Does a live writer, in any process, hold the lock on the scratch at `path`? If not, the
/// returned file holds the lock now, so no writer can be mid-publish with it.
pub fn lock_if_abandoned(path: &Path) -> Option<std::fs::File> {
    let file = std::fs::File::open(path).ok()?;
    match file.try_lock() {
        Ok(()) => Some(file),
        Err(std::fs::TryLockError::WouldBlock) => None,
        // No locks on this file system: fall back to the age rule alone.
        Err(std::fs::TryLockError::Error(_)) => Some(file),
    }
}

/// Is this the scratch of a publish of this process still in flight?
pub fn is_live(key: &FileKey) -> bool {
    live_set().contains_key(key)
}

/// Remove every in-flight scratch of this process, for a process that is about to exit.
/// Returns how many were removed. A publish still running afterwards fails at its rename.
pub fn remove_live_scratch() -> usize {
    live_set()
        .values()
        .filter(|path| std::fs::remove_file(path).is_ok())
        .count()
}

/// Membership in the live set, for as long as the scratch exists.
struct LiveEntry(FileKey);

impl Drop for LiveEntry {
    fn drop(&mut self) {
        live_set().remove(&self.0);
    }
}

/// Fields drop in order: the file (unlinked unless renamed or kept) before it leaves the
/// live set, so the set never misses a scratch that still exists.
pub struct Scratch {
    file: NamedTempFile,
    _live: LiveEntry,
}

impl Scratch {
    /// Create the scratch exclusively (O_CREAT|O_EXCL) in the target's directory and give it
    /// the mode and owner the published file must have. Done before any byte is written, so
    /// the file is never readable by more people than the final one.
    pub fn create(target: &ResolvedTarget, mode: ModePolicy) -> Result<Self, FsFailure> {
        let mut prefix = scratch_stem(&target.file_name);
        prefix.push(SCRATCH_INFIX);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).rand_bytes(RANDOM_LEN);
        // Our own exclusive open rather than `tempfile_in`: tempfile wraps its errors with the
        // path, which hides the errno (EMFILE could then be neither retried nor named).
        let create = |path: &Path| {
            let mut options = OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, NEW_FILE_MODE);
            options.open(path)
        };
        let file = retry::open(|| builder.make_in(&target.dir, create))
            .map_err(|e| FsFailure::target(e, Syscall::Open))?;
        let key = (
            target.dir_id.clone(),
            file.path().file_name().unwrap_or_default().to_os_string(),
        );
        live_set().insert(key.clone(), file.path().to_path_buf());
        let mut scratch = Self {
            file,
            _live: LiveEntry(key),
        };
        // An advisory lock, held until the scratch is renamed or removed, tells sweepers in
        // other processes that this scratch is live whatever its mtime says (a publish with
        // an mtime in the past stamps it before the rename). A dead process holds no lock.
        // File systems without locks simply go without.
        let _ = scratch.file.as_file().try_lock();
        if let Err(e) = scratch.apply_mode(target, mode) {
            return Err(scratch.discard(e));
        }
        Ok(scratch)
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    pub fn file(&self) -> &File {
        self.file.as_file()
    }

    pub fn file_mut(&mut self) -> &mut File {
        self.file.as_file_mut()
    }

    /// Write all of `data` at `offset`, however many calls it takes (a short write is
    /// continued, never taken for the end). Positional writes (`pwrite`) keep the data path
    /// apart from the plain `write`s the runtime makes for itself, which is what lets fault
    /// injection target one without the other.
    pub fn write_all_at(&self, data: &[u8], offset: u64) -> Result<(), io::Error> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::write_all_at(self.file.as_file(), data, offset)
        }
        #[cfg(not(unix))]
        {
            let mut done = 0;
            while done < data.len() {
                match std::os::windows::fs::FileExt::seek_write(
                    self.file.as_file(),
                    &data[done..],
                    offset + done as u64,
                ) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => done += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        }
    }

    /// Start writing the scratch's dirty pages to disk without waiting for them: only a hint
    /// that lets a later fsync find its work begun. It makes nothing durable on its own, so
    /// it is never a substitute for that fsync, and its failure is left for the fsync to see.
    pub fn start_writeback(&self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: the descriptor is owned by `self.file` and open for the whole call;
            // sync_file_range reads no memory of ours.
            unsafe {
                libc::sync_file_range(
                    self.file.as_file().as_raw_fd(),
                    0,
                    0,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
    }

    /// Remove the scratch after `failure`. If the unlink itself fails, the original failure is
    /// kept and says which file was left behind.
    pub fn discard(self, mut failure: FsFailure) -> FsFailure {
        failure.scratch_left = self.remove();
        failure
    }

    /// Remove the scratch; `Some(path)` if it could not be removed.
    pub fn remove(self) -> Option<PathBuf> {
        let Self { file, _live } = self;
        let temp_path = file.into_temp_path();
        let path = temp_path.to_path_buf();
        left_behind(temp_path.close(), path)
    }

    /// Rename the scratch onto `target.file`. On failure the scratch is removed.
    pub fn rename_onto(self, target: &ResolvedTarget) -> Result<(), FsFailure> {
        let Self { file, _live } = self;
        let (file, temp_path) = file.into_parts();
        // Windows cannot rename a file open without delete sharing: close it first there.
        // Elsewhere it stays open, and locked against sweepers, until the rename is done.
        #[cfg(windows)]
        drop(file);
        let renamed = retry::rename(|| std::fs::rename(&temp_path, &target.file));
        #[cfg(not(windows))]
        drop(file);
        match renamed {
            Ok(()) => {
                // The name now belongs to the target: never unlink it.
                let _ = temp_path.keep();
                Ok(())
            }
            Err(e) => {
                let path = temp_path.to_path_buf();
                let mut failure = FsFailure::target(e, Syscall::Rename);
                failure.scratch_left = left_behind(temp_path.close(), path);
                Err(failure)
            }
        }
    }

    #[cfg(unix)]
    fn apply_mode(&mut self, target: &ResolvedTarget, mode: ModePolicy) -> Result<(), FsFailure> {
        use std::os::unix::fs::{fchown, MetadataExt, PermissionsExt};
        let wanted = match (mode, &target.existing) {
            (ModePolicy::Exact(bits), _) => bits,
            (ModePolicy::Inherit, Some(old)) => old.mode() & 0o7777,
            // A new file already has 0o666 & ~umask from the exclusive create.
            (ModePolicy::Inherit, None) => return Ok(()),
        };
        let file = self.file.as_file();
        let chmod = || {
            file.set_permissions(Permissions::from_mode(wanted))
                .map_err(|e| FsFailure::target(e, Syscall::Fchmod))
        };
        let mine = file
            .metadata()
            .map_err(|e| FsFailure::target(e, Syscall::Stat))?;
        if let Some(old) = &target.existing {
            if (mine.uid(), mine.gid()) != (old.uid(), old.gid()) {
                // Keep the replaced file's owner where this process may; an unprivileged
                // process can only replace a file it owns anyway, which is not a failure.
                match fchown(file, Some(old.uid()), Some(old.gid())) {
                    Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {}
                    other => other.map_err(|e| FsFailure::target(e, Syscall::Fchown))?,
                }
                // A change of owner can clear set-id bits: set the mode after it, always.
                return chmod();
            }
        }
        // Most replaced files already have the mode a new one gets: skip the call then.
        if mine.mode() & 0o7777 == wanted {
            return Ok(());
        }
        chmod()
    }

    #[cfg(not(unix))]
    fn apply_mode(&mut self, target: &ResolvedTarget, mode: ModePolicy) -> Result<(), FsFailure> {
        // Windows knows only the read-only bit: keep it, or take it from the owner-write bit.
        let readonly = match (mode, &target.existing) {
            (ModePolicy::Exact(bits), _) => bits & 0o200 == 0,
            (ModePolicy::Inherit, Some(old)) => old.permissions().readonly(),
            (ModePolicy::Inherit, None) => return Ok(()),
        };
        let mut perms = self
            .file
            .as_file()
            .metadata()
            .map_err(|e| FsFailure::target(e, Syscall::Stat))?
            .permissions();
        perms.set_readonly(readonly);
        self.file
            .as_file()
            .set_permissions(perms)
            .map_err(|e| FsFailure::target(e, Syscall::Fchmod))
    }
}

/// The scratch left behind by a failed removal, if any. A scratch already gone (a sweeper in
/// another process took it) is not left behind.
fn left_behind(removal: io::Result<()>, path: PathBuf) -> Option<PathBuf> {
    match removal {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Some(path),
        _ => None,
    }
}

/// fsync a directory so a rename inside it survives a power cut. Windows has no such call and
/// makes renames durable on its own, so there it does nothing.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        retry::open(|| OpenOptions::new().read(true).open(dir))?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
