//! Where a consent sync keeps its progress: the [`SyncStore`] trait, and [`DirStore`], a
//! manifest in the sync directory.
//!
//! The manifest is a snapshot ([`MANIFEST_NAME`], written atomically) and a journal
//! ([`JOURNAL_NAME`]) that each record appends one line to and fsyncs, so recording a file
//! costs the same however many were recorded before. A sync folds the journal into the
//! snapshot when it ends ([`SyncStore::finish`]). A line cut short by a crash was never
//! acknowledged: reading skips it, and its file is handed again.
// Held to the crate's rule, though the generated code beside it is allowed to go without.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// The manifest's file name inside the sync directory.
pub const MANIFEST_NAME: &str = "consent-manifest.json";
/// The manifest journal's file name inside the sync directory: one JSON line per file recorded
/// since the snapshot was last written.
pub const JOURNAL_NAME: &str = "consent-manifest.journal";

/// The largest manifest snapshot, or journal, that is read (a million files' records, a few
/// hundred bytes each); a larger one is an error, as is a FIFO or a device in their place.
pub const MAX_MANIFEST_BYTES: u64 = 512 * 1024 * 1024;

/// The most IDs a sync passes to one [`SyncStore::done_among`].
pub const DONE_QUERY_IDS: usize = 1_000;

/// A store's own failure (a file that cannot be written, a lost connection).
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// What a store says of a consent file a sync is about to handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// Not done, and now this sync's to handle.
    Mine,
    /// Recorded done by an earlier sync: skip it.
    Done,
    /// Another worker holds it right now: skip it this time.
    Taken,
}

/// Keeps which consent files are done, for [`crate::consent::sync`].
///
/// A sync asks [`claim`](Self::claim) before it downloads a file, and calls
/// [`complete`](Self::complete) only after the caller's handler succeeded, or
/// [`release`](Self::release) when it failed. A store shared by several workers hands each
/// file to one of them at a time.
pub trait SyncStore: Send + Sync {
    /// Which of the consent files `ids` are recorded done, one answer per ID in order, without
    /// claiming them (a sync asks it of the listed files first, [`DONE_QUERY_IDS`] at a time,
    /// to know how many are left). None by default: `claim` then says so when a file's turn
    /// comes.
    fn done_among<'a>(&'a self, ids: &'a [String]) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
        Box::pin(std::future::ready(Ok(vec![false; ids.len()])))
    }
    /// Claims consent file `id` for this sync, as its download starts. Re-entrant: claiming a
    /// file this store holds already gives [`Claim::Mine`] (a sync claims its files again
    /// after listing them for fresh URLs).
    fn claim<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>>;
    /// Records `file` done, durably, before returning.
    fn complete<'a>(&'a self, file: &'a SyncedFile) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Gives `id` back unhandled (its handler failed), if this store holds it: a sync may
    /// release a file whose claim it sent without hearing the answer. Does nothing by default.
    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let _ = id;
        Box::pin(std::future::ready(Ok(())))
    }
    /// Tidies up when a sync ends without a failure (for [`DirStore`], folds the journal into
    /// the snapshot). Does nothing by default.
    fn finish(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// What a sync directory holds: one entry per handled consent file, by file ID.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// The manifest format version.
    pub version: u32,
    /// The handled files, by consent file ID.
    pub files: BTreeMap<String, SyncedFile>,
}

