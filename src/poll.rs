//! Waiting for an operation to finish: "GET until a field appears", for any API.
//!
//! A [`Poller`] calls a request closure again and again, classifies each answer as
//! [`PollState::Pending`] (with progress), [`PollState::Done`] or [`PollState::Failed`], and
//! classifies request errors as transient (tolerated up to a limit, `Retry-After` honoured and
//! capped) or fatal. Delays start at [`PollConfig::first_delay`], then grow from
//! [`PollConfig::interval`] by [`PollConfig::backoff`] up to [`PollConfig::max_interval`], each
//! shortened by a random [`PollConfig::jitter`]. One overall [`PollConfig::deadline`] bounds the
//! wait; the last poll happens at the deadline, never after it.
//!
//! `.await` it for the result, or use it as a [`Stream`] of [`PollEvent`]s to see progress.
//! It spawns nothing: dropping it drops the request in flight and stops polling.
//!
//! ```
//! use liveramp::poll::{ErrorClass, PollConfig, PollState, Poller};
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let mut answers = ["PENDING", "PROCESSING", "DONE"].into_iter();
//! let poller = Poller::new(
//!     PollConfig::brief(),
//!     // One request per poll; here a canned answer.
//!     move || std::future::ready(Ok::<_, std::io::Error>(answers.next().unwrap_or("DONE"))),
//!     |status: &str| match status {
//!         "DONE" => PollState::Done(status.to_owned()),
//!         "FAILED" => PollState::Failed("the job failed".to_owned()),
//!         other => PollState::Pending(other.to_owned()),
//!     },
//! )
//! .classify_errors(|_: &std::io::Error| ErrorClass::Transient { retry_after: None });
//! assert_eq!(poller.await.unwrap(), "DONE");
//! # }
//! ```

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::Stream;
use tokio::time::Instant;

use crate::retry::{Clock, Sleep, TokioClock};

/// How a [`Poller`] paces its requests and when it gives up.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PollConfig {
    /// Wait before the first request (zero polls at once).
    pub first_delay: Duration,
    /// Wait after the first answer; later waits grow from it by `backoff`.
    pub interval: Duration,
    /// Factor applied to the wait after each answer (values below 1 count as 1).
    pub backoff: f64,
    /// Upper bound of the grown wait.
    pub max_interval: Duration,
    /// Fraction in `0.0..=1.0`: each wait `d` is drawn uniformly from `d * (1 - jitter) ..= d`.
    pub jitter: f64,
    /// Overall bound of the wait, from the first time the poller is polled. A request in
    /// flight at the deadline is let finish (the transport bounds each request).
    pub deadline: Duration,
    /// Upper bound applied to a server's `Retry-After`.
    pub max_retry_after: Duration,
    /// Consecutive transient errors tolerated; one more ends the wait with the last error.
    pub max_transient_errors: u32,
}

impl PollConfig {
    /// For flows that wait on a person (a browser consent): first poll after 2 s, then every
    /// 2 s growing by 1.5 up to 15 s, 20 % jitter, 10 minutes overall.
    pub fn interactive() -> Self {
        Self {
            first_delay: Duration::from_secs(2),
            interval: Duration::from_secs(2),
            backoff: 1.5,
            max_interval: Duration::from_secs(15),
            jitter: 0.2,
            deadline: Duration::from_secs(600),
            max_retry_after: Duration::from_secs(60),
            max_transient_errors: 5,
        }
    }

    /// For a field the server fills within seconds: first poll at once, then from 250 ms
    /// doubling up to 2 s, 20 % jitter, 15 seconds overall.
    pub fn brief() -> Self {
        Self {
            first_delay: Duration::ZERO,
            interval: Duration::from_millis(250),
            backoff: 2.0,
            max_interval: Duration::from_secs(2),
            jitter: 0.2,
            deadline: Duration::from_secs(15),
            max_retry_after: Duration::from_secs(5),
            max_transient_errors: 3,
        }
    }

