//! The library's consent sync: bodies recorded only when proven whole (each framing), the
//! handler's success gating the record, the crash windows between the steps, and the directory
//! lock.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::raw_tcp::{self, Act, RawServer};
use futures::future::BoxFuture;
use liveramp::consent::store::{Claim, DirStore, Manifest, StoreError, SyncStore, SyncedFile};
use liveramp::consent::sync::{ReceivedFile, SyncError, Syncer};

const FILE_ID: &str = "c0442751-d144-493d-a40c-a408588f929a";

/// A list answer naming one consent file whose signed URL is on `base_url`.
fn listing(base_url: &str) -> Act {
    let file = common::consent_file(
        FILE_ID,
        format!("{base_url}/files/{FILE_ID}.csv?sig=s3cr3t"),
    );
    let page = serde_json::json!({
        "v2/ConsentFiles": [file],
        "_pagination": {"after": null},
    });
    Act::Raw(raw_tcp::json(200, &page.to_string()))
}

fn body() -> Vec<u8> {
    (0..1_600).map(|i| b"0123456789abcdef\n"[i % 17]).collect()
}

/// A download answered whole with `Content-Length`.
fn whole() -> Act {
    Act::Raw(raw_tcp::answer(200, "text/csv", &body()))
}

/// Starts a server answering the listing, then `downloads` (the last one repeated).
async fn server(downloads: Vec<Act>) -> RawServer {
    let server = RawServer::start(vec![Act::Reset]).await;
    let mut acts = vec![listing(&server.base_url)];
    acts.extend(downloads);
    server.set(acts);
    server
}

fn client(server: &RawServer) -> liveramp::consent::Client {
    common::consent_client(&server.base_url)
}