/// One consent file a sync downloaded and handled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SyncedFile {
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

    /// The manifest of `dir` (its snapshot and its journal), or an empty one if it has none
    /// yet. A journal line that does not read (one cut short by a crash) is skipped. Either
    /// file larger than [`MAX_MANIFEST_BYTES`], or not a regular file, is an error.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        // An error that names the file it is about, whatever its kind.
        let named = |path: &Path, e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
        };
        let path = dir.join(MANIFEST_NAME);
        let mut manifest = match crate::file::read_bounded(&path, MAX_MANIFEST_BYTES) {
            Ok((bytes, _)) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a valid manifest: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self {
                version: Self::VERSION,
                files: BTreeMap::new(),
            },
            Err(e) => return Err(named(&path, e)),
        };
        let journal_path = dir.join(JOURNAL_NAME);
        match crate::file::read_bounded(&journal_path, MAX_MANIFEST_BYTES) {
            Ok((journal, _)) => {
                let entries = journal
                    .split(|byte| *byte == b'\n')
                    .filter_map(|line| serde_json::from_slice::<SyncedFile>(line).ok());
                for entry in entries {
                    manifest.files.insert(entry.id.clone(), entry);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(named(&journal_path, e)),
        }
        Ok(manifest)
    }

    /// Whether the file with `id` was handled.
    pub fn contains(&self, id: &str) -> bool {
        self.files.contains_key(id)
    }

    /// Records `entry`: appends it to the journal in `dir` and fsyncs it (the directory too
    /// when the journal is new). Each line starts on a new line, so a line cut short before
    /// it stays a line of its own.
    pub(crate) fn record(&mut self, dir: &Path, entry: SyncedFile) -> std::io::Result<()> {
        let path = dir.join(JOURNAL_NAME);
        let new = !path.exists();
        let mut line = b"\n".to_vec();
        serde_json::to_writer(&mut line, &entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut journal =
            crate::file::no_follow(std::fs::OpenOptions::new().create(true).append(true))
                .open(&path)?;
        journal.write_all(&line)?;
        journal.sync_data()?;
        if new {
            sync_dir(dir)?;
        }
        self.files.insert(entry.id.clone(), entry);
        self.version = Self::VERSION;
        Ok(())
    }

    /// Writes the whole manifest as the snapshot of `dir` atomically (a temporary file,
    /// fsynced, renamed over the old one, the directory fsynced), then removes the journal.
    pub(crate) fn compact(&self, dir: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomically(dir, MANIFEST_NAME, &bytes)?;
        match std::fs::remove_file(dir.join(JOURNAL_NAME)) {
            Ok(()) => sync_dir(dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The store of a sync directory: its manifest. Only the sync holding the directory's lock
/// uses it; the manifest is read when the sync first asks it anything (which files are done),
/// under that lock, so it is never stale.
#[derive(Debug)]
pub struct DirStore {
    dir: PathBuf,
    manifest: std::sync::Arc<Mutex<Option<Manifest>>>,
}

impl DirStore {
    /// The store of `dir` (its manifest, an empty one if there is none yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            manifest: std::sync::Arc::default(),
        }
    }

    /// Runs `f` on the manifest, read from the directory the first time.
    fn with_manifest<T>(
        &self,
        f: impl FnOnce(&mut Manifest) -> std::io::Result<T>,
    ) -> Result<T, StoreError> {
        with_manifest(&self.manifest, &self.dir, f)
    }
}

/// Runs `f` on the manifest in `slot`, read from `dir` the first time.
fn with_manifest<T>(
    slot: &Mutex<Option<Manifest>>,
    dir: &Path,
    f: impl FnOnce(&mut Manifest) -> std::io::Result<T>,
) -> Result<T, StoreError> {
    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
    let manifest = match &mut *slot {
        Some(manifest) => manifest,
        empty => empty.insert(Manifest::load(dir)?),
    };
    Ok(f(manifest)?)
}

impl SyncStore for DirStore {
    fn done_among<'a>(&'a self, ids: &'a [String]) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
        let done = self.with_manifest(|m| Ok(ids.iter().map(|id| m.contains(id)).collect()));
        Box::pin(std::future::ready(done))
    }

    fn claim<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        let claim = self.with_manifest(|m| {
            Ok(if m.contains(id) {
                Claim::Done
            } else {
                Claim::Mine
            })
        });
        Box::pin(std::future::ready(claim))
    }

    /// Appends to the journal on a blocking thread (it is fsynced), so that downloads in flight
    /// on the same task keep going.
    fn complete<'a>(&'a self, file: &'a SyncedFile) -> BoxFuture<'a, Result<(), StoreError>> {
        let file = file.clone();
        Box::pin(self.on_blocking_thread(move |m, dir| m.record(dir, file)))
    }

    /// Folds the journal into the snapshot, on a blocking thread.
    fn finish(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.on_blocking_thread(|m, dir| m.compact(dir)))
    }
}

impl DirStore {
    /// Runs `f` on the manifest on a blocking thread (its writes are fsynced).
    async fn on_blocking_thread(
        &self,
        f: impl FnOnce(&mut Manifest, &Path) -> std::io::Result<()> + Send + 'static,
    ) -> Result<(), StoreError> {
        let (slot, dir) = (self.manifest.clone(), self.dir.clone());
        tokio::task::spawn_blocking(move || with_manifest(&slot, &dir, |m| f(m, &dir)))
            .await
            .map_err(|e| StoreError::from(std::io::Error::other(e)))?
    }
}

