//! The sync manifest: which consent files a directory holds, written atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The manifest's file name inside the sync directory.
pub const MANIFEST_NAME: &str = "consent-manifest.json";

/// What a sync directory holds: one entry per downloaded consent file, by file ID.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest format version.
    pub version: u32,
    /// The downloaded files, by consent file ID.
    pub files: BTreeMap<String, ManifestEntry>,
}

/// One downloaded consent file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry {
    /// The consent file's ID.
    pub id: String,
    /// Its file name inside the sync directory.
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The kind of identifiers it holds, as the API named it.
    pub identifier_type: String,
    /// What the receiver must do with them, as the API named it.
    pub request_type: String,
    /// When LiveRamp created it.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was downloaded.
    pub downloaded_at: chrono::DateTime<chrono::Utc>,
}

impl Manifest {
    const VERSION: u32 = 1;

    /// The manifest of `dir`, or an empty one if it has none yet.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join(MANIFEST_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a valid manifest: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                version: Self::VERSION,
                files: BTreeMap::new(),
            }),
            Err(e) => Err(e),
        }
    }

    /// Whether the file with `id` was downloaded.
    pub fn contains(&self, id: &str) -> bool {
        self.files.contains_key(id)
    }

    /// Records `entry` and writes the manifest to `dir` atomically: a temporary file, fsynced,
    /// renamed over the old one, and the directory fsynced.
    pub fn record(&mut self, dir: &Path, entry: ManifestEntry) -> std::io::Result<()> {
        self.files.insert(entry.id.clone(), entry);
        self.version = Self::VERSION;
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomically(dir, MANIFEST_NAME, &bytes)
    }
}

/// Writes `bytes` to `dir/name` so that a crash leaves either the old or the new content.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let temp = temp_path(dir, name);
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, dir.join(name))?;
    sync_dir(dir)
}

/// The temporary path `name` is written to before it is renamed into place.
pub fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{TEMP_PREFIX}{name}{TEMP_SUFFIX}"))
}

/// Whether `name` is one of the sync's temporary files.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

const TEMP_PREFIX: &str = ".liveramp-sync-";
const TEMP_SUFFIX: &str = ".part";

/// Makes the renames inside `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> ManifestEntry {
        ManifestEntry {
            id: id.into(),
            file: format!("{id}.csv"),
            bytes: 3,
            identifier_type: "MUID".into(),
            request_type: "OPT_OUT".into(),
            created_at: "2019-11-26T21:37:19Z".parse().unwrap(),
            downloaded_at: "2019-11-27T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_recorded_entry_survives_a_reload_and_no_temp_file_remains() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::load(dir.path()).unwrap();
        assert!(manifest.files.is_empty());
        manifest.record(dir.path(), entry("a")).unwrap();
        manifest.record(dir.path(), entry("b")).unwrap();
        let reloaded = Manifest::load(dir.path()).unwrap();
        assert_eq!(reloaded, manifest);
        assert!(reloaded.contains("a") && reloaded.contains("b"));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [MANIFEST_NAME]);
    }

    #[test]
    fn a_corrupt_manifest_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST_NAME), b"{not json").unwrap();
        let error = Manifest::load(dir.path()).unwrap_err();
        assert!(error.to_string().contains(MANIFEST_NAME), "{error}");
    }

    #[test]
    fn temp_names_are_recognised() {
        let dir = Path::new("/d");
        let temp = temp_path(dir, "x.csv");
        let name = temp.file_name().unwrap().to_str().unwrap();
        assert!(is_temp_name(name));
        assert!(!is_temp_name("x.csv"));
        assert!(!is_temp_name(MANIFEST_NAME));
    }
}