/// A handler that records what it applied, and applies a file at most once (idempotent by ID).
#[derive(Clone, Default)]
struct Applier {
    applied: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Applier {
    fn handle(&self, file: ReceivedFile) -> BoxFuture<'static, Result<(), std::io::Error>> {
        let (applied, seen) = (self.applied.clone(), self.seen.clone());
        Box::pin(async move {
            let bytes = std::fs::read(&file.path)?;
            assert_eq!(bytes, body(), "the handler gets the whole body");
            seen.lock().unwrap().push(file.record.id.clone());
            let mut applied = applied.lock().unwrap();
            if !applied.contains(&file.record.id) {
                applied.push(file.record.id.clone());
            }
            Ok(())
        })
    }
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[tokio::test]
async fn a_body_is_recorded_only_when_its_framing_proves_it_whole() {
    let cut_length = {
        let mut raw = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\n\r\n",
            body().len() * 2
        )
        .into_bytes();
        raw.extend_from_slice(&body());
        Act::Raw(raw)
    };
    let cut_chunked = {
        let mut raw =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n"
                .to_vec();
        raw.extend_from_slice(format!("{:x}\r\n", body().len()).as_bytes());
        raw.extend_from_slice(&body());
        raw.extend_from_slice(b"\r\n");
        // No terminating `0` chunk: the connection just closes.
        Act::Raw(raw)
    };
    let close_delimited = {
        let mut raw =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\nconnection: close\r\n\r\n".to_vec();
        raw.extend_from_slice(&body());
        Act::Raw(raw)
    };
    // A transfer coding that names chunked but does not end with it is read to the close too.
    let not_last_chunked = |coding: &str| {
        let mut raw = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: {coding}\r\n\r\n"
        )
        .into_bytes();
        raw.extend_from_slice(&body());
        Act::Raw(raw)
    };
    for (case, act) in [
        ("content-length", cut_length),
        ("chunked", cut_chunked),
        ("close-delimited", close_delimited),
        (
            "close-delimited: chunked, identity",
            not_last_chunked("chunked, identity"),
        ),
        ("close-delimited: xchunked", not_last_chunked("xchunked")),
    ] {
        let server = server(vec![act]).await;
        let dir = tempfile::tempdir().unwrap();
        let applier = Applier::default();
        let clock = liveramp::retry::RecordingClock::default();
        let client = liveramp::consent::Client::new_with_client(
            &server.base_url,
            liveramp::http::client().unwrap(),
            common::transport_on(None, clock.clone(), liveramp::retry::RetryPolicy::default()),
        );
        let error = Syncer::new(&client, dir.path(), DirStore::new(dir.path()))
            .run(|file| applier.handle(file))
            .await
            .unwrap_err();
        if case == "content-length" {
            // Tried three times in all, after the policy's backoff on the transport's clock.
            assert_eq!(clock.sleeps().len(), 2, "{case}: {:?}", clock.sleeps());
        }
        assert!(
            matches!(
                error,
                SyncError::Truncated { .. }
                    | SyncError::Download { .. }
                    | SyncError::Unproven { .. }
            ),
            "{case}: {error:?}"
        );
        if case.starts_with("close-delimited") {
            // Nothing failed on the wire: only the framing says the body may be cut.
            assert!(
                matches!(
                    error,
                    SyncError::Unproven {
                        received: 1_600,
                        ..
                    }
                ),
                "{case}: {error:?}"
            );
        }
        assert!(!error.to_string().contains("s3cr3t"), "{case}: {error}");
        assert!(
            applier.seen.lock().unwrap().is_empty(),
            "{case}: nothing handed over"
        );
        assert!(
            Manifest::load(dir.path()).unwrap().files.is_empty(),
            "{case}"
        );
        assert!(
            names(dir.path()).iter().all(|n| !n.ends_with(".part")),
            "{case}: {:?}",
            names(dir.path())
        );
    }

    // A whole chunked body is proven by its terminating chunk.
    let mut chunked =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    chunked.extend_from_slice(format!("{:x}\r\n", body().len()).as_bytes());
    chunked.extend_from_slice(&body());
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let server = server(vec![Act::Raw(chunked)]).await;
    let dir = tempfile::tempdir().unwrap();
    let applier = Applier::default();
    let report = Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .run(|file| applier.handle(file))
        .await
        .unwrap();
    assert_eq!(report.downloaded.len(), 1);
    assert_eq!(*applier.applied.lock().unwrap(), [FILE_ID]);
}

/// A store that records nothing: a sync whose process dies right after the handler succeeded.
struct DiesBeforeTheRecord;

impl SyncStore for DiesBeforeTheRecord {
    fn claim<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async { Ok(Claim::Mine) })
    }

    fn complete<'a>(&'a self, _file: &'a SyncedFile) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err("killed before the record was written".into()) })
    }
}

/// A store that records every file but cannot tidy up at the end.
struct CannotFinish(DirStore);

impl SyncStore for CannotFinish {
    fn claim<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        self.0.claim(id)
    }

    fn complete<'a>(&'a self, file: &'a SyncedFile) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.complete(file)
    }

    fn finish(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Err("the journal could not be folded".into()) })
    }
}

#[tokio::test]
async fn a_store_that_cannot_finish_says_so_not_that_a_file_failed() {
    let server = server(vec![whole()]).await;
    let dir = tempfile::tempdir().unwrap();
    let applier = Applier::default();
    let store = CannotFinish(DirStore::new(dir.path()));
    let error = Syncer::new(&client(&server), dir.path(), store)
        .run(|file| applier.handle(file))
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Finish(_)), "{error:?}");
    assert!(
        error.to_string().contains("every file is recorded"),
        "{error}"
    );
    assert!(Manifest::load(dir.path()).unwrap().contains(FILE_ID));
}

