//! `consent sync`: downloads every consent file into a directory exactly once.
//!
//! Each file is streamed to a temporary file in the directory, fsynced, renamed into place and
//! then recorded in the manifest (itself written atomically). A rerun skips recorded files and
//! removes temporary files a killed run left behind, so an interrupted sync resumes. A signed URL
//! that expired (403) is refreshed by listing the files again. Bodies are written chunk by
//! chunk: memory stays flat whatever the file size.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use liveramp::consent::types::ConsentFile;
use liveramp::consent::{Client, DownloadError};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::manifest::{self, Manifest, ManifestEntry};

/// How many files one list call asks for.
const PAGE_SIZE: u32 = 100;
/// How many times in a row one file's signed URL is refreshed before the sync gives up.
const MAX_REFRESHES: u32 = 3;

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// The directory synced into.
    pub dir: PathBuf,
    /// How many files the API listed.
    pub listed: usize,
    /// The files downloaded by this run.
    pub downloaded: Vec<ManifestEntry>,
    /// How many listed files an earlier run had already downloaded.
    pub already_synced: usize,
    /// How many temporary files of an interrupted run were removed.
    pub stale_temp_files_removed: usize,
    /// How many times the files were listed again for fresh signed URLs.
    pub url_refreshes: usize,
    /// Files that disappeared from the listing before they could be downloaded.
    pub vanished: Vec<String>,
}

/// Why a sync stopped. Files downloaded before the failure stay recorded.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Listing the consent files failed.
    #[error("listing the consent files failed")]
    List(#[source] Box<liveramp::Error>),
    /// Downloading one file failed.
    #[error("downloading consent file {id} failed")]
    Download {
        /// The consent file's ID.
        id: String,
        /// What went wrong.
        #[source]
        source: DownloadError,
    },
    /// The body ended before the announced length.
    #[error("consent file {id} ended after {received} of {expected} bytes")]
    Truncated {
        /// The consent file's ID.
        id: String,
        /// The bytes received.
        received: u64,
        /// The bytes announced.
        expected: u64,
    },
    /// A local file operation failed.
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
}

/// Hears about a sync's progress, to draw it.
pub trait SyncObserver {
    /// The listing is done: `total` files, of which `pending` are to download.
    fn listed(&self, total: usize, pending: usize) {
        let _ = (total, pending);
    }
    /// A file's body started arriving; `bytes` is its announced size.
    fn started(&self, id: &str, bytes: Option<u64>) {
        let _ = (id, bytes);
    }
    /// `bytes` more bytes of the current file were written.
    fn progressed(&self, bytes: u64) {
        let _ = bytes;
    }
    /// A file was downloaded and recorded.
    fn finished(&self, entry: &ManifestEntry) {
        let _ = entry;
    }
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl SyncObserver for Quiet {}

/// Downloads into `dir` every consent file `client` lists that `dir`'s manifest does not record.
pub async fn sync(
    client: &Client,
    dir: &Path,
    observer: &dyn SyncObserver,
) -> Result<SyncReport, SyncError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(SyncError::io("creating", dir))?;
    let mut report = SyncReport {
        dir: dir.to_path_buf(),
        stale_temp_files_removed: remove_stale_temp_files(dir)?,
        ..SyncReport::default()
    };
    let mut manifest =
        Manifest::load(dir).map_err(SyncError::io("reading the manifest in", dir))?;

    let listed = list_all(client).await?;
    report.listed = listed.len();
    let mut pending: Vec<ConsentFile> = listed
        .into_iter()
        .filter(|file| !manifest.contains(&file.id.to_string()))
        .collect();
    report.already_synced = report.listed - pending.len();
    observer.listed(report.listed, pending.len());

    let mut next = 0;
    let mut refreshes = 0;
    while let Some(file) = pending.get(next) {
        match download_one(client, dir, file, observer).await {
            Ok(entry) => {
                manifest
                    .record(dir, entry.clone())
                    .map_err(SyncError::io("writing the manifest in", dir))?;
                observer.finished(&entry);
                report.downloaded.push(entry);
                next += 1;
                refreshes = 0;
            }
            Err(SyncError::Download { source, .. })
                if source.is_expired_url() && refreshes < MAX_REFRESHES =>
            {
                refreshes += 1;
                report.url_refreshes += 1;
                let fresh: HashMap<_, _> = list_all(client)
                    .await?
                    .into_iter()
                    .map(|file| (file.id, file))
                    .collect();
                let rest = pending.split_off(next);
                for file in rest {
                    match fresh.get(&file.id) {
                        Some(renewed) => pending.push(renewed.clone()),
                        None => report.vanished.push(file.id.to_string()),
                    }
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(report)
}

/// Every consent file, following the pagination cursor; a file listed twice counts once.
pub async fn list_all(client: &Client) -> Result<Vec<ConsentFile>, SyncError> {
    use futures::TryStreamExt;
    let mut seen = HashSet::new();
    client
        .list_consent_files()
        .limit(PAGE_SIZE)
        .stream()
        .try_filter(|file| std::future::ready(seen.insert(file.id)))
        .try_collect()
        .await
        .map_err(|e| SyncError::List(Box::new(e)))
}

/// Removes the temporary files an interrupted run left in `dir`; returns how many.
fn remove_stale_temp_files(dir: &Path) -> Result<usize, SyncError> {
    let mut removed = 0;
    let entries = std::fs::read_dir(dir).map_err(SyncError::io("reading", dir))?;
    for entry in entries {
        let entry = entry.map_err(SyncError::io("reading", dir))?;
        let is_temp = entry
            .file_name()
            .to_str()
            .is_some_and(manifest::is_temp_name);
        if is_temp {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(SyncError::io("removing", &path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Streams `file` into a temporary file, fsyncs it and renames it into place.
async fn download_one(
    client: &Client,
    dir: &Path,
    file: &ConsentFile,
    observer: &dyn SyncObserver,
) -> Result<ManifestEntry, SyncError> {
    let id = file.id.to_string();
    let name = local_name(&id, &file.file_url);
    let temp = manifest::temp_path(dir, &name);
    let mut body =
        client
            .download_consent_file(file)
            .await
            .map_err(|source| SyncError::Download {
                id: id.clone(),
                source,
            })?;
    let expected = body.content_length();
    observer.started(&id, expected);
    let written = match write_body(&id, &mut body, &temp, observer).await {
        Ok(written) => written,
        Err(error) => {
            // Best effort: a rerun removes it anyway.
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(error);
        }
    };
    if let Some(expected) = expected.filter(|&expected| expected != written) {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(SyncError::Truncated {
            id,
            received: written,
            expected,
        });
    }
    let target = dir.join(&name);
    tokio::fs::rename(&temp, &target)
        .await
        .map_err(SyncError::io("renaming into place", &target))?;
    manifest::sync_dir(dir).map_err(SyncError::io("syncing", dir))?;
    Ok(ManifestEntry {
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
async fn write_body(
    id: &str,
    body: &mut liveramp::consent::ConsentFileBody,
    path: &Path,
    observer: &dyn SyncObserver,
) -> Result<u64, SyncError> {
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(SyncError::io("creating", path))?;
    let mut written = 0;
    loop {
        let chunk = body.chunk().await.map_err(|source| SyncError::Download {
            id: id.to_owned(),
            source,
        })?;
        let Some(chunk) = chunk else { break };
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
}
