//! Adding and removing any number of segments on a distribution manager.
//!
//! The API takes at most 500 segment configs per call and answers `207` with one result per
//! item. [`Client::add_segment_configs`] and [`Client::remove_segment_configs`] chunk any number
//! of items into such calls, merge the answers into one report in input order (a removal's
//! result is its item's by the `id` it names, wherever the answer puts it), and send again
//! (up to 3 times in all, after the client's retry policy's jittered backoff, while its retry
//! budget allows) only the items whose own status is retryable (408, 429, 500, 502, 503, 504);
//! the others are
//! reported with their error as an [`ApiError`], which has the strings of every item of its
//! call and the client's secrets removed from its text. A call that fails as a whole (after
//! the transport's retries) stops the change with a [`SegmentConfigError`], whose report has
//! the outcomes of the items earlier calls answered.
//!
//! ```no_run
//! # async fn run() -> Result<(), liveramp::Error> {
//! use liveramp::activation::types::{SegmentConfigInput, SegmentType};
//!
//! let activation = liveramp::Config::from_env()?.activation()?;
//! let manager = "9a4c7e10-3f2b-4d86-a1e5-7b0c2d9f6e38";
//! let segments = (0..1_200)
//!     .map(|i| {
//!         SegmentConfigInput::builder()
//!             .segment_id(format!("{}", 21_000_000 + i))
//!             .segment_type(SegmentType::Onboarding)
//!             .distribution_manager_id(manager)
//!             .try_into()
//!     })
//!     .collect::<Result<Vec<SegmentConfigInput>, _>>()?;
//! let report = activation.add_segment_configs(manager, segments).await?;
//! println!("{} added, {} refused", report.succeeded().count(), report.failed().count());
//! # Ok(()) }
//! ```
// Held to the crate's rule, though the generated code beside it is allowed to go without.
#![warn(missing_docs)]

use reqwest::StatusCode;

use super::{Client, types};
use crate::Error;
use crate::error::{ApiError, ErrorShape};
use crate::item_retry::{ItemResult, ItemRetries};

/// Items per call, as documented.
pub const SEGMENT_CONFIGS_PER_CALL: usize = 500;
/// Attempts per item whose own status is retryable, the first included.
const ITEM_ATTEMPTS: u32 = 3;

/// The outcome of one item of a bulk segment-config change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SegmentConfigOutcome {
    /// The item's position in the input, from 0.
    pub index: usize,
    /// The segment config the API named for it (created, or removed).
    pub id: Option<String>,
    /// `Ok` with the item's status, or the item's error.
    pub result: Result<StatusCode, ApiError>,
}

/// Every item's outcome, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SegmentConfigReport {
    /// One outcome per input item.
    pub items: Vec<SegmentConfigOutcome>,
}

impl SegmentConfigReport {
    /// The items that succeeded.
    pub fn succeeded(&self) -> impl Iterator<Item = &SegmentConfigOutcome> {
        self.items.iter().filter(|o| o.result.is_ok())
    }

    /// The items that failed, with their errors.
    pub fn failed(&self) -> impl Iterator<Item = &SegmentConfigOutcome> {
        self.items.iter().filter(|o| o.result.is_err())
    }
}

/// A bulk segment-config change that stopped: a call failed as a whole (after the transport's
/// retries). [`report`](Self::report) has the outcome of every item answered before it (an item
/// waiting to be sent again, its last, retryable, error); an item missing from it was not (or
/// not surely) applied. `?` turns it into
/// the crate's [`Error`] (the call's), dropping the report.
#[derive(Debug, thiserror::Error)]
#[error("a bulk segment-config change stopped after {} items had an outcome", report.items.len())]
#[non_exhaustive]
pub struct SegmentConfigError {
    /// The outcomes of the items answered before the failure, in input order.
    pub report: SegmentConfigReport,
    /// Why the call failed.
    #[source]
    pub error: Error,
}

impl From<SegmentConfigError> for Error {
    fn from(stopped: SegmentConfigError) -> Self {
        stopped.error
    }
}

impl Client {
    /// Adds every segment of `segments` to distribution manager `distribution_manager_id`, in
    /// calls of up to 500; see the [module docs](self).
    pub async fn add_segment_configs(
        &self,
        distribution_manager_id: &str,
        segments: impl IntoIterator<Item = types::SegmentConfigInput>,
    ) -> Result<SegmentConfigReport, SegmentConfigError> {
        let items: Vec<_> = segments.into_iter().collect();
        self.bulk(items, None, |chunk| async move {
            self.create_segment_configs()
                .distribution_manager_id(distribution_manager_id)
                .body(types::SegmentConfigInputs(chunk))
                .send()
                .await
                .map(|answer| answer.into_inner().0)
        })
        .await
    }

    /// Removes every segment config of `ids` from distribution manager
    /// `distribution_manager_id`, in calls of up to 500; see the [module docs](self).
    pub async fn remove_segment_configs(
        &self,
        distribution_manager_id: &str,
        ids: impl IntoIterator<Item = String>,
    ) -> Result<SegmentConfigReport, SegmentConfigError> {
        let items: Vec<_> = ids
            .into_iter()
            .map(|id| types::SegmentConfigRef { id })
            .collect();
        fn id(item: &types::SegmentConfigRef) -> &str {
            &item.id
        }
        self.bulk(items, Some(id), |chunk| async move {
            self.delete_segment_configs()
                .distribution_manager_id(distribution_manager_id)
                .body(types::SegmentConfigRefs(chunk))
                .send()
                .await
                .map(|answer| answer.into_inner().0)
        })
        .await
    }