#[tokio::test]
async fn a_crash_between_the_handler_and_the_record_hands_the_file_again_once() {
    let server = server(vec![whole()]).await;
    let dir = tempfile::tempdir().unwrap();
    let applier = Applier::default();
    let error = Syncer::new(&client(&server), dir.path(), DiesBeforeTheRecord)
        .run(|file| applier.handle(file))
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Store { .. }), "{error:?}");
    // A torn manifest write leaves its temporary file behind, never a torn manifest.
    std::fs::write(
        dir.path()
            .join(".liveramp-sync-consent-manifest.json.1-0000000000000000.part"),
        b"{\"version\": 1, \"fi",
    )
    .unwrap();

    server.set(vec![listing(&server.base_url), whole()]);
    let report = Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .run(|file| applier.handle(file))
        .await
        .unwrap();
    assert_eq!(report.stale_temp_files_removed, 1);
    assert_eq!(
        *applier.seen.lock().unwrap(),
        [FILE_ID, FILE_ID],
        "handed again"
    );
    assert_eq!(*applier.applied.lock().unwrap(), [FILE_ID], "applied once");
    assert!(Manifest::load(dir.path()).unwrap().contains(FILE_ID));

    // Recorded now: a third run hands nothing.
    server.set(vec![listing(&server.base_url), whole()]);
    let report = Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .run(|file| applier.handle(file))
        .await
        .unwrap();
    assert_eq!((report.downloaded.len(), report.already_synced), (0, 1));
    assert_eq!(applier.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_file_handed_over_or_listed_never_shows_its_signed_url() {
    // Found by review: the generated `ConsentFile` derived `Debug` with the URL in it.
    let server = server(vec![whole()]).await;
    let dir = tempfile::tempdir().unwrap();
    let shown = Arc::new(Mutex::new(Vec::new()));
    let seen = shown.clone();
    Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .run(|file| {
            seen.lock().unwrap().push(format!("{file:?}"));
            async { Ok::<(), std::io::Error>(()) }
        })
        .await
        .unwrap();
    server.set(vec![listing(&server.base_url)]);
    let page = client(&server).list_consent_files().send().await.unwrap();
    shown.lock().unwrap().push(format!("{page:?}"));
    let shown = shown.lock().unwrap();
    assert_eq!(shown.len(), 2);
    for text in shown.iter() {
        assert!(text.contains(FILE_ID), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}

#[tokio::test]
async fn a_failed_handler_leaves_the_file_unrecorded_for_the_next_run() {
    let server = server(vec![whole()]).await;
    let dir = tempfile::tempdir().unwrap();
    let error = Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .run(|_| async { Err::<(), _>(std::io::Error::other("database down")) })
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Handler { .. }), "{error:?}");
    assert!(Manifest::load(dir.path()).unwrap().files.is_empty());
    server.set(vec![listing(&server.base_url), whole()]);
    let applier = Applier::default();
    let report = Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .run(|file| applier.handle(file))
        .await
        .unwrap();
    assert_eq!(report.downloaded.len(), 1);
    assert_eq!(*applier.applied.lock().unwrap(), [FILE_ID]);
}

#[tokio::test]
async fn a_second_sync_on_the_same_directory_is_refused_while_the_first_runs() {
    // The first sync's download stalls; the second starts meanwhile.
    let mut stalled =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: 3200\r\n\r\n".to_vec();
    stalled.extend_from_slice(&body());
    let server = server(vec![Act::Late(std::time::Duration::from_secs(2), stalled)]).await;
    let dir = tempfile::tempdir().unwrap();
    let first_client = client(&server);
    let first = Syncer::new(&first_client, dir.path(), DirStore::new(dir.path()))
        .run(|_| async { Ok::<(), std::io::Error>(()) });
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let second_client = client(&server);
        Syncer::new(&second_client, dir.path(), DirStore::new(dir.path()))
            .run(|_| async { Ok::<(), std::io::Error>(()) })
            .await
    };
    let (_, second) = tokio::join!(first, second);
    let error = second.unwrap_err();
    assert!(matches!(error, SyncError::Busy { .. }), "{error:?}");
    assert!(
        error.to_string().contains("another consent sync"),
        "{error}"
    );
}

