//! Every opt-out and deletion file, downloaded and handed to your code once.
//!
//! A [`Syncer`] lists the consent files (every page), and for each one its [`SyncStore`] has not
//! recorded done: downloads it into the sync directory, proves the body whole, hands it to your
//! handler, and records it done only when the handler succeeded.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use liveramp::consent::{DirStore, Syncer};
//!
//! let consent = liveramp::Config::from_env()?.consent()?;
//! let dir = std::path::Path::new("consent-files");
//! let report = Syncer::new(&consent, dir, DirStore::new(dir))
//!     .run(|file| async move {
//!         // Apply file.path (its identifiers, one per line as LiveRamp sends them) to your
//!         // systems, keyed by file.record.id so that applying it twice changes nothing.
//!         println!("{} {} bytes", file.record.id, file.record.bytes);
//!         Ok::<(), std::io::Error>(())
//!     })
//!     .await?;
//! println!("{} handled now, {} earlier", report.downloaded.len(), report.already_synced);
//! # Ok(()) }
//! ```
//!
//! # What "once" means, step by step
//!
//! 1. **Lock.** The sync holds an exclusive lock on its directory for its whole run; a second
//!    sync on the same directory fails with [`SyncError::Busy`] (after waiting a quarter of a
//!    second for a lock being released), whatever process it runs in. So only the holder writes
//!    there.
//! 2. **Claim** each file as its download starts ([`SyncStore::claim`]), skipping one that is
//!    done or that another worker of a shared store holds. A claim is made at most
//!    `2 × downloads_in_flight` files ahead of the handler, so a worker holds no more than
//!    that many files it has not handled, and workers sharing a store share the files.
//! 3. **Download.** Several files download at once, ahead of the handler and while it runs
//!    ([`Syncer::downloads_in_flight`], 4 by default); the handler still gets them one at a
//!    time, in listing order. Each body goes to a temporary file whose name is unique to the
//!    process and the attempt, fsynced. It counts as whole only if its framing proves it (the
//!    announced `Content-Length` matched, a chunked body was properly terminated, or HTTP/2
//!    ended the stream); a body that ended by the connection closing proves nothing and is
//!    refused ([`SyncError::Unproven`]), and so is a file larger than
//!    [`Syncer::max_file_bytes`] ([`SyncError::TooLarge`]). A lost connection, a stalled or
//!    cut-off body, or a status worth retrying (408, 429, 500, 502, 503, 504) is tried again,
//!    three attempts in all, after the client's retry policy's backoff, on its clock; an
//!    expired signed URL is refreshed by listing the files again (three times in a row at
//!    most; URLs that expire within a minute of their listing, three times in a run plus once
//!    per hundred files handled). A download that fails or is dropped mid-body removes its
//!    temporary file; what a crash leaves is removed by the next sync that takes the lock: no
//!    live process can own it then.
//! 4. **Rename** into `<id>` in the directory, with the URL's extension when it has a short
//!    alphanumeric one (`<id>.csv`), and fsync the directory.
//! 5. **Handle.** Your handler gets the whole file. If it fails, the file and every other file
//!    this run claimed and has not handled are released ([`SyncStore::release`]) and the run
//!    stops with [`SyncError::Handler`]; the next run hands the file again. Files downloaded ahead of a
//!    failure stay in the directory unrecorded: what is recorded done is what counts (a
//!    rerun downloads them again).
//! 6. **Record** it done ([`SyncStore::complete`]; for [`DirStore`](super::DirStore), a line
//!    appended to the manifest's journal and fsynced; when the run ends, the journal is folded
//!    into the manifest, written atomically).
//!
//! A crash before step 6 is durable hands the file to the handler again on the next run, so
//! the handler must be idempotent per file ID: record what it applied together with its effect
//! (in one transaction), or make applying a file twice change nothing. A crash anywhere else
//! loses nothing: an unrecorded file is downloaded again.
//!
//! # The body
//!
//! LiveRamp documents the files' metadata (identifier type, request type, data controller) but
//! not their body's format, so the crate does not parse it: the handler gets the file's path
//! and reads it as the bytes it is.
// Held to the crate's rule, though the generated code beside it is allowed to go without.
#![warn(missing_docs)]

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::store::{self, Claim, StoreError, SyncStore, SyncedFile};
use super::types::ConsentFile;
use super::{Client, DownloadError};