    /// This configuration with another overall deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    fn backoff_factor(&self) -> f64 {
        if self.backoff.is_finite() && self.backoff >= 1.0 {
            self.backoff
        } else {
            1.0
        }
    }

    fn jitter_fraction(&self) -> f64 {
        if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

impl Default for PollConfig {
    /// [`PollConfig::interactive`]: the 10-minute deadline suits any wait on a person.
    fn default() -> Self {
        Self::interactive()
    }
}

/// What one answer says about the operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollState<P, T> {
    /// Not finished; the progress to report.
    Pending(P),
    /// Finished with this value.
    Done(T),
    /// Finished in a terminal failure; the detail the server gave.
    Failed(String),
}

/// What a request error means for the wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorClass {
    /// Trying again later may succeed; wait at least `retry_after` (capped) if the server said so.
    Transient {
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help; the wait ends with this error.
    Fatal,
}

/// One item of a [`Poller`] used as a [`Stream`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PollEvent<P, T> {
    /// An answer said the operation is still going.
    Progress(P),
    /// The final value; the stream ends after it.
    Done(T),
}

/// Why a wait ended without a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PollError<E> {
    /// The operation reached a terminal failure state.
    #[error("the operation failed: {detail}")]
    Failed {
        /// The detail the server gave.
        detail: String,
    },
    /// The deadline passed before a final answer.
    #[error(
        "no final answer after {waited:?} and {polls} polls{}",
        last_error.as_ref().map(|e| format!(" (last error: {e})")).unwrap_or_default()
    )]
    DeadlineExceeded {
        /// Time from the start of the wait to the end of the last poll.
        waited: Duration,
        /// Requests made.
        polls: u32,
        /// The error of the last poll, if it failed transiently.
        last_error: Option<E>,
    },
    /// More consecutive transient errors than tolerated; the last one.
    #[error("gave up after {count} consecutive transient errors: {last}")]
    TooManyErrors {
        /// Consecutive transient errors seen.
        count: u32,
        /// The last of them.
        last: E,
    },
    /// A request failed in a way that trying again cannot fix.
    #[error("{0}")]
    Fatal(E),
}

fn all_fatal<E>(_: &E) -> ErrorClass {
    ErrorClass::Fatal
}

/// Polls an operation until it finishes, fails or runs out of time. See the [module docs](self).
#[must_use = "a poller does nothing until awaited or polled as a stream"]
pub struct Poller<F, Fut, C, E> {
    config: PollConfig,
    request: F,
    classify: C,
    classify_error: fn(&E) -> ErrorClass,
    phase: Phase<Fut>,
    clock: Arc<dyn Clock>,
    sleep: Option<Sleep>,
    schedule: Schedule,
    polls: u32,
    consecutive_errors: u32,
    end_at: Option<Instant>,
}

enum Phase<Fut> {
    NotStarted,
    Waiting,
    Requesting(Pin<Box<Fut>>),
    Expired,
    Finished,
}

/// Timing state: when the wait began, its deadline and the next backoff interval.
struct Schedule {
    started: Instant,
    deadline: Instant,
    next_interval: Duration,
}

impl<F, Fut, C, R, E, P, T> Poller<F, Fut, C, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<R, E>>,
    C: FnMut(R) -> PollState<P, T>,
{
    /// A poller that runs `request` for each poll and `classify` on each answer; every request
    /// error is fatal until [`Poller::classify_errors`] says otherwise.
    pub fn new(config: PollConfig, request: F, classify: C) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(TokioClock);
        let now = clock.now();
        Poller {
            clock,
            sleep: None,
            schedule: Schedule {
                started: now,
                deadline: now,
                next_interval: config.interval,
            },
            config,
            request,
            classify,
            classify_error: all_fatal::<E>,
            phase: Phase::NotStarted,
            polls: 0,
            consecutive_errors: 0,
            end_at: None,
        }
    }
}

impl<F, Fut, C, E> Poller<F, Fut, C, E> {
    /// Uses `classify_error` to tell transient request errors from fatal ones.
    pub fn classify_errors(mut self, classify_error: fn(&E) -> ErrorClass) -> Self {
        self.classify_error = classify_error;
        self
    }

    /// Measures time and waits on `clock` (tokio's unless set), e.g. a client's
    /// [`crate::transport::Transport::clock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Ends the wait at `at` at the latest, even if the configured deadline is later (for an
    /// operation that expires at a known instant).
    pub fn end_by(mut self, at: Instant) -> Self {
        self.end_at = Some(at);
        self
    }