#[tokio::test]
async fn a_download_dropped_mid_body_leaves_no_temporary_file() {
    // Found by review: a download dropped mid-body (its round stopped to list again for fresh
    // URLs, or the run was dropped) left its temporary file until the next sync.
    let mut stalled =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: 3200\r\n\r\n".to_vec();
    stalled.extend_from_slice(&body()[..100]);
    let server = RawServer::start(vec![Act::Reset]).await;
    let (list, _) = listing_of(&server.base_url, 1);
    server.set(vec![
        list,
        Act::Stall(stalled, std::time::Duration::from_secs(30)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let consent = client(&server);
    let mut run = Box::pin(
        Syncer::new(&consent, dir.path(), DirStore::new(dir.path()))
            .run(|_| async { Ok::<(), std::io::Error>(()) }),
    );
    let temporary = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().contains(".part"))
            .count()
    };
    // Until the body has started to arrive, then no further.
    let waited = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            tokio::select! {
                _ = &mut run => panic!("the sync ended"),
                _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
            }
            if temporary() > 0 {
                break;
            }
        }
    })
    .await;
    assert!(waited.is_ok(), "the download started");
    drop(run);
    assert_eq!(temporary(), 0);
}

#[tokio::test]
async fn a_listed_file_with_a_type_too_long_to_record_is_refused() {
    // Found by review: types of any length went into every manifest line, and a manifest
    // grown past its read bound failed every later sync.
    let server = RawServer::start(vec![Act::Reset]).await;
    let mut file = common::consent_file(FILE_ID, format!("{}/f.csv", server.base_url));
    file["identifierType"] = "X".repeat(65).into();
    let page = serde_json::json!({"v2/ConsentFiles": [file], "_pagination": {"after": null}});
    server.set(vec![Act::Raw(raw_tcp::json(200, &page.to_string()))]);
    let dir = tempfile::tempdir().unwrap();
    let error = Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .run(|_| async { Ok::<(), std::io::Error>(()) })
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::List(_)), "{error:?}");
    assert!(Manifest::load(dir.path()).unwrap().files.is_empty());
}

/// A list answer naming `count` consent files on `base_url`, their IDs in listing order.
fn listing_of(base_url: &str, count: usize) -> (Act, Vec<String>) {
    let ids: Vec<String> = (0..count)
        .map(|i| format!("c0442751-d144-493d-a40c-{i:012}"))
        .collect();
    let files: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| common::consent_file(id, format!("{base_url}/files/{id}.csv?sig=s3cr3t")))
        .collect();
    let page = serde_json::json!({"v2/ConsentFiles": files, "_pagination": {"after": null}});
    (Act::Raw(raw_tcp::json(200, &page.to_string())), ids)
}

/// Downloads run `downloads_in_flight` at a time (each body here takes 300 ms to come), and
/// the handler still gets the files one by one in listing order.
#[tokio::test]
async fn downloads_run_several_at_once_and_the_handler_gets_files_in_order() {
    for in_flight in [1, 4] {
        let server = RawServer::start(vec![Act::Reset]).await;
        let (list, ids) = listing_of(&server.base_url, 8);
        let late = Act::Late(
            std::time::Duration::from_millis(300),
            raw_tcp::answer(200, "text/csv", &body()),
        );
        server.set(vec![list, late]);
        let dir = tempfile::tempdir().unwrap();
        let applier = Applier::default();
        let report = Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
            .downloads_in_flight(in_flight)
            .run(|file| applier.handle(file))
            .await
            .unwrap();
        assert_eq!(report.downloaded.len(), 8);
        assert_eq!(*applier.seen.lock().unwrap(), ids, "in listing order");
        assert_eq!(server.most_at_once(), in_flight, "downloads at once");
    }
}

