//! Bulk AbiliTec resolution: any number of match and lookup calls, sent as batch calls.
//!
//! Build each item with the single call's own builder and
//! [`batch_item`](crate::abilitec::builder::MatchPeople::batch_item) instead of `send`: the
//! item is encoded by the same generated code and checked against the same documented
//! constraints, whatever characters its fields hold. [`Client::resolve`] then
//!
//! - chunks the items into batch calls of up to [`BulkOptions::batch_size`] (at most 1,000, as
//!   documented), match and lookup items each to their own endpoint;
//! - keeps [`BulkOptions::in_flight`] batch calls running, paced by the client-side batch
//!   limit (360 calls per minute by default, see [`crate::limit`]);
//! - sends again, in a later batch, only the items whose own result is retryable (408, 429,
//!   500, 502, 503, 504),
//!   up to [`BulkOptions::item_attempts`] times, after the client's retry policy's backoff
//!   ([`RetryPolicy::backoff`](crate::retry::RetryPolicy::backoff), jittered);
//! - yields one [`Resolved`] per item, in input order, whose per-item failure is the same
//!   [`ApiError`] a single call would give.
//!
//! A batch call that fails as a whole after the transport's retries (an outage, no token)
//! ends the stream: no batch is started after it, the batches already in flight finish, and
//! every item answered comes first, in input order (an item waiting to be sent again with its
//! last, retryable, error), then the first such error, and nothing after it. The indices not
//! yielded are the items not answered: send them again, with those whose error is
//! retryable. Per-item failures never end it. Retries of items take from
//! the client's retry budget like a call's retries (an item keeps its retryable error when the
//! budget is spent), and items answered 429 pause the batch rate limit as a 429 answer would.
//! An item's error has the query values of every item of its batch and the client's secrets
//! removed from its text.
//!
//! ```no_run
//! # async fn run() -> Result<(), liveramp::Error> {
//! use futures::TryStreamExt;
//!
//! let abilitec = liveramp::Config::from_env()?.abilitec()?;
//! let emails = ["jane.doe@example.com", "not an email", "john.roe@example.com"];
//! // A row that cannot be valid is refused before anything is sent; the others go, and each
//! // keeps its row number (`Resolved::index` counts the items given to `resolve`).
//! let (mut rows, mut items) = (Vec::new(), Vec::new());
//! for (row, email) in emails.iter().enumerate() {
//!     match abilitec.match_people().email(*email).batch_item() {
//!         Ok(item) => {
//!             rows.push(row);
//!             items.push(item);
//!         }
//!         Err(error) => println!("row {row}: {error}"),
//!     }
//! }
//! let mut resolved = abilitec.resolve(futures::stream::iter(items), Default::default());
//! while let Some(item) = resolved.try_next().await? {
//!     let row = rows[item.index];
//!     match item.result {
//!         Ok(document) => println!("row {row}: {:?}", document.person),
//!         Err(error) => println!("row {row}: {error}"),
//!     }
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::pin::Pin;

use futures::{Stream, StreamExt};
use reqwest::StatusCode;

use crate::Error;
use crate::abilitec::{Client, types};
use crate::error::ApiError;
use crate::item_retry::{ItemResult, ItemRetries};
use crate::validate::ApiSpec;

/// The most items one batch call takes, as documented.
pub const MAX_BATCH_ITEMS: usize = 1000;

/// One match or lookup call, ready to go into a batch; from `batch_item()` on a single call's
/// builder. `Debug` shows its operation only: its query holds personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct BatchItem {
    operation: &'static str,
    kind: Kind,
    path_and_query: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Match,
    Lookup,
}

impl fmt::Debug for BatchItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchItem")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

impl BatchItem {
    /// The item of `request`, a request of `operation_id` built for the API at `base`: checked
    /// against the operation's constraints, its URL made relative to `base`.
    pub(crate) fn from_request(
        api: &ApiSpec,
        operation_id: &'static str,
        base: &str,
        request: &reqwest::Request,
    ) -> Result<Self, Error> {
        if let Some(op) = api.operation(operation_id) {
            crate::validate::check(op, request).map_err(|v| Error::InvalidField {
                field: v.field,
                reason: v.reason,
            })?;
        }
        let kind = if operation_id.starts_with("match_") {
            Kind::Match
        } else if operation_id.starts_with("lookup_") {
            Kind::Lookup
        } else {
            return Err(Error::InvalidRequest(format!(
                "{operation_id} cannot go into a batch"
            )));
        };
        let path_and_query = request
            .url()
            .as_str()
            .strip_prefix(base.trim_end_matches('/'))
            .filter(|rest| rest.starts_with('/'))
            .ok_or_else(|| {
                Error::InvalidRequest("the request is not under the client's base URL".into())
            })?
            .to_owned();
        Ok(Self {
            operation: operation_id,
            kind,
            path_and_query,
        })
    }

