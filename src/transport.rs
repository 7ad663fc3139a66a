//! What every generated client runs each request through: a URL that is https (plain http only
//! to loopback), spec validation, the bearer token and
//! `LR-Org-ID` header, retries with backoff under one deadline, one token refresh on a 401 or 403,
//! and a tracing span per call.
//!
//! # How answers and our own failures reach the caller
//!
//! The generated operations send through `send_buffered` (codegen's `answer` pass puts it in
//! place of progenitor's `ClientHooks` calls) and receive an `Answer`, read whole: they decode
//! its body as it is (`typed_response`), with no second read and no header map clone.
//! progenitor's `ClientHooks::exec`, which must return a `reqwest::Response`, takes the same
//! route and rebuilds one.
//!
//! The generated code turns only a `reqwest::Error` into its error type, and
//! `reqwest::Error` cannot be built by hand. The transport's own failures (an invalid field, no
//! token, the deadline, the retry budget, a network error after retries, a body that is not
//! JSON) are therefore shipped as a genuine `reqwest::Error` whose source chain holds the
//! complete [`crate::Error`]: exec reads a body whose stream yields that error, and returns
//! the `reqwest::Error` reqwest makes of it (`http::body_error`). The generated code hands it on
//! untouched as `Error::CommunicationError`, and `impl From<progenitor_client::Error<E>> for
//! liveramp::Error` takes it back out of the chain, with its own sources intact. Answers are
//! buffered, so a body torn mid-read is retried like any network failure. An undocumented
//! status, which the generated code hands on unread, goes as a rebuilt response that keeps its
//! body in an extension, which the `From` impl reads synchronously.
//! (Buffering means a streamed success body is held in memory whole; none of the four APIs
//! streams large bodies through these clients: consent files download from signed URLs.)
//!
//! Alternatives weighed: `pre` can only return `Error::InvalidRequest(String)`/`Custom(String)`
//! (the source and structure are lost); a synthetic answer with an unused status code is
//! decoded differently by every spec (a `default` response reads its body, ranges may match);
//! a side table keyed per request leaks when the caller drops the future. The source chain
//! survives every path of the generated code and needs nothing from the spec.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::OperationInfo;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use tracing::Instrument;

use crate::auth::{AccessToken, Secret, TokenSource};
use crate::error::{BufferedBody, Carried, Error, NetworkKind};
use crate::http::{Overflow, ReadError, read_body};
use crate::limit::{Limiter, Limiters};
use crate::redact::Redactor;
use crate::retry::{Clock, RetryBudget, RetryPolicy, TokioClock, is_retryable_status};
use crate::validate::{ApiSpec, OperationSpec};

/// The state a generated client carries: its token source, headers, retry policy, retry budget
/// and clock.
#[derive(Clone, Debug)]
pub struct Transport {
    inner: Arc<Inner>,
}

impl Default for Transport {
    /// No auth, no extra headers and the default retry policy (as [`Transport::builder`]).
    fn default() -> Self {
        Self::builder().build()
    }
}

#[derive(Clone, Debug)]
struct Inner {
    tokens: Option<Arc<dyn TokenSource>>,
    org_id: Option<HeaderValue>,
    api_key: Option<(Secret, HeaderValue)>,
    query: Option<(&'static str, String)>,
    policy: RetryPolicy,
    budget: Arc<RetryBudget>,
    clock: Arc<dyn Clock>,
    validate: bool,
    max_body_bytes: usize,
    limiters: Option<Arc<Limiters>>,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            tokens: None,
            org_id: None,
            api_key: None,
            query: None,
            policy: RetryPolicy::default(),
            budget: Arc::new(RetryBudget::default()),
            clock: Arc::new(TokioClock),
            validate: true,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            limiters: None,
        }
    }
}

/// The largest success body a call reads by default (see [`TransportBuilder::max_body_bytes`]).
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How much of an error answer's body is read: enough for any error document and an excerpt.
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The largest block glibc's allocator serves from its per-thread cache (`tcache`), which a
/// call's boxed state stays under; a larger block goes through its slower general path.
#[cfg(any(test, feature = "test-util"))]
#[doc(hidden)]
pub const PER_THREAD_CACHE_BYTES: usize = 1032;

tokio::task_local! {
    /// The tokens the attempts of the calls made inside [`Transport::sending`] carried.
    static SENT_TOKENS: std::cell::RefCell<Vec<AccessToken>>;
}

/// Notes `token` as sent, for the [`Transport::sending`] the call runs in (if any).
fn note_sent(token: &AccessToken) {
    let _ = SENT_TOKENS.try_with(|sent| {
        let mut sent = sent.borrow_mut();
        if !sent.iter().any(|t| t.expose() == token.expose()) {
            sent.push(token.clone());
        }
    });
}

/// How long a 429 without `Retry-After` pauses the bucket of the limited call it answered.
const DEFAULT_429_PAUSE: Duration = Duration::from_secs(1);

/// Builds a [`Transport`].
#[derive(Debug, Default)]
pub struct TransportBuilder {
    inner: Inner,
}