/// Syncs the `files` files the server lists, each answered with `body`, two downloads in flight;
/// the handler holds the first file until `ready(server)` holds, failing with `stalled` if it
/// does not within `within`. Returns the server.
async fn sync_holding_the_first_file(
    files: usize,
    body: &[u8],
    within: Duration,
    ready: impl Fn(&RawServer) -> bool,
    stalled: &str,
) -> RawServer {
    let server = RawServer::start(vec![Act::Reset]).await;
    let (list, _) = listing_of(&server.base_url, files);
    server.set(vec![list, Act::Raw(raw_tcp::answer(200, "text/csv", body))]);
    let dir = tempfile::tempdir().unwrap();
    let first = std::sync::atomic::AtomicBool::new(true);
    let (server_ref, ready) = (&server, &ready);
    Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .downloads_in_flight(2)
        .run(|_| {
            let first = first.swap(false, std::sync::atomic::Ordering::SeqCst);
            async move {
                if first {
                    let waited = tokio::time::timeout(within, async {
                        while !ready(server_ref) {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    })
                    .await;
                    assert!(waited.is_ok(), "{stalled}");
                }
                Ok::<(), std::io::Error>(())
            }
        })
        .await
        .unwrap();
    server
}

/// Downloads go on while the handler runs: with two in flight, the third file's download starts
/// while the handler still holds the first file.
#[tokio::test]
async fn downloads_go_on_while_the_handler_runs() {
    // The listing and three downloads, the third begun after the first file came.
    let server = sync_holding_the_first_file(
        4,
        &body(),
        Duration::from_secs(10),
        |server| server.hits() >= 4,
        "no download started while the handler ran",
    )
    .await;
    assert_eq!(server.hits(), 5);
}

/// Downloads ahead of the handler are read to their end while it holds a file, not paused
/// mid-body: with two in flight and bodies far larger than the socket buffers, every download
/// begun while the handler holds the first file (the three more its `2 * n` bound allows) is
/// written whole by the server before the handler lets the first go. (16 MiB is more than
/// loopback's socket buffers hold by default, so a paused download cannot be written whole.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_ahead_are_read_whole_while_the_handler_holds_a_file() {
    const LARGE: usize = 16 * 1024 * 1024;
    let large: Vec<u8> = (0..LARGE).map(|i| b"0123456789abcdef\n"[i % 17]).collect();
    // The listing and four downloads arrived, and no answer is still being written.
    sync_holding_the_first_file(
        6,
        &large,
        Duration::from_secs(20),
        |server| server.hits() >= 5 && server.answering() == 0,
        "downloads ahead stalled mid-body while the handler held a file",
    )
    .await;
}

/// A store that grants every claim and records what is claimed, completed and given back.
#[derive(Default, Clone)]
struct Releases {
    claimed: Arc<Mutex<BTreeSet<String>>>,
    completed: Arc<Mutex<BTreeSet<String>>>,
    released: Arc<Mutex<BTreeSet<String>>>,
}

impl SyncStore for Releases {
    fn claim<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        self.claimed.lock().unwrap().insert(id.to_owned());
        Box::pin(async { Ok(Claim::Mine) })
    }

    fn complete<'a>(&'a self, file: &'a SyncedFile) -> BoxFuture<'a, Result<(), StoreError>> {
        self.completed.lock().unwrap().insert(file.id.clone());
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.released.lock().unwrap().insert(id.to_owned());
        Box::pin(async { Ok(()) })
    }
}

