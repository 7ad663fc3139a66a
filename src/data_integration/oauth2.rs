//! OAuth2 credentials for a new connection: start a request, let the user consent at
//! `auth_uri`, then poll for the provider's credentials within the request's validity window.
#![warn(missing_docs)]

use std::fmt;
use std::ops::RangeInclusive;
use std::time::{Duration, SystemTime};

use futures::Stream;
use tokio::time::Instant;

use super::{Client, types};
use crate::Error;
use crate::auth::{AccessToken, Secret};
use crate::poll::{
    FlowError, PollConfig, PollError, PollEvent, PollState, Poller, classify_api_error,
};
use crate::redact::Redactor;

/// What one poll of the credentials tells: the answer's `message`, or the credentials.
type CredentialsEvent = PollEvent<Option<String>, ProviderCredentials>;

/// The validity windows the API accepts, in seconds (5 minutes to 12 hours).
pub const VALIDITY_SECONDS: RangeInclusive<u64> = 300..=43_200;

impl Client {
    /// Starts an OAuth2 credentials request for data source `datasource_id`, valid for
    /// `validity` (whole seconds within [`VALIDITY_SECONDS`], checked before sending).
    pub async fn request_oauth2_credentials(
        &self,
        datasource_id: &str,
        validity: Duration,
    ) -> Result<PendingCredentials, FlowError<Error>> {
        let seconds = validity.as_secs();
        if validity.subsec_nanos() != 0 || !VALIDITY_SECONDS.contains(&seconds) {
            return Err(FlowError::Invalid(format!(
                "validity_duration must be whole seconds within {}..={}",
                VALIDITY_SECONDS.start(),
                VALIDITY_SECONDS.end()
            )));
        }
        let validity_duration = i32::try_from(seconds)
            .map_err(|_| FlowError::Invalid("validity_duration out of range".to_owned()))?;
        let started = self.inner.clock().now();
        let answer = self
            .create_oauth2_request()
            .body(types::NewOAuth2Request {
                datasource_id: datasource_id.to_owned(),
                validity_duration,
            })
            .send()
            .await
            .map_err(FlowError::Request)?
            .into_inner();
        Ok(PendingCredentials {
            client: self.clone(),
            auth_uri: answer
                .auth_uri
                .map(Secret::into_inner)
                .filter(|uri| !uri.trim().is_empty())
                .map(|uri| crate::config::answered_url(uri, "a consent URL (auth_uri)"))
                .transpose()
                .map_err(FlowError::Request)?,
            pull_id: answer.pull_id.into_inner(),
            validity,
            expires: started + validity,
            expires_at: SystemTime::now() + validity,
            config: whole_window(validity),
        })
    }

    /// Picks up the wait for the credentials request `pull_id` (from
    /// [`PendingCredentials::pull_id`]), in this process or another, until `expires_at` (from
    /// [`PendingCredentials::expires_at`]): a web backend starts the request in one request and
    /// waits for it in the one the browser comes back to. A window that would end past the
    /// longest [`VALIDITY_SECONDS`] allows (an `expires_at` stored wrong, or tampered with)
    /// ends there.
    pub fn resume_oauth2_credentials(
        &self,
        pull_id: impl Into<String>,
        expires_at: SystemTime,
    ) -> PendingCredentials {
        let now = SystemTime::now();
        let longest = Duration::from_secs(*VALIDITY_SECONDS.end());
        let left = expires_at
            .duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(longest);
        let expires_at = expires_at.min(now + left);
        PendingCredentials {
            client: self.clone(),
            auth_uri: None,
            pull_id: pull_id.into(),
            validity: left,
            expires: crate::retry::later(self.inner.clock().now(), left),
            expires_at,
            config: whole_window(left),
        }
    }
}

/// A credentials request waiting for the user's consent at [`PendingCredentials::auth_uri`].
pub struct PendingCredentials {
    client: Client,
    auth_uri: Option<String>,
    pull_id: String,
    validity: Duration,
    expires: Instant,
    expires_at: SystemTime,
    config: PollConfig,
}

impl fmt::Debug for PendingCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pull ID is a handle on the credentials: kept out of logs.
        f.debug_struct("PendingCredentials")
            .field("validity", &self.validity)
            .finish_non_exhaustive()
    }
}

impl PendingCredentials {
    /// The provider's consent page: open it in a browser, but do not log it (its query ties
    /// the consent to the request). The reference documents it as optional (its sample answer
    /// has only `pull_id`), so an answer may lack it; `None` too for a resumed request.
    pub fn auth_uri(&self) -> Option<&str> {
        self.auth_uri.as_deref()
    }

    /// The request's ID: keep it, with [`expires_at`](Self::expires_at), to resume the wait
    /// elsewhere with [`Client::resume_oauth2_credentials`]. Keep it as a secret (never log
    /// it): until the window ends, it answers the provider's access token.
    pub fn pull_id(&self) -> &str {
        &self.pull_id
    }

    /// When the validity window ends, on the wall clock.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The validity window asked for (what was left of it, for a resumed request).
    pub fn validity(&self) -> Duration {
        self.validity
    }

    /// Paces the polling (default [`PollConfig::interactive`] with the whole validity window
    /// as its deadline); its deadline is always cut to the end of the window.
    pub fn poll_config(mut self, config: PollConfig) -> Self {
        self.config = config;
        self
    }