/// How many files one list call asks for.
const PAGE_SIZE: u32 = 100;
/// Downloads in flight unless [`Syncer::downloads_in_flight`] says otherwise.
pub const DEFAULT_DOWNLOADS_IN_FLIGHT: usize = 4;
/// The most downloads [`Syncer::downloads_in_flight`] allows at once.
pub const MAX_DOWNLOADS_IN_FLIGHT: usize = 64;
/// The largest file a sync downloads unless [`Syncer::max_file_bytes`] says otherwise.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// How many times in a row one file's signed URL is refreshed before the sync gives up; also
/// the early refreshes a run may make before it has handled any file.
const MAX_REFRESHES: u32 = 3;
/// A refresh is early when the URLs expired within this long of their listing. A run makes one
/// more early refresh for each [`FILES_PER_EARLY_REFRESH`] files it handled: URLs that keep
/// expiring that fast are a server's fault, and each refresh lists every file again. Later
/// refreshes (a long sync outliving its URLs) are not counted.
const EARLY_EXPIRY: Duration = Duration::from_secs(60);
/// See [`EARLY_EXPIRY`].
const FILES_PER_EARLY_REFRESH: usize = 100;
/// Attempts per file download (a lost connection, a 5xx), the first included.
const DOWNLOAD_ATTEMPTS: u32 = 3;
/// The lock file a sync holds in its directory.
pub const LOCK_NAME: &str = ".liveramp-sync.lock";

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SyncReport {
    /// The directory synced into.
    pub dir: PathBuf,
    /// How many files the API listed.
    pub listed: usize,
    /// The files handled by this run.
    pub downloaded: Vec<SyncedFile>,
    /// How many listed files were already handled: by an earlier run, or by another worker
    /// of a shared store during this one.
    pub already_synced: usize,
    /// How many listed files another worker held when their turn came (shared stores only).
    pub taken_elsewhere: usize,
    /// How many temporary files of an interrupted run were removed.
    pub stale_temp_files_removed: usize,
    /// How many times the files were listed again for fresh signed URLs.
    pub url_refreshes: usize,
    /// How many downloads were tried again after a lost connection or a 5xx.
    pub download_retries: usize,
    /// Files that disappeared from the listing before they could be downloaded.
    pub vanished: Vec<String>,
}