impl TransportBuilder {
    /// Authenticates every request with a bearer token from `tokens`.
    pub fn token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.inner.tokens = Some(tokens);
        self
    }

    /// Sends `LR-Org-ID: org_id` with every request (Activation).
    pub fn org_id(mut self, org_id: &str) -> Result<Self, crate::auth::AuthError> {
        let value = HeaderValue::from_str(org_id).map_err(|_| {
            crate::auth::AuthError::config("the org ID is not a valid header value")
        })?;
        self.inner.org_id = Some(value);
        Ok(self)
    }

    /// Sends `x-api-key: key` with every request (Activation v1); the key is redacted from
    /// anything an answer echoes back.
    pub fn api_key(mut self, key: Secret) -> Result<Self, crate::auth::AuthError> {
        let mut value = HeaderValue::from_str(key.expose()).map_err(|_| {
            crate::auth::AuthError::config("the API key is not a valid header value")
        })?;
        value.set_sensitive(true);
        self.inner.api_key = Some((key, value));
        Ok(self)
    }

    /// Adds `name=value` to the query of every request that does not carry `name` already
    /// (the AbiliTec `role`). One such parameter: a second call replaces the first.
    pub fn query_param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.inner.query = Some((name, value.into()));
        self
    }

    /// The largest success body a call reads; a longer answer fails with
    /// [`Error::BodyTooLarge`] without being read further (default
    /// [`DEFAULT_MAX_BODY_BYTES`]). Error answers are read up to [`MAX_ERROR_BODY_BYTES`].
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.inner.max_body_bytes = limit;
        self
    }

    /// Paces the operations the spec marks with `x-rate-limit` by these buckets (a `Config`'s).
    pub(crate) fn limiters(mut self, limiters: Arc<Limiters>) -> Self {
        self.inner.limiters = Some(limiters);
        self
    }

    /// Retries, timeouts and the deadline ([`RetryPolicy::default`] unless set;
    /// [`RetryPolicy::no_retry`] switches retrying off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.inner.policy = policy;
        self
    }

    /// The retry budget, to share one between transports ([`RetryBudget::default`], one per
    /// transport, unless set).
    pub fn retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.inner.budget = budget;
        self
    }

    /// The clock deadlines are measured on and backoffs wait with (tokio's unless set).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.inner.clock = clock;
        self
    }

    /// Whether requests are checked against the spec's constraints before sending (on by
    /// default). Feature `test-util`: for tests and benchmarks that send what the spec forbids.
    #[cfg(any(test, feature = "test-util"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn validate(mut self, on: bool) -> Self {
        self.inner.validate = on;
        self
    }

    /// The finished transport.
    pub fn build(self) -> Transport {
        Transport {
            inner: Arc::new(self.inner),
        }
    }
}

/// An answer read to its end, as the generated operations receive it from
/// [`Transport::exec`]. Its `Debug` shows the status and the body's length only: the body and
/// headers may hold personal data and secrets.
pub(crate) struct Answer {
    status: StatusCode,
    version: reqwest::Version,
    headers: HeaderMap,
    body: Bytes,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Answer {
    /// The status code (the generated code matches on it).
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// A `reqwest::Response` holding this answer, its body also kept as an extension
    /// ([`BufferedBody`]), for what needs a response: progenitor's `ClientHooks::exec` and an
    /// undocumented status, which the generated code hands on unread (the `From` impl of
    /// [`Error`] reads the body from the extension). Its URL is reqwest's placeholder.
    pub(crate) fn into_response(self) -> reqwest::Response {
        let mut builder = http::Response::builder()
            .status(self.status)
            .version(self.version)
            .extension(BufferedBody(self.body.clone()));
        if let Some(headers) = builder.headers_mut() {
            *headers = self.headers;
        }
        match builder.body(self.body) {
            Ok(response) => reqwest::Response::from(response),
            // The parts above come from a response that was valid a moment ago.
            Err(_) => reqwest::Response::from(http::Response::new(Bytes::new())),
        }
    }
}

/// Why retrying stopped.
enum Stop {
    /// Out of attempts: the last outcome stands as it is.
    Attempts,
    /// The wait would end past the deadline.
    Deadline,
    /// The retry budget is spent.
    Budget,
}

impl Transport {
    /// A builder with no auth, no extra headers and the default retry policy.
    ///
    /// Installs the crate's TLS provider (see [`crate::http::client_builder`]), so the generated
    /// `Client::new(base_url, transport)` builds its own HTTP client without panicking.
    pub fn builder() -> TransportBuilder {
        crate::http::install_tls_provider();
        TransportBuilder::default()
    }

    /// The clock this transport measures deadlines on; flows that poll wait on it too.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The same transport making one attempt per call (refreshing a rejected token still
    /// retries once), for calls whose caller retries on its own, such as a poller: nested
    /// retries would multiply the requests of every failed poll. Shares the token source, org
    /// ID, retry budget and clock.
    pub(crate) fn single_attempt(&self) -> Transport {
        let mut inner = Inner::clone(&self.inner);
        inner.policy.max_attempts = 1;
        Transport {
            inner: Arc::new(inner),
        }
    }

