//! Output files: created (or truncated) with mode 0600, because what httpscope writes holds
//! the headers of captured traffic — cookies, tokens, URLs. A symbolic link is not followed
//! (httpscope often runs as root). Run through sudo, the file is given to the user who ran
//! sudo, who could not read a root-owned 0600 file otherwise.

use anyhow::{Context, Result};
use std::fs::{File, OpenOptions, Permissions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Opens `path` for writing, private to the user, buffered.
pub fn create_private(path: &Path) -> Result<Box<dyn Write>> {
    let file: File = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| {
            format!(
                "cannot create {} (a symbolic link is not followed)",
                path.display()
            )
        })?;
    if let Some((uid, gid)) = sudo_user() {
        std::os::unix::fs::fchown(&file, Some(uid), Some(gid))
            .with_context(|| format!("cannot give {} to uid {uid}", path.display()))?;
    }
    // `mode` applies only when the file is created; an existing file is made private too.
    file.set_permissions(Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} private (mode 0600)", path.display()))?;
    Ok(Box::new(BufWriter::with_capacity(256 * 1024, file)))
}

/// The uid and gid of the user who ran `sudo`, when httpscope runs as root through it.
pub fn sudo_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let uid = std::env::var("SUDO_UID").ok()?.parse().ok()?;
    let gid = std::env::var("SUDO_GID").ok()?.parse().ok()?;
    (uid != 0).then_some((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn new_and_existing_files_become_0600() {
        let dir = std::env::temp_dir().join(format!("httpscope-outfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.har");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        let mut w = create_private(&path).unwrap();
        w.write_all(b"new").unwrap();
        drop(w);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        // A symbolic link is refused, and its target left alone.
        let link = dir.join("link.har");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(create_private(&link).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