/// Why a sync stopped. Files handled before the failure stay recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// Another sync holds the directory's lock.
    #[non_exhaustive]
    #[error("another consent sync is running in {}; try again when it is done", dir.display())]
    Busy {
        /// The directory.
        dir: PathBuf,
    },
    /// Listing the consent files failed.
    #[error("listing the consent files failed")]
    List(#[source] Box<crate::Error>),
    /// Downloading one file failed, after its retries.
    #[non_exhaustive]
    #[error("downloading consent file {id} failed")]
    Download {
        /// The consent file's ID.
        id: String,
        /// What went wrong.
        #[source]
        source: DownloadError,
    },
    /// The body ended before the announced length.
    #[non_exhaustive]
    #[error("consent file {id} ended after {received} of {expected} bytes")]
    Truncated {
        /// The consent file's ID.
        id: String,
        /// The bytes received.
        received: u64,
        /// The bytes announced.
        expected: u64,
    },
    /// The file is larger than [`Syncer::max_file_bytes`] allows (announced so, or found so
    /// while it was written); nothing of it is kept.
    #[non_exhaustive]
    #[error("consent file {id} is larger than {limit} bytes")]
    TooLarge {
        /// The consent file's ID.
        id: String,
        /// The limit.
        limit: u64,
    },
    /// The body ended with the connection, which does not prove it whole.
    #[non_exhaustive]
    #[error(
        "consent file {id} ended with the connection after {received} bytes, without a length \
         or chunked framing to prove it whole"
    )]
    Unproven {
        /// The consent file's ID.
        id: String,
        /// The bytes received.
        received: u64,
    },
    /// The handler failed on a file; it was not recorded done.
    #[non_exhaustive]
    #[error("handling consent file {id} failed")]
    Handler {
        /// The consent file's ID.
        id: String,
        /// The handler's error.
        #[source]
        source: StoreError,
    },
    /// The store failed.
    #[non_exhaustive]
    #[error("the sync store failed on consent file {id}")]
    Store {
        /// The consent file's ID.
        id: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// Every file was recorded, but the store failed to tidy up at the end (for
    /// [`DirStore`](super::DirStore), to fold its journal into the manifest); the next run
    /// tries again.
    #[error("the sync store failed to finish (every file is recorded)")]
    Finish(#[source] StoreError),
    /// A local file operation failed.
    #[non_exhaustive]
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

impl SyncError {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    fn store(id: &str) -> impl FnOnce(StoreError) -> Self {
        let id = id.to_owned();
        move |source| Self::Store { id, source }
    }
}

/// Hears about a sync's progress, to draw it.
pub trait SyncObserver: Send + Sync {
    /// The listing is done: `total` files, of which `pending` are not known to be done (see
    /// [`SyncStore::done_among`]).
    fn listed(&self, total: usize, pending: usize) {
        let _ = (total, pending);
    }
    /// A pending file was done, or held by another worker, when its turn came: it is skipped.
    fn skipped(&self, id: &str) {
        let _ = id;
    }
    /// A file's body started arriving; `bytes` is its announced size.
    fn started(&self, id: &str, bytes: Option<u64>) {
        let _ = (id, bytes);
    }
    /// `bytes` more bytes of a file in flight were written (several download at once).
    fn progressed(&self, bytes: u64) {
        let _ = bytes;
    }
    /// A file was handled and recorded.
    fn finished(&self, file: &SyncedFile) {
        let _ = file;
    }
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl SyncObserver for Quiet {}

/// A downloaded consent file, whole, handed to the handler.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReceivedFile {
    /// What the store will record once the handler succeeded.
    pub record: SyncedFile,
    /// Its metadata as the API listed it; its signed URL is a `Secret`, which `Debug` redacts.
    pub metadata: ConsentFile,
    /// Where its body is, inside the sync directory.
    pub path: PathBuf,
}

/// Syncs the consent files into a directory; see the [module docs](self).
pub struct Syncer<'a, S> {
    client: &'a Client,
    dir: PathBuf,
    store: S,
    observer: &'a dyn SyncObserver,
    in_flight: usize,
    max_file_bytes: u64,
}

impl<'a, S: SyncStore> Syncer<'a, S> {
    /// A sync of `client`'s consent files into `dir`, its progress kept by `store`.
    pub fn new(client: &'a Client, dir: impl Into<PathBuf>, store: S) -> Self {
        Self {
            client,
            dir: dir.into(),
            store,
            observer: &Quiet,
            in_flight: DEFAULT_DOWNLOADS_IN_FLIGHT,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }

    /// Refuses a file larger than `bytes` ([`SyncError::TooLarge`]; default
    /// [`DEFAULT_MAX_FILE_BYTES`], 16 GiB): announced larger, it is not downloaded; found
    /// larger while it is written, its partial copy is removed. A server that never ends a
    /// body cannot fill the disk.
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes;
        self
    }

    /// Downloads up to `n` files at once (1 to [`MAX_DOWNLOADS_IN_FLIGHT`]; default
    /// [`DEFAULT_DOWNLOADS_IN_FLIGHT`]). They run ahead of the handler and go on while it runs,
    /// at most `2 * n` files ahead of it (downloading or waiting); the handler still gets one
    /// file at a time in listing order. The handler should not block its thread: downloads run
    /// on the same task.
    pub fn downloads_in_flight(mut self, n: usize) -> Self {
        self.in_flight = n.clamp(1, MAX_DOWNLOADS_IN_FLIGHT);
        self
    }

    /// Tells `observer` how the sync goes.
    pub fn observer(mut self, observer: &'a dyn SyncObserver) -> Self {
        self.observer = observer;
        self
    }

    /// Runs the sync, handing each new file to `handler`; stops at the first failure.
    pub async fn run<H, Fut, E>(self, mut handler: H) -> Result<SyncReport, SyncError>
    where
        H: FnMut(ReceivedFile) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Into<StoreError>,
    {
        let dir = &self.dir;
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(SyncError::io("creating", dir))?;
        let _lock = lock(dir).await?;
        let mut report = SyncReport {
            dir: dir.clone(),
            stale_temp_files_removed: remove_stale_temp_files(dir)?,
            ..SyncReport::default()
        };
        let listed = list_all(self.client).await?;
        let mut listed_at = tokio::time::Instant::now();
        let mut early_refreshes = 0usize;
        report.listed = listed.len();
        let mut pending = Vec::new();
        for files in listed.chunks(store::DONE_QUERY_IDS) {
            let ids: Vec<String> = files.iter().map(|file| file.id.to_string()).collect();
            let done = self
                .store
                .done_among(&ids)
                .await
                .map_err(SyncError::store(&ids[0]))?;
            for (file, done) in files
                .iter()
                .zip(done.into_iter().chain(std::iter::repeat(false)))
            {
                match done {
                    true => report.already_synced += 1,
                    false => pending.push(file.clone()),
                }
            }
        }
        self.observer.listed(report.listed, pending.len());
        // The files this run claimed: given back if it fails.
        let claimed = Claimed::default();

        let mut next = 0;
        let mut refreshes = 0;
        while next < pending.len() {
            // Files from `next` on download `in_flight` at a time, and finished ones wait for the
            // handler in order. The downloads are polled all along (the channel never makes them
            // wait); a permit per file, given back once it is handled, bounds how far they run
            // ahead: `in_flight` downloading and as many finished.
            let ahead = tokio::sync::Semaphore::new(2 * self.in_flight);
            let (finished, mut arrived) = tokio::sync::mpsc::unbounded_channel();
            let from = next;
            let downloads = async {
                // Owned here: when the last download is in, the channel closes.
                let finished = finished;
                let mut downloads = futures::stream::iter(&pending[from..])
                    .map(|file| async {
                        let permit = ahead.acquire().await;
                        (self.claim_and_download(file, &claimed).await, permit)
                    })
                    .buffered(self.in_flight);
                // A failed download starts no more: the run stops there, or lists again.
                while let Some((done, permit)) = downloads.next().await {
                    let failed = matches!(done, Fetched::Downloaded(Err(_), ..));
                    if finished.send((done, permit)).is_err() || failed {
                        break;
                    }
                }
            };
            let handling = async {
                while let Some((fetched, _permit)) = arrived.recv().await {
                    let file = &pending[next];
                    let id = file.id.to_string();
                    let (result, retries, ended) = match fetched {
                        Fetched::Downloaded(result, retries, ended) => (result, retries, ended),
                        Fetched::Skipped { done } => {
                            match done {
                                true => report.already_synced += 1,
                                false => report.taken_elsewhere += 1,
                            }
                            self.observer.skipped(&id);
                            next += 1;
                            continue;
                        }
                    };
                    report.download_retries += retries;
                    // The URL's age when its download failed, not when the handler got to it.
                    let age = ended.saturating_duration_since(listed_at);
                    let record = match result {
                        Ok(record) => record,
                        Err(SyncError::Download { source, .. })
                            if source.is_expired_url()
                                && may_refresh(
                                    refreshes,
                                    age,
                                    early_refreshes,
                                    report.downloaded.len(),
                                ) =>
                        {
                            return Ok(Round::UrlExpired {
                                early: age < EARLY_EXPIRY,
                            });
                        }
                        Err(error) => return Err(error),
                    };
                    let received = ReceivedFile {
                        path: dir.join(&record.file),
                        record: record.clone(),
                        metadata: file.clone(),
                    };
                    if let Err(error) = handler(received).await {
                        return Err(SyncError::Handler {
                            id,
                            source: error.into(),
                        });
                    }
                    self.store
                        .complete(&record)
                        .await
                        .map_err(SyncError::store(&id))?;
                    self.observer.finished(&record);
                    report.downloaded.push(record);
                    next += 1;
                    refreshes = 0;
                }
                Ok(Round::Finished)
            };
            let round = {
                tokio::pin!(downloads, handling);
                let mut downloading = true;
                loop {
                    tokio::select! {
                        biased;
                        round = &mut handling => break round,
                        () = &mut downloads, if downloading => downloading = false,
                    }
                }
            };
            // The downloads still in flight are dropped: after an expired URL they carry URLs
            // of the same age.
            let refreshed = match round {
                Ok(Round::Finished) => break,
                Ok(Round::UrlExpired { early }) => {
                    refreshes += 1;
                    report.url_refreshes += 1;
                    early_refreshes += usize::from(early);
                    let refreshed = self
                        .refresh(&mut pending, next, &claimed, &mut report)
                        .await;
                    listed_at = tokio::time::Instant::now();
                    refreshed
                }
                Err(error) => Err(error),
            };
            if let Err(error) = refreshed {
                self.release_all(&pending[next..], &claimed).await;
                return Err(error);
            }
        }
        self.store.finish().await.map_err(SyncError::Finish)?;
        Ok(report)
    }

    /// Gives back the claims this run holds among `files` (best effort: the run is failing
    /// already), so that another worker of a shared store can take them at once.
    async fn release_all(&self, files: &[ConsentFile], claimed: &Claimed) {
        for file in files.iter().filter(|file| claimed.holds(file)) {
            let _ = self.store.release(&file.id.to_string()).await;
        }
    }

    /// Claims `file` (again, after a refresh: a claim is re-entrant), then downloads it; a
    /// file done or taken elsewhere is skipped. The file counts as claimed from before the
    /// claim is sent: a claim dropped with its round may have been granted, and is released
    /// with the others if the run fails.
    async fn claim_and_download(&self, file: &ConsentFile, claimed: &Claimed) -> Fetched {
        let id = file.id.to_string();
        claimed.add(file);
        match self.store.claim(&id).await {
            Ok(Claim::Mine) => {}
            Ok(other) => {
                claimed.remove(file);
                return Fetched::Skipped {
                    done: other == Claim::Done,
                };
            }
            Err(error) => {
                let failed = Err(SyncError::store(&id)(error));
                return Fetched::Downloaded(failed, 0, tokio::time::Instant::now());
            }
        }
        let (result, retries) = self.download(file).await;
        Fetched::Downloaded(result, retries, tokio::time::Instant::now())
    }

    /// Lists the files again and replaces `pending[from..]` with their fresh signed URLs;
    /// a file no longer listed is released (if this run claimed it) and reported vanished.
    async fn refresh(
        &self,
        pending: &mut Vec<ConsentFile>,
        from: usize,
        claimed: &Claimed,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let fresh: HashMap<_, _> = list_all(self.client)
            .await?
            .into_iter()
            .map(|file| (file.id, file))
            .collect();
        for file in pending.split_off(from) {
            match fresh.get(&file.id) {
                Some(renewed) => pending.push(renewed.clone()),
                None => {
                    let gone = file.id.to_string();
                    if claimed.holds(&file) {
                        // Best effort, as on a failure: the rest of the files must be put back.
                        let _ = self.store.release(&gone).await;
                        claimed.remove(&file);
                    }
                    report.vanished.push(gone);
                }
            }
        }
        Ok(())
    }

    /// Downloads `file`, trying a lost connection or a 5xx again with backoff; also says how
    /// many times it tried again.
    async fn download(&self, file: &ConsentFile) -> (Result<SyncedFile, SyncError>, usize) {
        let mut attempt = 1;
        loop {
            match download_one(self, file).await {
                Err(SyncError::Download { source, .. })
                    if attempt < DOWNLOAD_ATTEMPTS && retryable(&source) =>
                {
                    tracing::debug!(attempt, error = %source, "consent file download failed; retrying");
                }
                Err(SyncError::Truncated { .. }) if attempt < DOWNLOAD_ATTEMPTS => {}
                other => return (other, (attempt - 1) as usize),
            }
            self.client.inner.wait_before_retry(attempt).await;
            attempt += 1;
        }
    }
}

/// What became of a pending file when its turn to download came.
enum Fetched {
    /// This run holds it: its download, how many times it was tried again, and when it ended.
    Downloaded(Result<SyncedFile, SyncError>, usize, tokio::time::Instant),
    /// Done (`done`), or held by another worker, by then.
    Skipped { done: bool },
}

/// The files a run claimed, or asked to claim without hearing the answer.
#[derive(Default)]
struct Claimed(std::sync::Mutex<HashSet<uuid::Uuid>>);

impl Claimed {
    /// The set (a poisoned lock still holds a usable one).
    fn ids(&self) -> std::sync::MutexGuard<'_, HashSet<uuid::Uuid>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn holds(&self, file: &ConsentFile) -> bool {
        self.ids().contains(&file.id)
    }

    fn add(&self, file: &ConsentFile) {
        self.ids().insert(file.id);
    }

    fn remove(&self, file: &ConsentFile) {
        self.ids().remove(&file.id);
    }
}

