//! The consent sync engine against a fake Consent Files server: exactly once, resume after a
//! cut download, stale temporary files, expired signed URLs.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;

use liveramp::consent::DirStore;
use liveramp::consent::store::{MANIFEST_NAME, Manifest};
use liveramp::consent::sync::{LOCK_NAME, Quiet, SyncError, SyncObserver, SyncReport, Syncer};
use support::{FakeConsent, Fault};

/// `consent::sync::sync`, one file at a time: these tests count each file's downloads exactly,
/// which downloads running ahead of a failure would change (the last test runs them at once).
async fn sync(
    client: &liveramp::consent::Client,
    dir: &Path,
    observer: &dyn SyncObserver,
) -> Result<SyncReport, SyncError> {
    Syncer::new(client, dir, DirStore::new(dir))
        .observer(observer)
        .downloads_in_flight(1)
        .run(|_| std::future::ready(Ok::<(), std::convert::Infallible>(())))
        .await
}

fn client(fake: &FakeConsent) -> liveramp::consent::Client {
    liveramp::consent::Client::new_with_client(
        &fake.url(),
        liveramp::http::client().unwrap(),
        liveramp::transport::Transport::builder().build(),
    )
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// Every file of `fake` is in `dir` with its exact body, once, and recorded; nothing else is.
fn assert_complete(fake: &FakeConsent, dir: &Path) {
    let manifest = Manifest::load(dir).unwrap();
    let mut expected: BTreeSet<String> = [MANIFEST_NAME.to_owned(), LOCK_NAME.to_owned()].into();
    for file in fake.files() {
        let name = format!("{}.csv", file.id);
        let entry = &manifest.files[&file.id];
        assert_eq!(entry.file, name);
        assert_eq!(entry.bytes, file.body.len() as u64);
        assert_eq!(std::fs::read(dir.join(&name)).unwrap(), file.body, "{name}");
        expected.insert(name);
    }
    assert_eq!(manifest.files.len(), fake.files().len());
    assert_eq!(names(dir), expected);
}

#[tokio::test]
async fn every_file_is_downloaded_once_across_pages_and_a_rerun_downloads_nothing() {
    let fake = FakeConsent::start(5, 200_000, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("consent");
    let report = sync(&client(&fake), &target, &Quiet).await.unwrap();
    assert_eq!(report.listed, 5);
    assert_eq!(report.downloaded.len(), 5);
    assert_eq!(report.already_synced, 0);
    assert_eq!(fake.lists(), 3, "5 files at 2 per page");
    assert_complete(&fake, &target);

    let again = sync(&client(&fake), &target, &Quiet).await.unwrap();
    assert_eq!(again.downloaded.len(), 0);
    assert_eq!(again.already_synced, 5);
    for i in 0..5 {
        assert_eq!(fake.downloads(i), 1, "file {i}");
    }
    assert_complete(&fake, &target);
}

#[tokio::test]
async fn a_download_cut_once_is_tried_again_within_the_run() {
    let fake = FakeConsent::start(4, 300_000, 10).await;
    fake.fault(2, Fault::CutAfter(100_000));
    let dir = tempfile::tempdir().unwrap();
    let report = sync(&client(&fake), dir.path(), &Quiet).await.unwrap();
    assert_eq!(report.download_retries, 1);
    assert_eq!(report.downloaded.len(), 4);
    assert_complete(&fake, dir.path());
    assert_eq!(fake.downloads(2), 2);
}

#[tokio::test]
async fn a_download_cut_every_time_fails_and_the_rerun_finishes_without_partial_files() {
    let fake = FakeConsent::start(4, 300_000, 10).await;
    fake.fault_always(2, Fault::CutAfter(100_000));
    let dir = tempfile::tempdir().unwrap();

    let error = sync(&client(&fake), dir.path(), &Quiet).await.unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::Download { .. } | SyncError::Truncated { .. }
        ),
        "{error:?}"
    );
    let cut = &fake.files()[2];
    assert!(error.to_string().contains(&cut.id), "{error}");
    let manifest = Manifest::load(dir.path()).unwrap();
    assert_eq!(
        manifest.files.len(),
        2,
        "the files before the cut are recorded"
    );
    assert!(!manifest.contains(&cut.id));
    assert!(
        names(dir.path())
            .iter()
            .all(|n| !n.starts_with('.') || n == LOCK_NAME),
        "no partial file left: {:?}",
        names(dir.path())
    );

    fake.heal(2);
    let report = sync(&client(&fake), dir.path(), &Quiet).await.unwrap();
    assert_eq!(report.already_synced, 2);
    assert_eq!(report.downloaded.len(), 2);
    assert_complete(&fake, dir.path());
    assert_eq!([0, 1, 3].map(|i| fake.downloads(i)), [1, 1, 1]);
    assert_eq!(
        fake.downloads(2),
        4,
        "three cut attempts in the first run and the complete one"
    );
}