    /// The same transport with another retry policy (attempts, timeouts, deadline), for the few
    /// calls that need their own; shares everything else, the retry budget included.
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Transport {
        let mut inner = Inner::clone(&self.inner);
        inner.policy = policy;
        Transport {
            inner: Arc::new(inner),
        }
    }

    /// The retry policy of this transport.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.policy
    }

    /// The bytes of the state every call boxes when it is made (see [`Transport::exec`]), for
    /// the benches, which check it stays under [`PER_THREAD_CACHE_BYTES`]. Feature `test-util`.
    #[cfg(any(test, feature = "test-util"))]
    #[doc(hidden)]
    pub fn call_state_bytes(&self, client: &reqwest::Client) -> Option<usize> {
        let request = reqwest::Request::new(Method::GET, "http://127.0.0.1/".parse().ok()?);
        let span = tracing::Span::none();
        let call = self
            .call(client, request, None, span.clone())
            .instrument(span);
        Some(std::mem::size_of_val(&call))
    }

    /// Waits before retry number `retry` (1 for the first) of work a flow repeats on its own
    /// (the retryable items of a batch, a consent file download): the policy's jittered
    /// backoff, on this transport's clock.
    pub(crate) async fn wait_before_retry(&self, retry: u32) {
        let delay = self.inner.policy.backoff(retry, None);
        self.inner.clock.sleep(delay).await;
    }

    /// Takes one retry from the budget (what it cost), or `None` when none is left: for work a
    /// flow repeats on its own ([`crate::item_retry`]).
    pub(crate) fn spend_retry(&self) -> Option<u32> {
        self.inner.budget.try_spend(false)
    }

    /// Gives the budget back what a flow's retries `spent`, once they ended well.
    pub(crate) fn refund_retries(&self, spent: u32) {
        self.inner.budget.refund(spent);
    }

    /// Pauses the rate-limit bucket `name`, if this transport has it, for everyone sharing it:
    /// a batch's items answered 429.
    pub(crate) fn slow_down(&self, name: &str) {
        if let Some(bucket) = self.inner.limiters.as_ref().and_then(|l| l.bucket(name)) {
            self.pause(bucket, None);
        }
    }

    /// Pauses `bucket` for everyone sharing it after a 429: for its `Retry-After`, else
    /// [`DEFAULT_429_PAUSE`], at most the policy's `max_retry_after`.
    fn pause(&self, bucket: &Limiter, retry_after: Option<Duration>) {
        let policy = &self.inner.policy;
        bucket.slow_down(
            retry_after
                .unwrap_or(DEFAULT_429_PAUSE)
                .min(policy.max_retry_after),
        );
    }

    /// Runs `calls` (this transport's, or a client's over the same source) and gives back
    /// what they answered with the tokens their attempts sent. A flow that shows text from
    /// answers of its own reading (a batch's items, a poll's messages) removes those tokens
    /// from it with [`Transport::secrets_with`]: the tokens sent, not the source's current one,
    /// which may be newer.
    pub(crate) async fn sending<T>(
        calls: impl std::future::Future<Output = T>,
    ) -> (T, Vec<AccessToken>) {
        let sent = std::cell::RefCell::new(Vec::new());
        SENT_TOKENS
            .scope(sent, async move {
                let answered = calls.await;
                let sent = SENT_TOKENS.with(|sent| sent.take());
                (answered, sent)
            })
            .await
    }

    /// `values`, the tokens `sent` and this transport's API key: what a [`Redactor`] removes
    /// from text a flow shows from answers of its own reading.
    pub(crate) fn secrets_with(
        &self,
        sent: &[AccessToken],
        mut values: Vec<String>,
    ) -> Vec<String> {
        values.extend(sent.iter().map(|token| token.expose().to_owned()));
        self.push_secrets(None, &mut values);
        values
    }

    /// Adds `token` and the API key to `values`.
    fn push_secrets(&self, token: Option<&AccessToken>, values: &mut Vec<String>) {
        if let Some(token) = token {
            values.push(token.expose().to_owned());
        }
        if let Some((key, _)) = &self.inner.api_key {
            values.push(key.expose().to_owned());
        }
    }

    /// The redactor of a call that sent `request` (or, once that was sent itself, a request
    /// whose query was `sent_query`): its secrets, query values and body strings.
    fn redactor(
        &self,
        request: Option<&reqwest::Request>,
        sent_query: Option<&str>,
        token: Option<&AccessToken>,
    ) -> Redactor {
        let mut values: Vec<String> = Vec::new();
        self.push_secrets(token, &mut values);
        let query = match request {
            Some(request) => request.url().query(),
            None => sent_query,
        };
        if let Some(query) = query {
            values.extend(crate::redact::query_values(query));
        }
        if let Some(body) = request
            .and_then(reqwest::Request::body)
            .and_then(reqwest::Body::as_bytes)
        {
            request_body_values(body, &mut values);
        }
        Redactor::new(values)
    }