/// How one round of downloads ended: every file handled, or a signed URL expired.
enum Round {
    Finished,
    /// A signed URL expired; `early` if within [`EARLY_EXPIRY`] of its listing.
    UrlExpired {
        early: bool,
    },
}

/// Whether a download failure may pass on its own.
fn retryable(error: &DownloadError) -> bool {
    match error {
        DownloadError::Transport(_) | DownloadError::Stalled => true,
        DownloadError::Status(status) => crate::retry::is_retryable_status(*status),
        _ => false,
    }
}

/// Downloads into `dir` every consent file `client` lists that `dir`'s manifest does not
/// record, handing nothing to any handler: the files stay in `dir`.
pub async fn sync(
    client: &Client,
    dir: &Path,
    observer: &dyn SyncObserver,
) -> Result<SyncReport, SyncError> {
    Syncer::new(client, dir, store::DirStore::new(dir))
        .observer(observer)
        .run(|_| std::future::ready(Ok::<(), std::convert::Infallible>(())))
        .await
}

/// The most files a listing holds: a server listing more (a hostile one answering pages of
/// new files for ever) would otherwise fill the memory before the pages run out.
pub const MAX_LISTED_FILES: usize = crate::paginate::MAX_COLLECTED_ITEMS;

/// The most a listing's files may weigh, written as JSON: files of long URLs or names would
/// fill the memory long before [`MAX_LISTED_FILES`].
pub const MAX_LISTED_BYTES: usize = crate::paginate::MAX_COLLECTED_BYTES;

