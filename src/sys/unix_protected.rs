//! Linux's protections for sticky directories (`fs.protected_symlinks`, `protected_regular`),
//! applied to a publish as the kernel applies them to `fs.writeFile`.
//!
//! A publish follows the target's links itself and renames over the file it finds, so the
//! kernel's checks, which act on `open(O_CREAT)`, would never run. Here they are: a link is
//! followed only where the kernel would follow it (asked of the kernel itself, with an
//! `O_PATH` open of the target), and an existing file in a sticky directory is replaced only
//! where the kernel would let `fs.writeFile` open it (mirrored, reading the sysctl). Either
//! refusal is EACCES, as `fs` gets it.

use std::fs::Metadata;
use std::io;
use std::path::Path;

/// EACCES where the kernel refuses to follow a link on the way to `target` (another user's
/// link in a sticky world-writable directory, with `protected_symlinks`).
pub fn check_links_followed(target: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use nix::fcntl::{open, OFlag};
        // O_PATH opens nothing and never waits; it resolves the links exactly as an open.
        match open(
            target,
            OFlag::O_PATH | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        ) {
            Err(nix::errno::Errno::EACCES) => Err(nix::errno::Errno::EACCES.into()),
            _ => Ok(()),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = target;
        Ok(())
    }
}

/// EACCES where the kernel would refuse `fs.writeFile` the existing regular `file` in `dir`:
/// `dir` is sticky, `file` belongs neither to this process nor to the directory's owner, and
/// `protected_regular` covers `dir` (1: world-writable; 2: group-writable too).
pub fn check_replaceable(dir: &Metadata, file: &Metadata) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        const STICKY: u32 = 0o1000;
        let me = nix::unistd::geteuid().as_raw();
        if dir.mode() & STICKY == 0 || file.uid() == me || file.uid() == dir.uid() {
            return Ok(());
        }
        let covered = match sysctl("protected_regular") {
            1 => dir.mode() & 0o002 != 0,
            2.. => dir.mode() & 0o022 != 0,
            _ => false,
        };
        if covered {
            return Err(nix::errno::Errno::EACCES.into());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (dir, file);
        Ok(())
    }
}

/// `/proc/sys/fs/<name>`, read when needed (an admin may change it at any time); 0 where it
/// cannot be read.
#[cfg(target_os = "linux")]
fn sysctl(name: &str) -> u32 {
    std::fs::read_to_string(format!("/proc/sys/fs/{name}"))
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}