    /// Sends one call of the operation `info` of `api`: validates it, then attempts it until it
    /// succeeds, fails for good, or runs out of attempts, budget or time. The answer is read
    /// whole; a failure is shipped as a `reqwest::Error` (see the module docs).
    ///
    /// The attempt loop is boxed when the call is made, the request and the span moved into
    /// it: the future returned holds only the box. The loop's state is most of a kilobyte, and
    /// every future a caller moves (into a `FuturesUnordered`, a spawned task, a `Box`) would
    /// otherwise copy all of it, and carry the request besides. The box is kept under
    /// [`PER_THREAD_CACHE_BYTES`], which glibc's allocator serves from its per-thread cache: a
    /// larger one took about 2,000 instructions more per call (`BENCHMARKS.md`).
    pub(crate) fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        info: &OperationInfo,
        api: &'static ApiSpec,
    ) -> impl Future<Output = reqwest::Result<Answer>> + use<'a> {
        // OpenTelemetry's HTTP client names; the URL itself (its query may hold personal
        // data) is never recorded, only its host and the operation.
        let span = tracing::info_span!(
            "liveramp.call",
            "liveramp.api" = api.api,
            "liveramp.operation" = info.operation_id,
            "http.request.method" = %request.method(),
            "server.address" = request.url().host_str().unwrap_or_default(),
            "http.request.resend_count" = tracing::field::Empty,
            "http.response.status_code" = tracing::field::Empty,
            "error.type" = tracing::field::Empty,
            "latency_ms" = tracing::field::Empty,
        );
        let op = api.operation(info.operation_id);
        // The span is held by the boxed call, and read from it when the call is done.
        let mut call = Box::pin(
            self.call(client, request, op, span.clone())
                .instrument(span),
        );
        async move {
            // The clock is read for the span only, when it records anywhere (a subscriber, or
            // tracing's `log` fallback): a read is not free (a system call on some virtual
            // machines).
            let started = (!call.span().is_none()).then(|| self.inner.clock.now());
            let outcome = (&mut call).await;
            let span = call.span();
            if let Some(started) = started {
                let latency = self.inner.clock.now().saturating_duration_since(started);
                span.record("latency_ms", latency.as_millis() as u64);
            }
            match outcome {
                Ok(answer) => {
                    span.record("http.response.status_code", answer.status.as_u16());
                    span.in_scope(|| tracing::debug!("call finished"));
                    Ok(answer)
                }
                Err(error) => {
                    if let Some(status) = error.status() {
                        span.record("http.response.status_code", status.as_u16());
                    }
                    span.record("error.type", error_type(&error));
                    let code = error.api_error().and_then(|e| e.code.as_deref());
                    span.in_scope(|| {
                        tracing::debug!(
                            "liveramp.error_code" = code,
                            "liveramp.request_id" = error.request_id(),
                            error = %error,
                            "call failed"
                        );
                    });
                    // Boxed: only failures need its state, and every call's future would carry it.
                    Box::pin(ship(error)).await
                }
            }
        }
    }

    /// The attempts of one call. What needs no waiting (the transport's headers and query, the
    /// validation) is done at once; the future returned holds the request once, boxed: each
    /// attempt sends it and keeps a copy for the next.
    fn call<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
        op: Option<&'static OperationSpec>,
        span: tracing::Span,
    ) -> impl Future<Output = Result<Answer, Error>> + use<'a> {
        let inner = &*self.inner;
        if let Some(org_id) = &inner.org_id {
            request.headers_mut().insert("LR-Org-ID", org_id.clone());
        }
        if let Some((_, key)) = &inner.api_key {
            request.headers_mut().insert("x-api-key", key.clone());
        }
        if let Some((name, value)) = &inner.query
            && !request.url().query_pairs().any(|(k, _)| k == *name)
        {
            request.url_mut().query_pairs_mut().append_pair(name, value);
        }
        let invalid = match (op, inner.validate) {
            // A client built by hand may have any base URL; its credentials go over TLS only.
            _ if !crate::config::is_secure(request.url()) => Some(Box::new(Error::InvalidRequest(
                "the request's URL must be https (plain http only to loopback): nothing was sent"
                    .into(),
            ))),
            (Some(op), true) => crate::validate::check(op, &request).err().map(|v| {
                Box::new(Error::InvalidField {
                    field: v.field,
                    reason: v.reason,
                })
            }),
            _ => None,
        };
        let expects_json = request
            .headers()
            .get(ACCEPT)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let idempotent = matches!(
            *request.method(),
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD | Method::OPTIONS
        ) || op.is_some_and(|o| o.idempotent);
        let deadline = crate::retry::later(inner.clock.now(), inner.policy.deadline);
        let bucket: Option<&Limiter> = match (&inner.limiters, op.and_then(|o| o.rate_limit)) {
            (Some(limiters), Some(name)) => limiters.bucket(name),
            _ => None,
        };
        // Boxed: the future holds a pointer rather than the request (a few hundred bytes), which
        // keeps its own box small enough for the allocator's per-thread cache.
        let mut pending = Some(Box::new(request));
        // The query of a request sent itself, its body not copyable: for the redactor.
        let mut sent_query: Option<Box<str>> = None;
        async move {
            if let Some(invalid) = invalid {
                return Err(*invalid);
            }
            let policy = &inner.policy;
            let (mut attempts, mut retries, mut refreshed) = (0u32, 0u32, false);
            // What this call's retries took from the budget; a success gives it back.
            let mut spent = 0u32;
            // Whether the call has waited (for a token or the rate limit) since `deadline` was
            // set: until it has, the whole deadline is left, without reading the clock again.
            let mut waited = false;
            loop {
                let left = |clock: &dyn Clock| deadline.saturating_duration_since(clock.now());
                let out_of_time = |attempts, last| Error::DeadlineExceeded {
                    deadline: policy.deadline,
                    attempts,
                    last,
                };
                let token = match &inner.tokens {
                    // A warm cache answers without a future or a timer.
                    Some(tokens) => match tokens.ready_token() {
                        Some(token) => Some(token),
                        None => {
                            waited = true;
                            let fetched =
                                tokio::time::timeout(left(&*inner.clock), tokens.token()).await;
                            Some(fetched.map_err(|_| out_of_time(attempts, None))??)
                        }
                    },
                    None => None,
                };
                // Checked before any wait for the rate limit, which it would spend for nothing.
                let bearer = match &token {
                    Some(token) => Some(
                        {
                            note_sent(token);
                            token.bearer_header()
                        }
                        .ok_or_else(|| {
                            Error::Auth(crate::auth::AuthError::new(
                                "the access token is not a valid header value",
                            ))
                        })?,
                    ),
                    None => None,
                };
                if let Some(bucket) = bucket {
                    waited = true;
                    // Boxed: the wait (Redis's with the `redis` feature) is hundreds of bytes,
                    // which every call's state would otherwise carry.
                    tokio::time::timeout(left(&*inner.clock), Box::pin(bucket.acquire()))
                        .await
                        .map_err(|_| out_of_time(attempts, None))?;
                }
                let left_now = match (attempts, waited) {
                    (0, false) => policy.deadline,
                    _ => left(&*inner.clock),
                };
                if left_now.is_zero() {
                    return Err(out_of_time(attempts, None));
                }
                // Made by a function: a request borrowed here would be kept in this future's
                // state while the attempt runs, though it has moved into reqwest's.
                let (attempt, can_retry) = next_attempt(&mut pending, &mut sent_query, bearer)?;
                // An attempt timer as long as the time left ends at the deadline too.
                let clamped = left_now <= policy.attempt_timeout;
                let attempt_timeout = policy.attempt_timeout.min(left_now);
                attempts += 1;
                if attempts > 1 {
                    // On the call's own span: when it is filtered out, the current span is the
                    // caller's, which may have a field of this name.
                    span.record("http.request.resend_count", attempts - 1);
                }
                // The attempt's timeout is the transport's own timer around sending and reading
                // (reqwest's per-request timeout would cost an extension map and a boxed timer
                // per attempt); running out is a `reqwest::Error` that `is_timeout()`, as
                // reqwest's own would be. A timeout of the HTTP client's own still applies.
                let read = tokio::time::timeout(
                    attempt_timeout,
                    read_answer(client.execute(attempt), inner.max_body_bytes),
                )
                .await;
                // Only this timer, clamped, means the deadline has come; the HTTP client's own
                // timeout is a network failure like any other.
                let deadline_reached = read.is_err() && clamped;
                let last = match read {
                    Ok(Ok(answer)) => {
                        let status = answer.status;
                        tracing::debug!(
                            attempt = attempts,
                            "http.response.status_code" = status.as_u16(),
                            "attempt answered"
                        );
                        // LiveRamp's token pages: a 401, or a 403 for an expired token, means
                        // fetch a new one. A 403 may also be a genuine permission error: one
                        // refresh per call, so that one is answered after a single retry; a
                        // proxy's 403 page (a blocked IP) is answered at once.
                        let rejected = status == StatusCode::UNAUTHORIZED
                            || (status == StatusCode::FORBIDDEN
                                && !crate::error::is_edge_answer(
                                    status,
                                    &answer.headers,
                                    &answer.body,
                                ));
                        if let (true, Some(token), Some(tokens), false) =
                            (rejected, &token, &inner.tokens, refreshed)
                        {
                            tracing::debug!(
                                attempt = attempts,
                                status = status.as_u16(),
                                "refreshing the token once"
                            );
                            tokens.invalidate(token);
                            refreshed = true;
                            if can_retry {
                                continue;
                            }
                        }
                        if let (StatusCode::TOO_MANY_REQUESTS, Some(bucket)) = (status, bucket) {
                            // Everyone sharing the bucket waits, not only this call.
                            let wait =
                                crate::retry::retry_after(&answer.headers, inner.clock.wall());
                            self.pause(bucket, wait);
                        }
                        let done = |answer: Answer| {
                            let redactor = || {
                                self.redactor(
                                    pending.as_deref(),
                                    sent_query.as_deref(),
                                    token.as_ref(),
                                )
                            };
                            finish(answer, expects_json, op, attempts, redactor)
                        };
                        if !(is_retryable_status(status) && idempotent && can_retry) {
                            if status.is_success() {
                                inner.budget.refund(spent);
                            }
                            return done(answer);
                        }
                        let wait = crate::retry::retry_after(&answer.headers, inner.clock.wall());
                        match self.backoff(retries, wait, false, deadline) {
                            Ok((delay, cost)) => {
                                spent += cost;
                                tracing::debug!(
                                    attempt = attempts,
                                    status = status.as_u16(),
                                    delay_ms = delay.as_millis() as u64,
                                    "retrying"
                                );
                                inner.clock.sleep(delay).await;
                                retries += 1;
                                continue;
                            }
                            Err(Stop::Attempts) => return done(answer),
                            Err(stop) => {
                                let redactor = self.redactor(
                                    pending.as_deref(),
                                    sent_query.as_deref(),
                                    token.as_ref(),
                                );
                                let error = answer_error(&answer, &redactor, attempts);
                                return Err(self.stopped(stop, error, attempts));
                            }
                        }
                    }
                    Ok(Err(ReadError::TooLarge { limit })) => {
                        return Err(Error::BodyTooLarge { limit });
                    }
                    Ok(Err(ReadError::Network(error))) => Some(error),
                    Err(_) => None,
                };
                // Made once the answer is gone: awaited in the match above, its state would be
                // kept while the error is made. Boxed: only a timeout needs the error's state.
                let last = match last {
                    Some(error) => error,
                    None => Box::pin(timed_out()).await,
                };
                let kind = NetworkKind::of(&last);
                let error = Error::network(last, attempts);
                if deadline_reached {
                    return Err(out_of_time(attempts, Some(Box::new(error))));
                }
                let retryable = kind == NetworkKind::Connect || idempotent;
                if !(retryable && can_retry) {
                    return Err(error);
                }
                match self.backoff(retries, None, kind == NetworkKind::Timeout, deadline) {
                    Ok((delay, cost)) => {
                        spent += cost;
                        tracing::debug!(attempt = attempts, reason = %kind, delay_ms = delay.as_millis() as u64, "retrying");
                        inner.clock.sleep(delay).await;
                        retries += 1;
                    }
                    Err(Stop::Attempts) => return Err(error),
                    Err(stop) => return Err(self.stopped(stop, error, attempts)),
                }
            }
        }
    }

    /// The wait before the next retry and what it took from the budget, or why there is none:
    /// out of attempts, out of budget, or a retry that would not have `min_attempt_time` left
    /// after its wait.
    fn backoff(
        &self,
        retries: u32,
        retry_after: Option<Duration>,
        after_timeout: bool,
        deadline: tokio::time::Instant,
    ) -> Result<(Duration, u32), Stop> {
        let inner = &*self.inner;
        if retries + 1 >= inner.policy.max_attempts {
            return Err(Stop::Attempts);
        }
        let delay = inner.policy.backoff(retries + 1, retry_after);
        let needed = delay.saturating_add(inner.policy.min_attempt_time);
        if needed > deadline.saturating_duration_since(inner.clock.now()) {
            return Err(Stop::Deadline);
        }
        match inner.budget.try_spend(after_timeout) {
            Some(cost) => Ok((delay, cost)),
            None => Err(Stop::Budget),
        }
    }

    /// The error of a call that stopped retrying after `attempts`, `last` being its last failure.
    fn stopped(&self, stop: Stop, last: Error, attempts: u32) -> Error {
        match stop {
            Stop::Attempts => last,
            Stop::Deadline => Error::DeadlineExceeded {
                deadline: self.inner.policy.deadline,
                attempts,
                last: Some(Box::new(last)),
            },
            Stop::Budget => Error::RetryBudgetExhausted {
                attempts,
                last: Box::new(last),
            },
        }
    }
}