/// The longest identifier or request type a file may have: the documented ones are a few
/// letters, and each is recorded in the manifest with the file.
const MAX_TYPE_BYTES: usize = 64;

/// Every consent file, following the pagination cursor; a file listed twice counts once. More
/// than [`MAX_LISTED_FILES`] or [`MAX_LISTED_BYTES`], or a file with a type longer than 64
/// bytes, is [`SyncError::List`].
pub async fn list_all(client: &Client) -> Result<Vec<ConsentFile>, SyncError> {
    list_at_most(client, MAX_LISTED_FILES, MAX_LISTED_BYTES).await
}

/// [`list_all`], with more than `max` files or `max_bytes` an error.
async fn list_at_most(
    client: &Client,
    max: usize,
    max_bytes: usize,
) -> Result<Vec<ConsentFile>, SyncError> {
    use futures::TryStreamExt;
    let mut seen = HashSet::new();
    let files = client
        .list_consent_files()
        .limit(PAGE_SIZE)
        .stream()
        .try_filter(move |file| std::future::ready(seen.insert(file.id)))
        .and_then(|file| {
            let types = [file.identifier_type.as_str(), file.request_type.as_str()];
            std::future::ready(match types.iter().any(|t| t.len() > MAX_TYPE_BYTES) {
                true => Err(crate::Error::Other(format!(
                    "the API listed consent file {} with a type longer than {MAX_TYPE_BYTES} bytes",
                    file.id
                ))),
                false => Ok(file),
            })
        });
    crate::paginate::collect_at_most(files, max, max_bytes)
        .await
        .map_err(|e| SyncError::List(Box::new(e)))
}