#[tokio::test]
async fn temporary_files_of_a_killed_run_are_removed() {
    let fake = FakeConsent::start(1, 10, 10).await;
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join(".liveramp-sync-0000.csv.part");
    std::fs::write(&stale, b"half a body").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();

    let report = sync(&client(&fake), dir.path(), &Quiet).await.unwrap();
    assert_eq!(report.stale_temp_files_removed, 1);
    assert!(!stale.exists());
    assert!(
        dir.path().join("notes.txt").exists(),
        "other files are left alone"
    );
}

#[tokio::test]
async fn an_expired_signed_url_is_refreshed_by_listing_again() {
    let fake = FakeConsent::start(3, 1_000, 10).await;
    fake.fault(1, Fault::Expire);
    let dir = tempfile::tempdir().unwrap();

    let report = sync(&client(&fake), dir.path(), &Quiet).await.unwrap();
    assert_eq!(report.url_refreshes, 1);
    assert_eq!(fake.lists(), 2);
    assert_eq!(fake.refused(1), 1);
    assert_eq!([0, 1, 2].map(|i| fake.downloads(i)), [1, 1, 1]);
    assert_complete(&fake, dir.path());
}

#[tokio::test]
async fn a_listing_error_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let refused = support::server::RefusedPort::bind();
    let client = liveramp::consent::Client::new_with_client(
        &format!("http://127.0.0.1:{}", refused.port),
        liveramp::http::client().unwrap(),
        liveramp::transport::Transport::builder().build(),
    );
    let error = sync(&client, dir.path(), &Quiet).await.unwrap_err();
    assert!(matches!(error, SyncError::List(_)), "{error:?}");
}

/// With the default downloads in flight, a file cut every time still stops the run at that
/// file with the files before it recorded and no partial file; files downloaded ahead of it
/// are downloaded again by the rerun (at most once more), which finishes every file.
#[tokio::test]
async fn with_downloads_at_once_a_cut_file_stops_the_run_and_the_rerun_finishes() {
    let fake = FakeConsent::start(6, 300_000, 10).await;
    fake.fault_always(2, Fault::CutAfter(100_000));
    let dir = tempfile::tempdir().unwrap();
    let client = client(&fake);
    let run = || {
        Syncer::new(&client, dir.path(), DirStore::new(dir.path()))
            .run(|_| std::future::ready(Ok::<(), std::convert::Infallible>(())))
    };

    let error = run().await.unwrap_err();
    let cut = &fake.files()[2];
    assert!(error.to_string().contains(&cut.id), "{error}");
    let manifest = Manifest::load(dir.path()).unwrap();
    assert_eq!(manifest.files.len(), 2, "the files before the cut");
    assert!(
        names(dir.path())
            .iter()
            .all(|n| !n.starts_with('.') || n == LOCK_NAME),
        "no partial file left: {:?}",
        names(dir.path())
    );

    fake.heal(2);
    let report = run().await.unwrap();
    assert_eq!(report.downloaded.len(), 4);
    assert_complete(&fake, dir.path());
    assert_eq!([0, 1].map(|i| fake.downloads(i)), [1, 1]);
    for i in 3..6 {
        assert!((1..=2).contains(&fake.downloads(i)), "file {i}");
    }
}