/// OpenTelemetry's `error.type` of a failed call: the status code, or what went wrong.
fn error_type(error: &Error) -> &str {
    match error {
        Error::Network { kind, .. } => match kind {
            NetworkKind::Connect => "connect",
            NetworkKind::Timeout => "timeout",
            NetworkKind::Request => "request",
            NetworkKind::Body => "body",
        },
        Error::DeadlineExceeded { .. } => "deadline",
        Error::RetryBudgetExhausted { .. } => "retry_budget",
        Error::Auth(_) => "auth",
        Error::InvalidField { .. } | Error::InvalidRequest(_) => "invalid_request",
        Error::Decode { .. } | Error::EmptyBody { .. } => "decode",
        Error::BodyTooLarge { .. } => "body_too_large",
        Error::Edge(_) => "edge",
        Error::Api(e) => e.status.as_str(),
        _ => "other",
    }
}

/// Awaits one attempt (`sent`, reqwest's future for it) and reads the answer, so a body cut off
/// mid-read fails the attempt. A success body is read whole up to `limit` bytes; an error body
/// up to [`MAX_ERROR_BODY_BYTES`], the rest left unread. The head is taken once the body is
/// read: the future then holds the response only while it reads, not an answer besides.
async fn read_answer(
    sent: impl Future<Output = reqwest::Result<reqwest::Response>>,
    limit: usize,
) -> Result<Answer, ReadError> {
    let mut response = sent.await.map_err(ReadError::Network)?;
    let (cap, overflow) = if response.status().as_u16() >= 400 {
        (MAX_ERROR_BODY_BYTES, Overflow::Truncate)
    } else {
        (limit, Overflow::Fail)
    };
    let body = read_body(&mut response, cap, overflow).await?;
    Ok(Answer {
        status: response.status(),
        version: response.version(),
        // Moved out rather than cloned.
        headers: std::mem::take(response.headers_mut()),
        body,
    })
}