    /// Waits for the credentials; [`FlowError::ValidityExpired`] once the window has ended
    /// (a shorter deadline of [`poll_config`](Self::poll_config)'s ends it as
    /// [`FlowError::Wait`]).
    pub async fn wait(self) -> Result<ProviderCredentials, FlowError<Error>> {
        let (validity, expires, clock) = (
            self.validity,
            self.expires,
            self.client.inner.clock().clone(),
        );
        self.progress_inner()
            .await
            .map_err(|error| expired_or(error, validity, expires, clock.now()))
    }

    /// The answers' `message`s while the user has not finished, then the credentials; a stream
    /// whose errors are those of [`PendingCredentials::wait`].
    // The crate's Error is large; boxing it here alone would make the flows inconsistent.
    #[allow(clippy::result_large_err)]
    pub fn progress(
        self,
    ) -> impl Stream<Item = Result<PollEvent<Option<String>, ProviderCredentials>, FlowError<Error>>>
    + Unpin {
        use futures::StreamExt;
        let (validity, expires, clock) = (
            self.validity,
            self.expires,
            self.client.inner.clock().clone(),
        );
        self.progress_inner().map(move |item| {
            item.map_err(|error| expired_or(error, validity, expires, clock.now()))
        })
    }

    fn progress_inner(
        self,
    ) -> impl Stream<Item = Result<CredentialsEvent, PollError<Error>>>
    + std::future::IntoFuture<Output = Result<ProviderCredentials, PollError<Error>>>
    + Unpin {
        let clock = self.client.inner.clock().clone();
        // One attempt per fetch: the poller tolerates and paces transient failures itself.
        let client = Client::new_with_client(
            &self.client.baseurl,
            self.client.client.clone(),
            self.client.inner.single_attempt(),
        );
        // The request's own values, kept out of the messages the answers carry with the
        // client's secrets.
        let own: Vec<String> = std::iter::once(self.pull_id.clone())
            .chain(
                self.auth_uri
                    .iter()
                    .flat_map(|uri| crate::redact::url_values(uri)),
            )
            .collect();
        let transport = self.client.inner.clone();
        let (pull_id, auth_uri) = (self.pull_id, self.auth_uri);
        Poller::new(
            self.config,
            move || {
                let (client, pull_id, auth_uri) =
                    (client.clone(), pull_id.clone(), auth_uri.clone());
                Box::pin(async move {
                    let fetch = client
                        .get_oauth2_credentials()
                        .body(types::OAuth2CredentialsQuery {
                            auth_uri: auth_uri.map(Secret::from),
                            pull_id: pull_id.into(),
                        })
                        .send();
                    let (answer, sent) = crate::transport::Transport::sending(fetch).await;
                    answer.map(|answer| (answer.into_inner(), sent))
                })
            },
            move |(answer, sent): (types::OAuth2Credentials, Vec<AccessToken>)| {
                // The tokens this fetch sent: over a wait of hours, the token is first fetched,
                // or refreshed, during it.
                let values = transport.secrets_with(&sent, own.clone());
                classify_credentials(answer, &values)
            },
        )
        .classify_errors(classify_api_error)
        .clock(clock)
        .end_by(self.expires)
    }
}

/// The polling paced as [`PollConfig::interactive`], for as long as the window `validity`.
fn whole_window(validity: Duration) -> PollConfig {
    let mut config = PollConfig::interactive();
    config.deadline = validity;
    config
}

/// A deadline that ended the wait at or after `expires` (`now`) is the end of the validity
/// window; an earlier one is the poll configuration's own.
fn expired_or(
    error: PollError<Error>,
    validity: Duration,
    expires: Instant,
    now: Instant,
) -> FlowError<Error> {
    match error {
        PollError::DeadlineExceeded { polls, .. } if now >= expires => {
            FlowError::ValidityExpired { validity, polls }
        }
        other => FlowError::Wait(other),
    }
}

/// Done once an `access_token` arrives; a 4xx `status` without one (other than 404, 408 and
/// 429) is a refusal; anything else is still pending. The statuses of unfinished requests are
/// not documented: this reading is inferred. Every answer's `message` has `values` (the
/// request's and the client's secrets), the access token the answer carries, bearer tokens and
/// JWTs removed.
fn classify_credentials(
    answer: types::OAuth2Credentials,
    values: &[String],
) -> PollState<Option<String>, ProviderCredentials> {
    let token = answer
        .access_token
        .as_ref()
        .map(|token| token.expose())
        .filter(|token| !token.is_empty());
    // Built only for an answer with a message.
    let message = answer.message.as_ref().map(|message| {
        let redactor = Redactor::new(values.iter().map(String::as_str).chain(token));
        crate::error::server_text(message, &redactor)
    });
    match (token, answer.status) {
        (Some(token), _) => PollState::Done(ProviderCredentials {
            access_token: AccessToken::new(token),
            message,
            user_id: answer.user_id,
            client_id: answer.client_id,
        }),
        (None, Some(status))
            if (400..500).contains(&status) && ![404, 408, 429].contains(&status) =>
        {
            PollState::Failed(message.unwrap_or_else(|| format!("refused with status {status}")))
        }
        (None, _) => PollState::Pending(message),
    }
}

/// The provider's credentials; the access token never appears in `Debug`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProviderCredentials {
    /// The provider's access token, for the new connection's `credentials`.
    pub access_token: AccessToken,
    /// A human-readable outcome.
    pub message: Option<String>,
    /// The user's ID at the provider.
    pub user_id: Option<i64>,
    /// The ID of the provider's OAuth2 client.
    pub client_id: Option<i64>,
}