/// Whether an expired URL may be refreshed: after `in_a_row` refreshes since a file was last
/// handled, the URLs listed `listed_for` ago, `early` early refreshes so far (see
/// [`EARLY_EXPIRY`]) and `handled` files handled in the run.
fn may_refresh(in_a_row: u32, listed_for: Duration, early: usize, handled: usize) -> bool {
    in_a_row < MAX_REFRESHES
        && (listed_for >= EARLY_EXPIRY
            || early < MAX_REFRESHES as usize + handled / FILES_PER_EARLY_REFRESH)
}

/// How long a sync waits for the directory's lock before it is [`SyncError::Busy`]: a lock
/// outlives its sync for a moment when a process forked then (its copy of the descriptor holds
/// the lock until the child execs), which must not fail the next sync.
const LOCK_WAIT: Duration = Duration::from_millis(250);

/// The directory's lock, held until dropped; [`SyncError::Busy`] if another sync holds it
/// for longer than [`LOCK_WAIT`].
async fn lock(dir: &Path) -> Result<std::fs::File, SyncError> {
    const STEP: Duration = Duration::from_millis(10);
    let path = dir.join(LOCK_NAME);
    let file = crate::file::no_follow(
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true),
    )
    .open(&path)
    .map_err(SyncError::io("opening", &path))?;
    let mut waited = Duration::ZERO;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if waited < LOCK_WAIT => {
                tokio::time::sleep(STEP).await;
                waited += STEP;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(SyncError::Busy {
                    dir: dir.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(SyncError::io("locking", &path)(e));
            }
        }
    }
}

