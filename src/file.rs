//! Files the crate reads (a credentials file, the consent sync's manifest): regular files
//! only, and no more of them than a bound.

use std::io::{self, Read as _};
use std::path::Path;

/// The bytes of the regular file at `path`, at most `limit` of them.
///
/// A FIFO, a device or a directory is refused (`ErrorKind::InvalidInput`) before it is opened:
/// reading one could block for ever or never end. A file of more than `limit` bytes is refused
/// (`ErrorKind::FileTooLarge`), however it grows while it is read.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("is larger than {limit} bytes"),
        )
    };
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file",
        ));
    }
    if metadata.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}