/// The request of the next attempt, with the `bearer` header, and whether `pending` still
/// holds the call's request for another. A body that cannot be copied (a stream) is sent once,
/// with no retry; the request's query is then kept in `sent_query`, for the redactor.
///
/// The header goes into the call's request before it is copied, and the request itself is sent
/// while its copy is kept for the next attempt: a copy's header map is full, so adding a header
/// to it (the bearer, or the HTTP client's default headers, which reqwest adds as it sends)
/// grows it, while the request the builder made has room. Only a retry sends a copy.
fn next_attempt(
    pending: &mut Option<Box<reqwest::Request>>,
    sent_query: &mut Option<Box<str>>,
    bearer: Option<&HeaderValue>,
) -> Result<(reqwest::Request, bool), Error> {
    let sent = || Error::Other("the request was already sent".into());
    let request = pending.as_deref_mut().ok_or_else(sent)?;
    if let Some(bearer) = bearer {
        request.headers_mut().insert(AUTHORIZATION, bearer.clone());
    }
    let attempt = match attempt_copy(request) {
        Some(copy) => std::mem::replace(request, copy),
        None => {
            *sent_query = request.url().query().map(Box::from);
            *pending.take().ok_or_else(sent)?
        }
    };
    Ok((attempt, pending.is_some()))
}

