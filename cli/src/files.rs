//! The local files the CLI writes.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// The file at `path`, created or emptied: a regular file, not reached through a symlink (one
/// planted at the path would have its target emptied) nor a FIFO (which would block), and
/// readable by its owner only, even if it was there before (on Unix: what the CLI writes holds
/// matches or credentials).
pub(crate) fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    // A hard link planted at the path would have its target emptied.
    #[cfg(unix)]
    if std::os::unix::fs::MetadataExt::nlink(&metadata) > 1 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the file has other links",
        ));
    }
    // Before it is emptied: a file this process may not make private (another user's) is
    // refused whole.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    // Emptied only once it is known to be a regular file.
    file.set_len(0)?;
    Ok(file)
}

/// Writes `contents` to `path` as [`create_private`] opens it, as a credentials file must be:
/// the library warns about one others may read.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    create_private(path)?.write_all(contents)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_private_file_is_never_written_through_a_link_nor_into_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        let link = dir.path().join("credentials.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(write_private(&link, b"secret").is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");

        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            assert!(write_private(&fifo, b"secret").is_err());
        }

        let linked = dir.path().join("linked.json");
        std::fs::hard_link(&victim, &linked).unwrap();
        assert!(write_private(&linked, b"secret").is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");

        let plain = dir.path().join("plain.json");
        std::fs::write(&plain, "old, longer contents").unwrap();
        write_private(&plain, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), "new");
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&plain.metadata().unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600);
    }
}