    /// Waits for the final value, ignoring progress.
    pub fn wait(self) -> Wait<Self> {
        Wait { poller: self }
    }
}

/// `d` shortened by a random fraction of at most `jitter`.
fn jittered(d: Duration, jitter: f64) -> Duration {
    if jitter == 0.0 || d.is_zero() {
        return d;
    }
    crate::retry::jitter_down(d, jitter)
}

impl Schedule {
    /// The next backoff interval, grown and then capped.
    fn advance(&mut self, config: &PollConfig) -> Duration {
        let current = self.next_interval.min(config.max_interval);
        let grown = Duration::try_from_secs_f64(current.as_secs_f64() * config.backoff_factor())
            .unwrap_or(config.max_interval);
        self.next_interval = grown.min(config.max_interval);
        current
    }
}

impl<F, Fut, C, R, E, P, T> Poller<F, Fut, C, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<R, E>>,
    C: FnMut(R) -> PollState<P, T>,
{
    /// Schedules the next poll after `delay` (jittered), or at least `retry_after` (capped), never
    /// past the deadline. Returns `false` when the deadline has already been reached.
    fn schedule_next(&mut self, retry_after: Option<Duration>) -> bool {
        let now = self.clock.now();
        if now >= self.schedule.deadline {
            return false;
        }
        let backoff = self.schedule.advance(&self.config);
        let mut delay = jittered(backoff, self.config.jitter_fraction());
        if let Some(retry_after) = retry_after {
            delay = delay.max(retry_after.min(self.config.max_retry_after));
        }
        let delay = delay.min(self.schedule.deadline.saturating_duration_since(now));
        self.sleep = Some(self.clock.sleep(delay));
        self.phase = Phase::Waiting;
        true
    }

    fn deadline_error(&self, last_error: Option<E>) -> PollError<E> {
        PollError::DeadlineExceeded {
            waited: self
                .clock
                .now()
                .saturating_duration_since(self.schedule.started),
            polls: self.polls,
            last_error,
        }
    }
}

impl<F, Fut, C, R, E, P, T> Stream for Poller<F, Fut, C, E>
where
    F: FnMut() -> Fut + Unpin,
    Fut: Future<Output = Result<R, E>>,
    C: FnMut(R) -> PollState<P, T> + Unpin,
{
    type Item = Result<PollEvent<P, T>, PollError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.phase {
                Phase::Finished => return Poll::Ready(None),
                Phase::NotStarted => {
                    let now = this.clock.now();
                    let mut deadline = crate::retry::later(now, this.config.deadline);
                    if let Some(end_at) = this.end_at {
                        deadline = deadline.min(end_at.max(now));
                    }
                    let first = jittered(this.config.first_delay, this.config.jitter_fraction());
                    this.schedule.started = now;
                    this.schedule.deadline = deadline;
                    this.sleep = Some(
                        this.clock
                            .sleep(first.min(deadline.saturating_duration_since(now))),
                    );
                    this.phase = Phase::Waiting;
                }
                Phase::Waiting => {
                    if let Some(sleep) = &mut this.sleep {
                        ready!(sleep.as_mut().poll(cx));
                    }
                    this.sleep = None;
                    this.polls += 1;
                    this.phase = Phase::Requesting(Box::pin((this.request)()));
                }
                Phase::Requesting(in_flight) => {
                    let answer = ready!(in_flight.as_mut().poll(cx));
                    this.phase = Phase::Finished;
                    match answer {
                        Ok(response) => {
                            this.consecutive_errors = 0;
                            match (this.classify)(response) {
                                PollState::Done(value) => {
                                    return Poll::Ready(Some(Ok(PollEvent::Done(value))));
                                }
                                PollState::Failed(detail) => {
                                    return Poll::Ready(Some(Err(PollError::Failed { detail })));
                                }
                                PollState::Pending(progress) => {
                                    if !this.schedule_next(None) {
                                        this.phase = Phase::Expired;
                                    }
                                    return Poll::Ready(Some(Ok(PollEvent::Progress(progress))));
                                }
                            }
                        }
                        Err(error) => match (this.classify_error)(&error) {
                            ErrorClass::Fatal => {
                                return Poll::Ready(Some(Err(PollError::Fatal(error))));
                            }
                            ErrorClass::Transient { retry_after } => {
                                this.consecutive_errors += 1;
                                tracing::debug!(
                                    polls = this.polls,
                                    consecutive_errors = this.consecutive_errors,
                                    "transient error while polling"
                                );
                                if this.consecutive_errors > this.config.max_transient_errors {
                                    return Poll::Ready(Some(Err(PollError::TooManyErrors {
                                        count: this.consecutive_errors,
                                        last: error,
                                    })));
                                }
                                if !this.schedule_next(retry_after) {
                                    return Poll::Ready(Some(
                                        Err(this.deadline_error(Some(error))),
                                    ));
                                }
                            }
                        },
                    }
                }
                Phase::Expired => {
                    this.phase = Phase::Finished;
                    return Poll::Ready(Some(Err(this.deadline_error(None))));
                }
            }
        }
    }
}

