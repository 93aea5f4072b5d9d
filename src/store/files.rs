//! Files and folders that hold data (the SQLite database, keys, mail): created readable by
//! the service's user only, and tightened at start when something left them looser.

use std::io::{self, Write};
use std::path::Path;

/// Creates `dir` and any missing parents as 0700; folders that exist are left as they are.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates `path` as an empty 0600 file unless it exists.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes a new file readable only by its owner. Whatever was at `path` before (an old
/// key file with looser permissions, a symlink) is removed, not written through.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

/// Takes group and other permissions off `path` when it has any, with one log line for the
/// change. A path that does not exist is fine; one that cannot be changed (owned by
/// another user) is logged and left, since it is no looser than it was.
pub fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(path) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read the permissions of a data file or folder");
                return;
            }
        };
        if mode & 0o077 == 0 {
            return;
        }
        let tight = mode & !0o077;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(tight)) {
            Ok(()) => tracing::warn!(
                path = %path.display(),
                from = %format!("{mode:04o}"),
                to = %format!("{tight:04o}"),
                "tightened permissions: only the service's user may read this data file or folder"
            ),
            Err(e) => tracing::warn!(
                path = %path.display(),
                mode = %format!("{mode:04o}"),
                error = %e,
                "a data file or folder is open to other users and its permissions cannot be tightened"
            ),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn creates_private_and_tightens_only_what_is_looser() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        let file = nested.join("f");
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o744)).unwrap();
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o744, "an existing file is not replaced");
        tighten(&file);
        assert_eq!(mode(&file), 0o700);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
        tighten(&file);
        assert_eq!(mode(&file), 0o400, "tighter than needed stays");
        tighten(&nested.join("missing"));
    }
}