/// When the run stops, every file it claimed but did not handle is given back, not only the
/// one that failed: another worker of a shared store can take them at once.
#[tokio::test]
async fn a_failed_run_gives_back_every_claim_it_did_not_finish() {
    let server = RawServer::start(vec![Act::Reset]).await;
    let (list, ids) = listing_of(&server.base_url, 5);
    server.set(vec![
        list,
        Act::Raw(raw_tcp::answer(200, "text/csv", &body())),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let store = Releases::default();
    let seen = store.clone();
    let handled = std::sync::atomic::AtomicUsize::new(0);
    let error = Syncer::new(&client(&server), dir.path(), store)
        .run(|_| {
            let n = handled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::future::ready(if n == 1 {
                Err(std::io::Error::other("the second file fails"))
            } else {
                Ok(())
            })
        })
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Handler { .. }), "{error:?}");
    // Which files were claimed ahead of the failure depends on the downloads' pace; whatever
    // they were, each is completed or given back, and the one that failed is given back.
    let (claimed, completed, released) = (
        seen.claimed.lock().unwrap().clone(),
        seen.completed.lock().unwrap().clone(),
        seen.released.lock().unwrap().clone(),
    );
    assert_eq!(completed, BTreeSet::from([ids[0].clone()]));
    assert!(released.contains(&ids[1]), "{released:?}");
    assert_eq!(
        claimed
            .difference(&completed)
            .cloned()
            .collect::<BTreeSet<_>>(),
        released,
        "{claimed:?} {completed:?}"
    );
}

#[test]
fn a_manifest_too_large_or_not_a_file_is_refused_without_reading_it() {
    // Found by review: the snapshot and the journal were read whole, and a FIFO in their place
    // blocked the sync for ever.
    use liveramp::consent::store::{JOURNAL_NAME, MANIFEST_NAME, MAX_MANIFEST_BYTES};
    let dir = tempfile::tempdir().unwrap();
    let journal = std::fs::File::create(dir.path().join(JOURNAL_NAME)).unwrap();
    journal.set_len(MAX_MANIFEST_BYTES + 1).unwrap();
    let error = Manifest::load(dir.path()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::FileTooLarge, "{error}");
    assert!(error.to_string().contains(JOURNAL_NAME), "{error}");

    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join(MANIFEST_NAME))
        .status()
        .unwrap();
    assert!(made.success());
    // On a thread of its own: a read of the FIFO would block for ever, and fail here instead.
    let path = dir.path().to_owned();
    let (sent, loaded) = std::sync::mpsc::channel();
    std::thread::spawn(move || sent.send(Manifest::load(&path)));
    let error = loaded
        .recv_timeout(Duration::from_secs(10))
        .expect("the manifest is refused without waiting for a writer")
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
    assert!(error.to_string().contains(MANIFEST_NAME), "{error}");
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_refused_and_nothing_of_it_is_kept() {
    // Found by review: a body that never ended was written until the disk was full.
    let limit = body().len() as u64 - 1;
    let chunked = {
        let mut raw =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n"
                .to_vec();
        for part in body().chunks(100) {
            raw.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            raw.extend_from_slice(part);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        Act::Raw(raw)
    };
    for (case, act) in [("announced", whole()), ("chunked", chunked)] {
        let server = server(vec![act]).await;
        let dir = tempfile::tempdir().unwrap();
        let applier = Applier::default();
        let error = Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
            .max_file_bytes(limit)
            .run(|file| applier.handle(file))
            .await
            .unwrap_err();
        match &error {
            SyncError::TooLarge { id, limit: l, .. } => {
                assert_eq!((id.as_str(), *l), (FILE_ID, limit), "{case}")
            }
            other => panic!("{case}: {other:?}"),
        }
        assert!(applier.seen.lock().unwrap().is_empty(), "{case}");
        let left: Vec<String> = names(dir.path())
            .into_iter()
            .filter(|name| !name.starts_with("consent-manifest") && !name.ends_with(".lock"))
            .collect();
        assert!(left.is_empty(), "{case}: {left:?}");
    }
    // At the limit, the file is taken.
    let server = server(vec![whole()]).await;
    let dir = tempfile::tempdir().unwrap();
    let applier = Applier::default();
    Syncer::new(&client(&server), dir.path(), DirStore::new(dir.path()))
        .max_file_bytes(limit + 1)
        .run(|file| applier.handle(file))
        .await
        .unwrap();
    assert_eq!(*applier.applied.lock().unwrap(), [FILE_ID]);
}

#[tokio::test]
async fn a_remote_api_cannot_send_the_download_into_the_local_machine() {
    // Found by review: any API answer could point a signed URL at a loopback service.
    let local = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    local.set_nonblocking(true).unwrap();
    let port = local.local_addr().unwrap().port();
    let file: liveramp::consent::types::ConsentFile = serde_json::from_value(common::consent_file(
        FILE_ID,
        format!("http://127.0.0.1:{port}/admin?sig=s3cr3t"),
    ))
    .unwrap();
    let remote = common::consent_client("https://consent.example.com");
    // Bounded: a download that connected would wait on the silent listener for hours.
    let error = tokio::time::timeout(Duration::from_secs(5), remote.download_consent_file(&file))
        .await
        .expect("refused at once, without connecting")
        .unwrap_err();
    assert!(
        matches!(error, liveramp::consent::DownloadError::LocalUrl),
        "{error:?}"
    );
    assert!(!error.to_string().contains("s3cr3t"), "{error}");
    // Found by review: the same machine written otherwise passed the check.
    for host in ["0.0.0.0", "[::]", "[::ffff:127.0.0.1]", "localhost."] {
        let file: liveramp::consent::types::ConsentFile = serde_json::from_value(
            common::consent_file(FILE_ID, format!("https://{host}:{port}/admin?sig=s3cr3t")),
        )
        .unwrap();
        let error =
            tokio::time::timeout(Duration::from_secs(5), remote.download_consent_file(&file))
                .await
                .expect("refused at once, without connecting")
                .unwrap_err();
        assert!(
            matches!(error, liveramp::consent::DownloadError::LocalUrl),
            "{host}: {error:?}"
        );
    }
    let accepted = local.accept();
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "nothing may connect: {accepted:?}"
    );
}