    /// The decoded values of the item's query: what it sends, to keep out of errors.
    pub(crate) fn query_values(&self) -> impl Iterator<Item = String> + '_ {
        let query = self.path_and_query.split_once('?').map(|(_, q)| q);
        crate::redact::query_values(query.unwrap_or_default())
    }

    /// The operation this item calls, e.g. `match_people`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The item as the batch call sends it: path and query, relative to the API's base URL.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }
}

/// How [`Client::resolve`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkOptions {
    /// Items per batch call (1 to [`MAX_BATCH_ITEMS`]; default 1,000).
    pub batch_size: usize,
    /// Batch calls running at once (default 4).
    pub in_flight: usize,
    /// Attempts per item whose own result is retryable, the first included (default 3).
    pub item_attempts: u32,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            batch_size: MAX_BATCH_ITEMS,
            in_flight: 4,
            item_attempts: 3,
        }
    }
}

impl BulkOptions {
    /// These options with `batch_size` items per batch call (clamped to 1..=1000).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// These options with `in_flight` batch calls at once (at least 1).
    pub fn in_flight(mut self, in_flight: usize) -> Self {
        self.in_flight = in_flight;
        self
    }

    /// These options with `attempts` per retryable item (at least 1).
    pub fn item_attempts(mut self, attempts: u32) -> Self {
        self.item_attempts = attempts;
        self
    }
}

/// The outcome of one item of [`Client::resolve`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Resolved {
    /// The item's position in the input, from 0.
    pub index: usize,
    /// The item's document, or why the API refused it.
    pub result: Result<types::BatchDocument, ApiError>,
}

impl ItemResult for Resolved {
    fn retryable(&self) -> bool {
        self.result.retryable()
    }
}

/// The stream [`Client::resolve`] returns.
pub type ResolvedStream<'a> = Pin<Box<dyn Stream<Item = Result<Resolved, Error>> + Send + 'a>>;