/// A copy of `request` for the next attempt, if its body can be copied. Without a body or a
/// timeout of its own (the only extension reqwest reads) it is built field by field:
/// `Request::try_clone` also gives every copy a timeout extension (a map and a box), even when
/// the request has none.
fn attempt_copy(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() || request.timeout().is_some() {
        return request.try_clone();
    }
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    Some(copy)
}

/// The error of an attempt that ran out of time: reqwest's body error for an
/// `io::ErrorKind::TimedOut` failure, so that `is_timeout()` is true (`Error::Network` carries
/// a `reqwest::Error`, and reqwest's cannot be built by hand). It is a body error
/// (`is_body()`), whenever the time ran out; `NetworkKind::of` asks `is_timeout()` first.
async fn timed_out() -> reqwest::Error {
    crate::http::body_error(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the attempt ran out of time",
    ))
    .await
}

fn answer_error(answer: &Answer, redactor: &Redactor, attempts: u32) -> Error {
    Error::from_answer_of(
        answer.status,
        &answer.headers,
        &answer.body,
        redactor,
        attempts,
    )
}

/// The values of a request body to keep out of errors: the strings of a JSON body, the values
/// of a form body, and the query values inside either (AbiliTec batch items are query strings).
fn request_body_values(body: &[u8], values: &mut Vec<String>) {
    /// Enough for a 1,000-item batch; a larger body still has its first values removed.
    const MAX_VALUES: usize = 10_000;
    let mut strings = Vec::new();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => crate::redact::json_strings(&json, MAX_VALUES, &mut strings),
        Err(_) => strings.extend(
            url::form_urlencoded::parse(body)
                .take(MAX_VALUES)
                .map(|(_, v)| v.into_owned()),
        ),
    }
    for text in strings {
        if let Some((_, query)) = text.split_once('?') {
            values.extend(crate::redact::query_values(query).take(MAX_VALUES));
        }
        values.push(text);
    }
}

/// The final answer for the generated code, unless its body is not the JSON it should be: a
/// page from a proxy, malformed JSON, or nothing where the spec documents a document. Those
/// become our own error here, where the status is still known; a success body that opens like
/// a JSON document is checked only by the typed decode that follows.
fn finish(
    answer: Answer,
    expects_json: bool,
    op: Option<&OperationSpec>,
    attempts: u32,
    redactor: impl FnOnce() -> Redactor,
) -> Result<Answer, Error> {
    // Every error status becomes the crate's error here, where the headers, the attempts and
    // what the call sent are known; so does a success the operation does not document, which
    // the generated code would hand on unread, where nothing it echoes could be redacted.
    let status = answer.status.as_u16();
    if status >= 400 || op.is_some_and(|o| !o.documents(status)) {
        return Err(answer_error(&answer, &redactor(), attempts));
    }
    if !expects_json {
        return Ok(answer);
    }
    let body = answer.body.trim_ascii();
    if body.is_empty() {
        let success = answer.status.is_success();
        let json_success = op.is_some_and(|o| o.json_success);
        return match (success, answer.status) {
            (true, StatusCode::NO_CONTENT) => Ok(answer),
            (true, status) if json_success => Err(Error::EmptyBody { status }),
            (true, _) => Ok(answer),
            (false, _) => Err(answer_error(&answer, &redactor(), attempts)),
        };
    }
    // A success that opens like a JSON document is left to the generated client's typed decode
    // (whose failure becomes `Error::Decode`): checking it here would parse every page twice.
    if answer.status.is_success() && matches!(body.first(), Some(b'{' | b'[')) {
        return Ok(answer);
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Err(_) => Err(answer_error(&answer, &redactor(), attempts)),
        Ok(_) => Ok(answer),
    }
}