    /// Sends `items` in chunks through `call`, retrying the retryable items, in input order;
    /// with `id`, each result that names an item's `id` is that item's, wherever it comes.
    async fn bulk<T, F, Fut>(
        &self,
        items: Vec<T>,
        id: Option<fn(&T) -> &str>,
        call: F,
    ) -> Result<SegmentConfigReport, SegmentConfigError>
    where
        T: Clone + serde::Serialize,
        F: Fn(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<types::SegmentConfigResult>, Error>>,
    {
        let mut rounds = ItemRetries::new(&self.inner, items, ITEM_ATTEMPTS);
        while let Some(round) = rounds.next_round().await {
            for chunk in round.chunks(SEGMENT_CONFIGS_PER_CALL) {
                let sent: Vec<T> = chunk.iter().map(|(_, item)| item.clone()).collect();
                // A call that fails stops the change: what earlier calls answered is reported.
                let (answered, tokens) = crate::transport::Transport::sending(call(sent)).await;
                let answered = answered.and_then(|results| match (results.len(), id) {
                    (n, Some(id)) if n == chunk.len() => by_id(chunk, results, id),
                    (n, None) if n == chunk.len() => Ok(results),
                    (n, _) => Err(Error::Other(format!(
                        "{} segment configs were answered with {n} results",
                        chunk.len()
                    ))),
                });
                let results = match answered {
                    Ok(results) => results,
                    Err(error) => {
                        return Err(SegmentConfigError {
                            report: SegmentConfigReport {
                                items: rounds.stopped(),
                            },
                            error,
                        });
                    }
                };
                // What an item's error quotes of the call's items, or of the client's secrets,
                // is removed from it; only a call with a failed item needs the redactor.
                let failed = results.iter().any(|r| !status_of(r).is_success());
                let redactor = match failed {
                    true => {
                        let mut values = Vec::new();
                        for (_, item) in chunk {
                            crate::redact::push_json_strings(item, &mut values);
                        }
                        crate::redact::Redactor::new(self.inner.secrets_with(&tokens, values))
                    }
                    false => crate::redact::Redactor::default(),
                };
                for ((index, item), result) in chunk.iter().zip(results) {
                    rounds.answered(*index, item.clone(), outcome(*index, result, &redactor));
                }
            }
        }
        Ok(SegmentConfigReport {
            items: rounds.finish(),
        })
    }
}

impl ItemResult for SegmentConfigOutcome {
    fn retryable(&self) -> bool {
        self.result.retryable()
    }
}

/// `results` in the order of `chunk`: a result that names an `id` is the first item's of that
/// `id` not yet answered, one without stays in its place. A result naming an `id` the chunk
/// has no item left for is an error: it cannot be told whose it is.
fn by_id<T>(
    chunk: &[(usize, T)],
    results: Vec<types::SegmentConfigResult>,
    id: fn(&T) -> &str,
) -> Result<Vec<types::SegmentConfigResult>, Error> {
    let mut placed: Vec<Option<types::SegmentConfigResult>> = chunk.iter().map(|_| None).collect();
    let mut unnamed = Vec::new();
    for (at, result) in results.into_iter().enumerate() {
        let Some(named) = result.id.as_deref() else {
            unnamed.push((at, result));
            continue;
        };
        let owner = (0..chunk.len()).find(|&i| placed[i].is_none() && id(&chunk[i].1) == named);
        match owner {
            Some(i) => placed[i] = Some(result),
            None => {
                return Err(Error::Other(
                    "a segment config result names an item its call did not send (or names one \
                     twice)"
                        .to_owned(),
                ));
            }
        }
    }
    for (at, result) in unnamed {
        match placed.get_mut(at) {
            Some(place @ None) => *place = Some(result),
            _ => {
                return Err(Error::Other(
                    "a segment config result without an id takes the place of a named one"
                        .to_owned(),
                ));
            }
        }
    }
    placed
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            Error::Other("a segment config of the call was left without its result".to_owned())
        })
}

/// An item's status: 200 when the result has none, 500 when it has one out of range (a
/// broken item never counts as done).
fn status_of(result: &types::SegmentConfigResult) -> StatusCode {
    result.status.as_ref().map_or(StatusCode::OK, |s| {
        crate::error::item_status(i64::from(s.http_status))
    })
}

/// One item's outcome: its status, 2xx or the error it carries.
fn outcome(
    index: usize,
    result: types::SegmentConfigResult,
    redactor: &crate::redact::Redactor,
) -> SegmentConfigOutcome {
    let status = result.status.as_ref();
    let code = status_of(&result);
    let outcome = if code.is_success() {
        Ok(code)
    } else {
        Err(ApiError::item(
            ErrorShape::ActivationStandardError,
            code,
            status.map(|s| s.error_code.as_str()),
            status.map(|s| s.message.as_str()),
            None,
            redactor,
        ))
    };
    SegmentConfigOutcome {
        index,
        id: result.id,
        result: outcome,
    }
}