impl Client {
    /// Resolves every item of `items` through batch calls; see the [module docs](self).
    pub fn resolve<'a>(
        &'a self,
        items: impl Stream<Item = BatchItem> + Send + 'a,
        options: BulkOptions,
    ) -> ResolvedStream<'a> {
        let batch_size = options.batch_size.clamp(1, MAX_BATCH_ITEMS);
        let in_flight = options.in_flight.max(1);
        let attempts = options.item_attempts.max(1);
        // A failed batch call stops the chunks from being started (set when it fails, so that
        // no chunk starts after it), while those in flight finish: their answers are not lost.
        // The input is not read after it either (a slow or endless input would hold the
        // error back), and a chunk it had begun is dropped, not sent.
        let failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = {
            let failed = failed.clone();
            move || failed.load(std::sync::atomic::Ordering::SeqCst)
        };
        let mut items = Box::pin(items);
        let gated = futures::stream::poll_fn({
            let stopped = stopped.clone();
            move |cx| match stopped() {
                true => std::task::Poll::Ready(None),
                false => items.as_mut().poll_next(cx),
            }
        });
        let chunks = gated.enumerate().chunks(batch_size).take_while({
            let stopped = stopped.clone();
            move |_| std::future::ready(!stopped())
        });
        let runs = chunks
            .map(move |chunk| {
                let (failed, stopped) = (failed.clone(), stopped.clone());
                async move {
                    // A chunk taken up just before a failure was seen is not sent.
                    if stopped() {
                        return (Vec::new(), None);
                    }
                    let (resolved, failure) = self.resolve_chunk(chunk, attempts).await;
                    if failure.is_some() {
                        failed.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    (resolved, failure)
                }
            })
            .buffered(in_flight);
        // Every answered item in order, then the first failure (the others' are the same
        // outage), then the end.
        let first_failure = std::sync::Arc::new(std::sync::Mutex::new(None::<Error>));
        let answered = runs.flat_map({
            let first_failure = first_failure.clone();
            move |(resolved, failure)| {
                if let Some(error) = failure {
                    first_failure
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(error);
                }
                futures::stream::iter(resolved.into_iter().map(Ok))
            }
        });
        let failure = futures::stream::once(async move {
            first_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
        })
        .filter_map(|failure| std::future::ready(failure.map(Err)));
        Box::pin(answered.chain(failure))
    }

    /// One chunk: its match and lookup items each as a batch call, retryable items again. The
    /// items answered, in input order (each with its last result), and the failure of a batch
    /// call that stopped it.
    async fn resolve_chunk(
        &self,
        chunk: Vec<(usize, BatchItem)>,
        attempts: u32,
    ) -> (Vec<Resolved>, Option<Error>) {
        let (indices, items): (Vec<usize>, Vec<BatchItem>) = chunk.into_iter().unzip();
        let mut rounds = ItemRetries::new(&self.inner, items, attempts);
        while let Some(mut round) = rounds.next_round().await {
            for kind in [Kind::Match, Kind::Lookup] {
                let (these, rest): (Vec<_>, Vec<_>) =
                    round.into_iter().partition(|(_, item)| item.kind == kind);
                round = rest;
                if these.is_empty() {
                    continue;
                }
                let (answered, sent) =
                    crate::transport::Transport::sending(self.send_batch(kind, &these)).await;
                let results = match answered {
                    Ok(results) => results,
                    Err(error) => return (rounds.stopped(), Some(error)),
                };
                // Only a batch with a failed item needs one.
                let failed = results.iter().any(|r| r.document.error.is_some());
                let redactor = match failed {
                    true => self.redactor_of(&these, &sent),
                    false => crate::redact::Redactor::default(),
                };
                let mut limited = false;
                for ((place, item), result) in these.into_iter().zip(results) {
                    let result = item_result(result, &redactor);
                    limited |=
                        matches!(&result, Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS);
                    // `place` is the item's position in this chunk, as `ItemRetries` gave it.
                    let index = indices[place];
                    rounds.answered(place, item, Resolved { index, result });
                }
                if limited {
                    self.inner.slow_down(crate::limit::ABILITEC_BATCHES);
                }
            }
        }
        (rounds.finish(), None)
    }

    /// The redactor of a batch of `items` that sent the tokens `sent`: the query values of
    /// every item (a message may quote another item's) and the client's secrets.
    fn redactor_of(
        &self,
        items: &[(usize, BatchItem)],
        sent: &[crate::auth::AccessToken],
    ) -> crate::redact::Redactor {
        let values = items
            .iter()
            .flat_map(|(_, item)| item.query_values())
            .collect();
        crate::redact::Redactor::new(self.inner.secrets_with(sent, values))
    }

    /// One batch call of `items`, all of one kind: one result per item, in order.
    async fn send_batch(
        &self,
        kind: Kind,
        items: &[(usize, BatchItem)],
    ) -> Result<Vec<types::BatchResult>, Error> {
        let body = types::BatchRequest(
            items
                .iter()
                .map(|(_, item)| item.path_and_query.clone())
                .collect(),
        );
        let answer = match kind {
            Kind::Match => self.batch_match().body(body).send().await?,
            Kind::Lookup => self.batch_lookup().body(body).send().await?,
        }
        .into_inner();
        let results: Vec<types::BatchResult> = answer.into();
        if results.len() != items.len() {
            return Err(Error::Other(format!(
                "a batch of {} items was answered with {} results",
                items.len(),
                results.len()
            )));
        }
        Ok(results)
    }
}

/// An item's result: its document, or its error document as the crate's `ApiError`.
// The same shape as `Resolved::result`, which holds it unboxed beside its index.
#[allow(clippy::result_large_err)]
fn item_result(
    result: types::BatchResult,
    redactor: &crate::redact::Redactor,
) -> Result<types::BatchDocument, ApiError> {
    match result.api_error_redacted(redactor) {
        Some(error) => Err(error),
        None if (200..300).contains(&result.code) => Ok(result.document),
        None => Err(ApiError::abilitec_item(
            crate::error::item_status(i64::from(result.code)),
            None,
            None,
            None,
            redactor,
        )),
    }
}