#[tokio::test]
async fn a_server_that_expires_every_listing_cannot_make_the_sync_list_once_per_file() {
    // Found by review: the refresh count started again after each handled file, so a server
    // whose URLs each served one download made the sync list every file once per file.
    const FILES: usize = 12;
    let listings = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let served = Arc::new(Mutex::new(BTreeSet::new()));
    let (counted, used) = (listings.clone(), served.clone());
    let server = raw_tcp::KeepAliveServer::start(Arc::new(move |_, head: &str| {
        let host = raw_tcp::request_host(head);
        if head.starts_with("GET /v2/consent-files") {
            let listing = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let files: Vec<_> = (0..FILES)
                .map(|i| {
                    let id = format!("c0442751-d144-493d-a40c-a408588f92{i:02}");
                    common::consent_file(
                        &id,
                        format!("http://{host}/files/{id}.csv?listing={listing}"),
                    )
                })
                .collect();
            let page =
                serde_json::json!({"v2/ConsentFiles": files, "_pagination": {"after": null}});
            return (200, vec![], page.to_string());
        }
        // Each listing's URLs serve one download, the newest listing's only.
        let listing = head
            .split_once("?listing=")
            .and_then(|(_, rest)| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok());
        let current = counted.load(std::sync::atomic::Ordering::SeqCst);
        if listing == Some(current) && used.lock().unwrap().insert(current) {
            return (200, vec![], "0123456789\n".repeat(10));
        }
        (403, vec![], String::new())
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let client = common::consent_client(&server.base_url);
    // One download at a time: each listing's one download is the file the handler waits for.
    let error = Syncer::new(&client, dir.path(), DirStore::new(dir.path()))
        .downloads_in_flight(1)
        .run(|_| async { Ok::<(), std::io::Error>(()) })
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Download { .. }), "{error:?}");
    let listed = listings.load(std::sync::atomic::Ordering::SeqCst);
    assert!(listed <= 4, "{listed} listings for {FILES} files");
    // What was handled is recorded: the next run starts from there.
    let recorded = Manifest::load(dir.path()).unwrap().files.len();
    assert!((1..FILES).contains(&recorded), "{recorded}");
}