/// Writes `bytes` to `dir/name` so that a crash leaves either the old or the new content. The
/// temporary file is new (never a file or link already there) and removed if the write fails.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let temp = temp_path(dir, name);
    let mut file = crate::file::no_follow(std::fs::OpenOptions::new().write(true).create_new(true))
        .open(&temp)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temp, dir.join(name))
        });
    if let Err(error) = written {
        // Made by this call (`create_new`); gone already if the rename happened.
        let _ = std::fs::remove_file(&temp);
        return Err(error);
    }
    sync_dir(dir)
}

/// A temporary path for `name` in `dir`, unique to this process and call: no two writers,
/// even of the same file, share one.
pub(crate) fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(
        "{TEMP_PREFIX}{name}.{}-{:016x}{TEMP_SUFFIX}",
        std::process::id(),
        fastrand::u64(..)
    ))
}

/// Whether `name` is one of the sync's temporary files.
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

const TEMP_PREFIX: &str = ".liveramp-sync-";
const TEMP_SUFFIX: &str = ".part";

/// [`sync_dir`] on a blocking thread, so that the task it runs on keeps going.
pub(crate) async fn sync_dir_async(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || sync_dir(&dir))
        .await
        .map_err(std::io::Error::other)?
}

/// Fsyncs `dir`, so that the renames into it survive a crash (Unix; elsewhere a no-op).
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
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

    fn entry(id: &str) -> SyncedFile {
        SyncedFile {
            id: id.into(),
            file: format!("{id}.csv"),
            bytes: 3,
            identifier_type: "MUID".into(),
            request_type: "OPT_OUT".into(),
            created_at: "2019-11-26T21:37:19Z".parse().unwrap(),
            downloaded_at: "2019-11-27T00:00:00Z".parse().unwrap(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_recorded_entry_survives_a_reload_and_compaction_and_no_temp_file_remains() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::load(dir.path()).unwrap();
        assert!(manifest.files.is_empty());
        manifest.record(dir.path(), entry("a")).unwrap();
        manifest.record(dir.path(), entry("b")).unwrap();
        let reloaded = Manifest::load(dir.path()).unwrap();
        assert_eq!(reloaded, manifest);
        assert!(reloaded.contains("a") && reloaded.contains("b"));
        assert_eq!(names(dir.path()), [JOURNAL_NAME]);
        manifest.compact(dir.path()).unwrap();
        assert_eq!(names(dir.path()), [MANIFEST_NAME]);
        manifest.record(dir.path(), entry("c")).unwrap();
        let reloaded = Manifest::load(dir.path()).unwrap();
        assert_eq!(reloaded, manifest);
        assert_eq!(reloaded.files.len(), 3);
    }

    #[cfg(unix)]
    #[test]
    fn a_journal_planted_as_a_symlink_is_not_written_through() {
        // Found by review: the journal's append followed a symlink to any file.
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(JOURNAL_NAME)).unwrap();
        let mut manifest = Manifest::default();
        assert!(manifest.record(dir.path(), entry("a")).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    }

    /// A crash in the middle of an append leaves a line cut short: it is skipped (its file was
    /// never acknowledged), and the records after it read.
    #[test]
    fn a_journal_line_cut_short_is_skipped_and_later_records_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::load(dir.path()).unwrap();
        manifest.record(dir.path(), entry("a")).unwrap();
        let mut journal = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(JOURNAL_NAME))
            .unwrap();
        journal.write_all(b"\n{\"id\":\"b\",\"fi").unwrap();
        drop(journal);
        let mut reloaded = Manifest::load(dir.path()).unwrap();
        assert!(reloaded.contains("a") && !reloaded.contains("b"));
        reloaded.record(dir.path(), entry("c")).unwrap();
        let reloaded = Manifest::load(dir.path()).unwrap();
        assert!(reloaded.contains("a") && reloaded.contains("c") && !reloaded.contains("b"));
    }

    #[test]
    fn a_failed_manifest_write_leaves_no_temporary_file() {
        // Found by review: a write that failed after its temporary file was made left it,
        // a manifest's size, until the next sync.
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::load(dir.path()).unwrap();
        manifest.record(dir.path(), entry("a")).unwrap();
        // A directory where the manifest goes: the rename fails.
        std::fs::create_dir(dir.path().join(MANIFEST_NAME)).unwrap();
        std::fs::write(dir.path().join(MANIFEST_NAME).join("x"), b"x").unwrap();
        assert!(manifest.compact(dir.path()).is_err());
        assert!(
            names(dir.path()).iter().all(|name| !is_temp_name(name)),
            "{:?}",
            names(dir.path())
        );
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
