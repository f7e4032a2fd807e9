//! Output files: created (or truncated) with mode 0600, because what httpscope writes holds
//! the headers of captured traffic — cookies, tokens, URLs.

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
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    // `mode` applies only when the file is created; an existing file is made private too.
    file.set_permissions(Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} private (mode 0600)", path.display()))?;
    Ok(Box::new(BufWriter::with_capacity(256 * 1024, file)))
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
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
