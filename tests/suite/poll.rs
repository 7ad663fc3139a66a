//! The generic poller, driven by a paused tokio clock and a scripted fake operation.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use liveramp::poll::{ErrorClass, PollConfig, PollError, PollEvent, PollState, Poller};
use tokio::time::Instant;

/// One scripted answer of the fake operation.
#[derive(Clone, Debug)]
enum Reply {
    Pending(&'static str),
    Done(u32),
    Failed(&'static str),
    Unavailable(Option<Duration>),
    Fatal,
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("fake error (retry after {retry_after:?}, fatal {fatal})")]
struct FakeError {
    retry_after: Option<Duration>,
    fatal: bool,
}

/// Answers from a script, then `fallback` forever; records the instant of every call.
struct Fake {
    script: Mutex<VecDeque<Reply>>,
    fallback: Reply,
    calls: Mutex<Vec<Instant>>,
    origin: Instant,
}

impl Fake {
    fn new(script: Vec<Reply>, fallback: Reply) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(script.into()),
            fallback,
            calls: Mutex::new(Vec::new()),
            origin: Instant::now(),
        })
    }

    fn answer(&self) -> Result<Reply, FakeError> {
        self.calls.lock().unwrap().push(Instant::now());
        let reply = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.fallback.clone());
        match reply {
            Reply::Unavailable(retry_after) => Err(FakeError {
                retry_after,
                fatal: false,
            }),
            Reply::Fatal => Err(FakeError {
                retry_after: None,
                fatal: true,
            }),
            other => Ok(other),
        }
    }

    fn call_count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    /// Call instants as offsets from the fake's creation, in milliseconds.
    fn offsets_ms(&self) -> Vec<u128> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|at| (*at - self.origin).as_millis())
            .collect()
    }
}

fn classify(reply: Reply) -> PollState<&'static str, u32> {
    match reply {
        Reply::Pending(progress) => PollState::Pending(progress),
        Reply::Done(value) => PollState::Done(value),
        Reply::Failed(detail) => PollState::Failed(detail.to_owned()),
        Reply::Unavailable(_) | Reply::Fatal => unreachable!("errors are not answers"),
    }
}

fn classify_error(error: &FakeError) -> ErrorClass {
    if error.fatal {
        ErrorClass::Fatal
    } else {
        ErrorClass::Transient {
            retry_after: error.retry_after,
        }
    }
}

/// No jitter, first poll at once, then 1 s doubling up to 8 s, 30 s overall.
fn steady() -> PollConfig {
    let mut config = PollConfig::brief();
    config.first_delay = Duration::ZERO;
    config.interval = Duration::from_secs(1);
    config.backoff = 2.0;
    config.max_interval = Duration::from_secs(8);
    config.jitter = 0.0;
    config.deadline = Duration::from_secs(30);
    config.max_retry_after = Duration::from_secs(30);
    config.max_transient_errors = 2;
    config
}

fn poller(
    config: PollConfig,
    fake: &Arc<Fake>,
) -> impl futures::Stream<Item = Result<PollEvent<&'static str, u32>, PollError<FakeError>>>
+ std::future::IntoFuture<Output = Result<u32, PollError<FakeError>>>
+ Unpin {
    let fake = Arc::clone(fake);
    Poller::new(
        config,
        move || {
            let fake = Arc::clone(&fake);
            async move { fake.answer() }
        },
        classify,
    )
    .classify_errors(classify_error)
}

#[tokio::test(start_paused = true)]
async fn stream_reports_progress_then_the_value_and_ends() {
    let fake = Fake::new(
        vec![
            Reply::Pending("PENDING"),
            Reply::Pending("PROCESSING"),
            Reply::Done(7),
        ],
        Reply::Fatal,
    );
    let mut stream = poller(steady(), &fake);
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    assert_eq!(
        events,
        vec![
            PollEvent::Progress("PENDING"),
            PollEvent::Progress("PROCESSING"),
            PollEvent::Done(7),
        ]
    );
    assert_eq!(fake.offsets_ms(), vec![0, 1000, 3000]);
    assert!(
        stream.next().await.is_none(),
        "a finished poller stays finished"
    );
}