/// Removes the temporary files an interrupted run left in `dir` (the caller holds the lock, so
/// no live sync owns any); returns how many.
fn remove_stale_temp_files(dir: &Path) -> Result<usize, SyncError> {
    let mut removed = 0;
    let entries = std::fs::read_dir(dir).map_err(SyncError::io("reading", dir))?;
    for entry in entries {
        let entry = entry.map_err(SyncError::io("reading", dir))?;
        let is_temp = entry.file_name().to_str().is_some_and(store::is_temp_name);
        if is_temp {
            std::fs::remove_file(entry.path()).map_err(SyncError::io("removing", &entry.path()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Downloads `file` into `dir` under its local name, through a unique temporary file.
/// A temporary file removed when dropped, unless taken out (once renamed into place). Best
/// effort: the next sync removes what is left.
struct PartialFile(Option<PathBuf>);

impl Drop for PartialFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn download_one<S>(
    sync: &Syncer<'_, S>,
    file: &ConsentFile,
) -> Result<SyncedFile, SyncError> {
    let (client, dir, observer) = (sync.client, sync.dir.as_path(), sync.observer);
    let limit = sync.max_file_bytes;
    let id = file.id.to_string();
    let name = local_name(&id, file.file_url.expose());
    let temp = store::temp_path(dir, &name);
    let mut body =
        client
            .download_consent_file(file)
            .await
            .map_err(|source| SyncError::Download {
                id: id.clone(),
                source,
            })?;
    let framing = body.framing();
    let expected = body.content_length();
    if expected.is_some_and(|announced| announced > limit) {
        return Err(SyncError::TooLarge { id, limit });
    }
    observer.started(&id, expected);
    // Removed unless renamed into place: on a failure, and when the download is dropped
    // mid-body (the round stopped to list again for fresh URLs, or the run ended).
    let mut partial = PartialFile(Some(temp.clone()));
    let written = write_body(&id, &mut body, &temp, limit, observer).await?;
    if !framing.proves_whole(written) {
        return Err(match expected {
            Some(expected) => SyncError::Truncated {
                id,
                received: written,
                expected,
            },
            None => SyncError::Unproven {
                id,
                received: written,
            },
        });
    }
    let target = dir.join(&name);
    tokio::fs::rename(&temp, &target)
        .await
        .map_err(SyncError::io("renaming into place", &target))?;
    partial.0 = None;
    store::sync_dir_async(dir)
        .await
        .map_err(SyncError::io("syncing", dir))?;
    Ok(SyncedFile {
        id,
        file: name,
        bytes: written,
        identifier_type: file.identifier_type.as_str().to_owned(),
        request_type: file.request_type.as_str().to_owned(),
        created_at: file.created_at,
        downloaded_at: chrono::Utc::now(),
    })
}

/// Writes the whole body to `path` chunk by chunk and fsyncs it; returns the bytes written.
/// Fails before writing past `limit` bytes.
async fn write_body(
    id: &str,
    body: &mut super::ConsentFileBody,
    path: &Path,
    limit: u64,
    observer: &dyn SyncObserver,
) -> Result<u64, SyncError> {
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(SyncError::io("creating", path))?;
    let mut written: u64 = 0;
    loop {
        let chunk = body.chunk().await.map_err(|source| SyncError::Download {
            id: id.to_owned(),
            source,
        })?;
        let Some(chunk) = chunk else { break };
        if written.saturating_add(chunk.len() as u64) > limit {
            return Err(SyncError::TooLarge {
                id: id.to_owned(),
                limit,
            });
        }
        out.write_all(&chunk)
            .await
            .map_err(SyncError::io("writing", path))?;
        written += chunk.len() as u64;
        observer.progressed(chunk.len() as u64);
    }
    out.flush().await.map_err(SyncError::io("writing", path))?;
    out.sync_all()
        .await
        .map_err(SyncError::io("syncing", path))?;
    Ok(written)
}

/// The local file name of consent file `id`: the ID plus the extension of the URL's file name
/// (`csv`, `gz`...), if it has a short alphanumeric one.
fn local_name(id: &str, url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let extension = last.rsplit_once('.').map(|(_, ext)| ext).filter(|ext| {
        !ext.is_empty() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric())
    });
    match extension {
        Some(ext) => format!("{id}.{ext}"),
        None => id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listing_without_end_is_refused_past_its_bound() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // Found by review: a server answering page after page of new files filled the memory.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let mut page = 0u32;
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut head = vec![0; 8192];
                let _ = stream.read(&mut head).await;
                page += 1;
                let file = |n: u32| {
                    serde_json::json!({
                        "id": format!("00000000-0000-4000-8000-{:012}", page * 10 + n),
                        "identifierType": "MUID", "requestType": "OPT_OUT",
                        "dataController": {"liverampControlled": true},
                        "fileURL": "http://127.0.0.1/f", "createdAt": "2026-11-01T00:00:00Z",
                    })
                };
                let body = serde_json::json!({
                    "v2/ConsentFiles": [file(1), file(2)],
                    "_pagination": {"after": format!("cursor-{page}")},
                })
                .to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        let client = Client::new_with_client(
            &base,
            crate::http::client().unwrap(),
            crate::transport::Transport::default(),
        );
        match list_at_most(&client, 5, usize::MAX).await {
            Err(SyncError::List(error)) => {
                assert!(error.to_string().contains("more than 5"), "{error}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            list_at_most(&client, 100, usize::MAX)
                .await
                .err()
                .map(|_| ()),
            Some(())
        );
        // Bytes too: each file here weighs some 250 bytes as JSON.
        match list_at_most(&client, usize::MAX, 2_000).await {
            Err(SyncError::List(error)) => {
                assert!(error.to_string().contains("2000 bytes"), "{error}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn local_names_keep_a_short_extension_only() {
        let id = "c0442751-d144-493d-a40c-a408588f929a";
        assert_eq!(
            local_name(id, "https://s.example.com/consent/c0442751.csv?X-Sig=a.b"),
            format!("{id}.csv")
        );
        assert_eq!(
            local_name(id, "https://s.example.com/f.csv.gz"),
            format!("{id}.gz")
        );
        assert_eq!(local_name(id, "https://s.example.com/f"), id);
        assert_eq!(local_name(id, "https://s.example.com/f.../../x"), id);
        assert_eq!(local_name(id, "https://s.example.com/f.a/b%2F"), id);
    }

    #[test]
    fn only_early_refreshes_are_bounded_per_run() {
        let (early, late) = (Duration::from_secs(5), EARLY_EXPIRY);
        // A long sync outliving its URLs refreshes as often as they expire.
        assert!(may_refresh(0, late, 0, 0));
        assert!(may_refresh(2, late, 1_000, 0));
        // Three in a row for one file, whatever their age.
        assert!(!may_refresh(3, late, 0, 0));
        // URLs that expire at once: three per run, one more per hundred files handled.
        assert!(may_refresh(0, early, 2, 0));
        assert!(!may_refresh(0, early, 3, 99));
        assert!(may_refresh(0, early, 3, 100));
        assert!(!may_refresh(0, early, 5, 250));
    }

    #[tokio::test]
    async fn a_second_lock_on_one_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).await.unwrap();
        assert!(matches!(
            lock(dir.path()).await,
            Err(SyncError::Busy { .. })
        ));
        drop(held);
        assert!(lock(dir.path()).await.is_ok());
    }

    #[tokio::test]
    async fn a_lock_released_a_moment_later_is_taken() {
        // Found in CI: a test process forking while a sync held the lock kept it a moment
        // after the sync ended, and the next sync failed as busy.
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).await.unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(held);
        });
        assert!(lock(dir.path()).await.is_ok());
        release.join().unwrap();
    }
}