/// progenitor's `ClientHooks::exec` for a generated client whose base URL is `base_url`: a
/// request built by hand may name any URL, and the transport adds the client's credentials, so
/// one for another origin is refused unsent. `send` sends through the transport.
pub(crate) async fn hook_exec<F>(
    base_url: &str,
    request: reqwest::Request,
    send: impl FnOnce(reqwest::Request) -> F,
) -> reqwest::Result<reqwest::Response>
where
    F: Future<Output = reqwest::Result<Answer>>,
{
    let same_origin =
        reqwest::Url::parse(base_url).is_ok_and(|base| base.origin() == request.url().origin());
    let answer = if same_origin {
        send(request).await
    } else {
        ship(Error::InvalidRequest(
            "the request's URL is not on the client's base URL's origin".into(),
        ))
        .await
    };
    answer.map(Answer::into_response)
}

/// Decodes a JSON answer for the generated clients, in place of progenitor's
/// `ResponseValue::from_response`, which takes a `reqwest::Response`, clones its header map and
/// reads its body a second time: the body the transport read is decoded, and the headers move.
#[allow(
    clippy::result_large_err,
    reason = "the generated operations return progenitor's error type"
)]
pub(crate) fn typed_response<T: serde::de::DeserializeOwned, E>(
    answer: Answer,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
    let inner = serde_json::from_slice(&answer.body)
        .map_err(|e| progenitor_client::Error::InvalidResponsePayload(answer.body, e))?;
    Ok(progenitor_client::ResponseValue::new(
        inner,
        answer.status,
        answer.headers,
    ))
}

/// An answer without a body for the generated clients, in place of progenitor's
/// `ResponseValue::empty`.
pub(crate) fn empty_response(answer: Answer) -> progenitor_client::ResponseValue<()> {
    progenitor_client::ResponseValue::new((), answer.status, answer.headers)
}

/// Wraps `error` in a `reqwest::Error` (see the module docs): reqwest's body error for a body
/// whose stream yields `error` has it in its source chain.
async fn ship(error: Error) -> reqwest::Result<Answer> {
    Err(crate::http::body_error(Carried::new(error)).await)
}

/// Routes a generated `Client`'s requests through its [`Transport`], with the operation table
/// generated beside it (`OPERATION_SPECS`). The generated operations call `send_buffered`
/// (codegen's `answer` pass puts it in place of progenitor's hooks); progenitor's
/// `ClientHooks::exec`, public for requests built by hand, takes the same route for a request on
/// the base URL's origin only ([`hook_exec`]) and rebuilds a `reqwest::Response` (whose URL is
/// reqwest's placeholder: the real one may hold personal data in its query).
macro_rules! impl_client_hooks {
    ($client:ty) => {
        impl ::progenitor_client::ClientHooks<$crate::transport::Transport> for $client {
            async fn exec(
                &self,
                request: ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> ::reqwest::Result<::reqwest::Response> {
                $crate::transport::hook_exec(&self.baseurl, request, |request| {
                    self.send_buffered(request, info)
                })
                .await
            }
        }

        impl $client {
            /// Sends `request`, the operation `info`, through this client's transport and
            /// reads its answer whole.
            pub(crate) fn send_buffered<'a>(
                &'a self,
                request: ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> impl ::std::future::Future<Output = ::reqwest::Result<$crate::transport::Answer>>
            + use<'a> {
                self.inner
                    .exec(&self.client, request, info, &OPERATION_SPECS)
            }
        }

        impl $client {
            /// This client with another retry policy (attempts, per-attempt timeout, deadline),
            /// for the calls that need their own; it shares everything else with `self`.
            pub fn with_retry_policy(&self, policy: $crate::retry::RetryPolicy) -> Self {
                Self::new_with_client(
                    &self.baseurl,
                    self.client.clone(),
                    self.inner.with_retry_policy(policy),
                )
            }

            /// This client with another overall deadline per call.
            pub fn with_timeout(&self, deadline: ::std::time::Duration) -> Self {
                let mut policy = self.inner.retry_policy().clone();
                policy.deadline = deadline;
                self.with_retry_policy(policy)
            }
        }
    };
}
pub(crate) use impl_client_hooks;

mod query;

pub(crate) use query::{QueryText, url_text};

#[cfg(test)]
mod tests;