impl<F, Fut, C, E> fmt::Debug for Poller<F, Fut, C, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The future of a [`Poller`]'s final value, from [`Poller::wait`] or `.await`.
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Wait<S> {
    poller: S,
}

impl<S, P, T, E> Future for Wait<S>
where
    S: Stream<Item = Result<PollEvent<P, T>, PollError<E>>> + Unpin,
{
    type Output = Result<T, PollError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match ready!(Pin::new(&mut self.poller).poll_next(cx)) {
                Some(Ok(PollEvent::Progress(_))) => continue,
                Some(Ok(PollEvent::Done(value))) => return Poll::Ready(Ok(value)),
                Some(Err(error)) => return Poll::Ready(Err(error)),
                // Only reached when polled again after the end; a finished poller stays finished.
                None => return Poll::Pending,
            }
        }
    }
}

impl<F, Fut, C, R, E, P, T> IntoFuture for Poller<F, Fut, C, E>
where
    F: FnMut() -> Fut + Unpin,
    Fut: Future<Output = Result<R, E>>,
    C: FnMut(R) -> PollState<P, T> + Unpin,
{
    type Output = Result<T, PollError<E>>;
    type IntoFuture = Wait<Self>;

    fn into_future(self) -> Self::IntoFuture {
        self.wait()
    }
}

/// Why a flow built on a [`Poller`] (an OAuth authorization, a credentials request) ended
/// without its result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError<E> {
    /// An argument was refused before any request was sent.
    #[error("invalid request: {0}; nothing was sent")]
    Invalid(String),
    /// A request that starts the flow failed.
    #[error("{0}")]
    Request(E),
    /// Waiting for the flow's result failed.
    #[error("{0}")]
    Wait(PollError<E>),
    /// The flow's own validity window ended before its result arrived.
    #[error(
        "the request's validity window of {validity:?} ended before its result arrived ({polls} polls)"
    )]
    ValidityExpired {
        /// The validity window asked for when the flow started.
        validity: Duration,
        /// Requests made while waiting.
        polls: u32,
    },
}

impl<E> From<PollError<E>> for FlowError<E> {
    fn from(error: PollError<E>) -> Self {
        Self::Wait(error)
    }
}

/// Transient or fatal, for an error of a generated client: what
/// [`Error::is_retryable`](crate::Error::is_retryable) says, with the answer's `Retry-After`.
pub fn classify_api_error(error: &crate::Error) -> ErrorClass {
    if error.is_retryable() {
        ErrorClass::Transient {
            retry_after: error.retry_after(),
        }
    } else {
        ErrorClass::Fatal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by review: the flow and poll errors must stay errors whatever a poller's own
    /// error type is (`anyhow::Error` and `String` do not implement `std::error::Error`).
    #[test]
    fn flow_and_poll_errors_are_errors_over_any_displayable_error() {
        fn is_error<T: std::error::Error>(_: &T) {}
        let failed: PollError<String> = PollError::Fatal("gone".to_owned());
        is_error(&failed);
        is_error(&FlowError::Wait(failed));
        is_error(&FlowError::<String>::Request("refused".to_owned()));
    }
}