#[tokio::test(start_paused = true)]
async fn awaiting_skips_progress_and_returns_the_value() {
    let fake = Fake::new(vec![Reply::Pending("PENDING")], Reply::Done(42));
    assert_eq!(poller(steady(), &fake).await.unwrap(), 42);
    assert_eq!(fake.call_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_terminal_failure_returns_its_detail_and_stops() {
    let fake = Fake::new(
        vec![Reply::Pending("PENDING"), Reply::Failed("consent denied")],
        Reply::Done(1),
    );
    let error = poller(steady(), &fake).await.unwrap_err();
    match &error {
        PollError::Failed { detail } => assert_eq!(detail, "consent denied"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(error.to_string().contains("consent denied"));
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(fake.call_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn never_completing_ends_at_the_deadline_after_the_expected_polls() {
    let fake = Fake::new(vec![], Reply::Pending("PENDING"));
    let error = poller(steady(), &fake).await.unwrap_err();
    // 0, +1, +2, +4, +8, +8 (capped), then the deadline at 30 s instead of 31 s.
    assert_eq!(
        fake.offsets_ms(),
        vec![0, 1000, 3000, 7000, 15000, 23000, 30000]
    );
    match &error {
        PollError::DeadlineExceeded {
            waited,
            polls,
            last_error,
        } => {
            assert_eq!(*waited, Duration::from_secs(30));
            assert_eq!(*polls, 7);
            assert!(last_error.is_none());
        }
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("30s") && message.contains("7 polls"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn sub_second_intervals_and_a_first_delay_are_kept() {
    let fake = Fake::new(vec![], Reply::Pending("PENDING"));
    let mut config = steady();
    config.first_delay = Duration::from_millis(300);
    config.interval = Duration::from_millis(250);
    config.backoff = 1.0;
    config.deadline = Duration::from_millis(1000);
    let error = poller(config, &fake).await.unwrap_err();
    assert_eq!(fake.offsets_ms(), vec![300, 550, 800, 1000]);
    assert!(matches!(
        error,
        PollError::DeadlineExceeded { polls: 4, .. }
    ));
}

#[tokio::test(start_paused = true)]
async fn a_zero_deadline_still_polls_once() {
    let fake = Fake::new(vec![], Reply::Pending("PENDING"));
    let config = steady().with_deadline(Duration::ZERO);
    let error = poller(config, &fake).await.unwrap_err();
    assert!(matches!(
        error,
        PollError::DeadlineExceeded { polls: 1, .. }
    ));
    assert_eq!(fake.offsets_ms(), vec![0]);
}

#[tokio::test(start_paused = true)]
async fn transient_errors_below_the_limit_are_tolerated() {
    // Two in a row, an answer resets the count, two more, then the value.
    let fake = Fake::new(
        vec![
            Reply::Unavailable(None),
            Reply::Unavailable(None),
            Reply::Pending("PENDING"),
            Reply::Unavailable(None),
            Reply::Unavailable(None),
        ],
        Reply::Done(5),
    );
    assert_eq!(poller(steady(), &fake).await.unwrap(), 5);
    assert_eq!(fake.call_count(), 6);
}

#[tokio::test(start_paused = true)]
async fn one_transient_error_over_the_limit_returns_the_last_error() {
    let fake = Fake::new(
        vec![Reply::Unavailable(None), Reply::Unavailable(None)],
        Reply::Unavailable(Some(Duration::from_secs(2))),
    );
    let error = poller(steady(), &fake).await.unwrap_err();
    match error {
        PollError::TooManyErrors { count, last } => {
            assert_eq!(count, 3);
            assert_eq!(last.retry_after, Some(Duration::from_secs(2)));
        }
        other => panic!("expected TooManyErrors, got {other:?}"),
    }
    assert_eq!(fake.call_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_fatal_error_ends_the_wait_at_once() {
    let fake = Fake::new(
        vec![Reply::Pending("PENDING"), Reply::Fatal],
        Reply::Done(1),
    );
    let error = poller(steady(), &fake).await.unwrap_err();
    assert!(matches!(
        error,
        PollError::Fatal(FakeError { fatal: true, .. })
    ));
    assert_eq!(fake.call_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_respected_capped_and_never_shortens_the_backoff() {
    let fake = Fake::new(
        vec![
            Reply::Unavailable(Some(Duration::from_secs(5))),
            Reply::Pending("PENDING"),
            Reply::Unavailable(Some(Duration::from_secs(500))),
            Reply::Pending("PENDING"),
            Reply::Unavailable(Some(Duration::from_millis(100))),
        ],
        Reply::Done(3),
    );
    let mut config = steady();
    config.backoff = 1.0;
    config.max_retry_after = Duration::from_secs(20);
    config.deadline = Duration::from_secs(600);
    assert_eq!(poller(config, &fake).await.unwrap(), 3);
    // 5 s asked; 1 s backoff; 500 s asked, capped to 20 s; 1 s; 100 ms asked, backoff 1 s wins.
    assert_eq!(fake.offsets_ms(), vec![0, 5000, 6000, 26000, 27000, 28000]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_deadline_polls_at_the_deadline() {
    let fake = Fake::new(vec![], Reply::Unavailable(Some(Duration::from_secs(60))));
    let mut config = steady();
    config.max_transient_errors = 10;
    config.max_retry_after = Duration::from_secs(120);
    config.deadline = Duration::from_secs(10);
    let error = poller(config, &fake).await.unwrap_err();
    assert_eq!(fake.offsets_ms(), vec![0, 10000]);
    match error {
        PollError::DeadlineExceeded {
            polls, last_error, ..
        } => {
            assert_eq!(polls, 2);
            assert_eq!(
                last_error.map(|e| e.retry_after),
                Some(Some(Duration::from_secs(60)))
            );
        }
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn jitter_shortens_each_wait_within_its_bounds() {
    let fake = Fake::new(vec![], Reply::Pending("PENDING"));
    let mut config = steady();
    config.first_delay = Duration::from_secs(2);
    config.interval = Duration::from_secs(1);
    config.backoff = 1.0;
    config.jitter = 0.5;
    config.deadline = Duration::from_secs(120);
    let _ = poller(config, &fake).await;
    let offsets = fake.offsets_ms();
    assert!((1000..=2000).contains(&offsets[0]), "first {}", offsets[0]);
    let gaps: Vec<u128> = offsets
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .collect::<Vec<_>>();
    let (last, regular) = gaps.split_last().unwrap();
    assert!(
        regular.iter().all(|gap| (500..=1000).contains(gap)),
        "{gaps:?}"
    );
    assert!(*last <= 1000, "the last poll is cut short by the deadline");
    assert_eq!(*offsets.last().unwrap(), 120_000);
    let distinct: std::collections::BTreeSet<_> = regular.iter().collect();
    assert!(distinct.len() > 10, "waits are spread, not fixed: {gaps:?}");
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_stops_polling() {
    let fake = Fake::new(vec![], Reply::Pending("PENDING"));
    let mut stream = poller(steady(), &fake);
    assert!(stream.next().await.is_some());
    assert!(stream.next().await.is_some());
    drop(stream);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(fake.call_count(), 2);
}

/// Counts its drops: a request future that never answers.
struct Hang(Arc<AtomicU32>);

impl Drop for Hang {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_the_wait_cancels_the_request_in_flight() {
    let started = Arc::new(AtomicU32::new(0));
    let dropped = Arc::new(AtomicU32::new(0));
    let (started_in, dropped_in) = (Arc::clone(&started), Arc::clone(&dropped));
    let wait = Poller::new(
        steady(),
        move || {
            started_in.fetch_add(1, Ordering::SeqCst);
            let guard = Hang(Arc::clone(&dropped_in));
            async move {
                let _guard = guard;
                std::future::pending::<Result<u32, FakeError>>().await
            }
        },
        PollState::<(), u32>::Done,
    )
    .wait();
    let outcome = tokio::time::timeout(Duration::from_secs(5), wait).await;
    assert!(outcome.is_err(), "the request never answers");
    assert_eq!(started.load(Ordering::SeqCst), 1);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(started.load(Ordering::SeqCst), 1);
}
