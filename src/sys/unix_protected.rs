//! Linux's protections for sticky directories (`fs.protected_symlinks`, `protected_regular`),
//! applied to a publish as the kernel applies them to `fs.writeFile`.
//!
//! A publish follows the target's links itself and renames over the file it finds, so the
//! kernel's checks, which act on an open's path walk and on `open(O_CREAT)`, would never run.
//! Here they are, mirrored, reading the sysctls only when a link or file is another user's in
//! a sticky directory: a link is followed only where the kernel would follow it, and an
//! existing file is replaced only where the kernel would let `fs.writeFile` open it. Either
//! refusal is EACCES, as `fs` gets it.

use std::fs::Metadata;
use std::io;
use std::path::Path;

/// EACCES where the kernel would not follow the link `link` (its own `lstat` metadata is
/// `meta`) for `fs`: with `protected_symlinks`, a link in a sticky world-writable directory
/// that belongs neither to this process nor to the directory's owner. Checked on the very
/// metadata the link was read with: in such a directory nobody else can swap another's link.
pub fn check_link_followable(link: &Path, meta: &Metadata) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        const STICKY_WORLD_WRITABLE: u32 = 0o1002;
        if meta.uid() == nix::unistd::geteuid().as_raw() {
            return Ok(());
        }
        let parent = match link.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = std::fs::metadata(parent)?;
        if dir.mode() & STICKY_WORLD_WRITABLE != STICKY_WORLD_WRITABLE || dir.uid() == meta.uid() {
            return Ok(());
        }
        if sysctl("protected_symlinks") > 0 {
            return Err(nix::errno::Errno::EACCES.into());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (link, meta);
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
        // The directory first: most are not sticky, and then no system call is needed.
        if dir.mode() & STICKY == 0 || file.uid() == dir.uid() {
            return Ok(());
        }
        if file.uid() == nix::unistd::geteuid().as_raw() {
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
