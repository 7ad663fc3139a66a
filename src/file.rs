//! Files the crate reads (a credentials file, the consent sync's manifest): regular files
//! only, and no more of them than a bound; and files it writes, not through a symlink.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::Path;

/// The bytes of the regular file at `path`, at most `limit` of them, and the metadata of the
/// file they were read from.
///
/// A FIFO, a device or a directory is refused (`ErrorKind::InvalidInput`): reading one could
/// block for ever or never end. The path is checked before it is opened (opening a device may
/// act on it), and the file opened is checked again: it is opened without waiting for a FIFO's
/// writer and without becoming a controlling terminal, so a path swapped between the two cannot
/// block either. A file of more than `limit` bytes is refused (`ErrorKind::FileTooLarge`),
/// however it grows while it is read.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> io::Result<(Vec<u8>, std::fs::Metadata)> {
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("is larger than {limit} bytes"),
        )
    };
    let not_regular = || io::Error::new(io::ErrorKind::InvalidInput, "is not a regular file");
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = open_without_waiting(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    if metadata.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok((bytes, metadata))
}

/// `options` set not to follow a symlink at the path's end (on Unix): for the files the sync
/// writes in its directory, where one planted by anyone who can write there would redirect
/// the writes to its target.
pub(crate) fn no_follow(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW);
    options
}

/// `path` opened for reading; a FIFO without a writer is opened at once instead of blocking,
/// and a terminal does not become the process's controlling one.
#[cfg(unix)]
fn open_without_waiting(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// `path` opened for reading.
#[cfg(not(unix))]
fn open_without_waiting(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    use super::*;

    /// Makes a FIFO at each of `paths`, in one `mkfifo`.
    fn mkfifo(paths: &[std::path::PathBuf]) {
        let made = std::process::Command::new("mkfifo").args(paths).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    }

    /// Runs `read` on another thread; a read that blocks fails the test instead of hanging it.
    fn without_blocking<T: Send + 'static>(read: impl FnOnce() -> T + Send + 'static) -> T {
        let (sent, received) = mpsc::channel();
        std::thread::spawn(move || sent.send(read()));
        received
            .recv_timeout(Duration::from_secs(20))
            .expect("the read blocked")
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("manifest.json");
        mkfifo(std::slice::from_ref(&fifo));
        let error = without_blocking(move || read_bounded(&fifo, 1024).unwrap_err());
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{error}");
        let error = read_bounded(dir.path(), 1024).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{error}");
    }

    #[test]
    fn a_path_swapped_for_a_fifo_while_it_is_read_never_blocks() {
        // Found by review: the path was checked, then opened; a FIFO put in its place between
        // the two blocked the open for ever. A swapper renames FIFOs and regular files over the
        // path in turn while it is read again and again.
        const SWAPS: usize = 2_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        std::fs::write(&path, b"{}").unwrap();
        let fifos: Vec<_> = (0..SWAPS)
            .map(|i| dir.path().join(format!("fifo-{i}")))
            .collect();
        mkfifo(&fifos);
        let swapping = Arc::new(AtomicBool::new(true));
        let swapper = {
            let (regular, path, swapping) =
                (dir.path().join("regular"), path.clone(), swapping.clone());
            std::thread::spawn(move || {
                for fifo in fifos {
                    std::fs::rename(&fifo, &path).unwrap();
                    std::fs::write(&regular, b"{}").unwrap();
                    std::fs::rename(&regular, &path).unwrap();
                }
                swapping.store(false, Ordering::Relaxed);
            })
        };
        let (read, refused) = without_blocking(move || {
            let (mut read, mut refused) = (0u32, 0u32);
            while swapping.load(Ordering::Relaxed) {
                match read_bounded(&path, 1024) {
                    Ok((bytes, _)) => {
                        assert_eq!(bytes, b"{}");
                        read += 1;
                    }
                    Err(error) => {
                        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{error}");
                        refused += 1;
                    }
                }
            }
            (read, refused)
        });
        swapper.join().unwrap();
        assert!(read > 0 && refused > 0, "{read} read, {refused} refused");
    }
}
