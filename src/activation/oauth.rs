//! OAuth connections: authorize LiveRamp on a platform, then connect an integration with it.
//!
//! [`Client::start_oauth_connection`] posts an OAuth connection attempt for an integration's
//! `oAuthEndpointID`, fetches the attempt for its `authorizationUrl` and hands back a
//! [`PendingAuthorization`]: send the user to [`PendingAuthorization::authorization_url`], then
//! [`PendingAuthorization::wait`] for the `oAuthConnectionID` or follow
//! [`PendingAuthorization::progress`]. [`Client::create_connection_from_integration`] checks an
//! integration's requirements before it creates a connection to it.
#![warn(missing_docs)]

use std::fmt;

use futures::Stream;

use super::{Client, types};
use crate::Error;
use crate::poll::{
    ErrorClass, FlowError, PollConfig, PollError, PollEvent, PollState, Poller, classify_api_error,
};

impl Client {
    /// Starts an OAuth connection for `oauth_endpoint_id`, an integration's `oAuthEndpointID`.
    pub fn start_oauth_connection(
        &self,
        oauth_endpoint_id: impl Into<String>,
    ) -> StartOAuthConnection<'_> {
        StartOAuthConnection {
            client: self,
            input: types::OAuthConnectionAttemptInput {
                oauth_endpoint_id: oauth_endpoint_id.into(),
                oauth_connection_id: None,
                redirect_url: None,
                state: None,
            },
            url_wait: PollConfig::brief(),
            wait: PollConfig::interactive(),
        }
    }

    /// Picks up the wait for the OAuth connection attempt `attempt_id` (from
    /// [`PendingAuthorization::attempt_id`]), in this process or another: a web backend starts
    /// the attempt in one request and waits for it in the one the browser comes back to.
    /// Fetches the attempt once for its URL and status.
    pub async fn resume_oauth_connection(
        &self,
        attempt_id: impl Into<String>,
    ) -> Result<PendingAuthorization, FlowError<Error>> {
        let attempt_id = attempt_id.into();
        let attempt = self
            .get_oauth_connection_attempt()
            .attempt_id(attempt_id.as_str())
            .send()
            .await
            .map_err(FlowError::Request)?
            .into_inner();
        Ok(PendingAuthorization {
            client: self.clone(),
            attempt_id,
            authorization_url: login_url(attempt.authorization_url)?,
            status: attempt.status,
            config: PollConfig::interactive(),
        })
    }

    /// Re-authorizes the existing OAuth connection `oauth_connection_id` of
    /// `oauth_endpoint_id` (expired or revoked consent, changed password).
    pub fn reauthorize_oauth_connection(
        &self,
        oauth_endpoint_id: impl Into<String>,
        oauth_connection_id: impl Into<String>,
    ) -> StartOAuthConnection<'_> {
        self.start_oauth_connection(oauth_endpoint_id)
            .reauthorize(oauth_connection_id)
    }

    /// Creates a connection to `integration` of destination `destination_id`, after checking
    /// locally that `request` gives every required property and, when the integration needs
    /// OAuth, an `oAuthConnectionID`. Returns the new connection's ID.
    pub async fn create_connection_from_integration(
        &self,
        destination_id: &str,
        integration: &types::Integration,
        request: ConnectionRequest,
    ) -> Result<String, FlowError<Error>> {
        let input = request.into_input(destination_id, integration)?;
        let created = self
            .create_integration_connection()
            .body(input)
            .send()
            .await
            .map_err(FlowError::Request)?;
        Ok(created.into_inner().id)
    }
}

/// Starts an OAuth connection attempt; see [`Client::start_oauth_connection`]. `Debug` leaves
/// out its input (its `state` may be a secret of yours).
#[must_use = "nothing is sent until `send` is awaited"]
pub struct StartOAuthConnection<'a> {
    client: &'a Client,
    input: types::OAuthConnectionAttemptInput,
    url_wait: PollConfig,
    wait: PollConfig,
}

impl std::fmt::Debug for StartOAuthConnection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartOAuthConnection")
            .field("url_wait", &self.url_wait)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl StartOAuthConnection<'_> {
    /// Where the user's browser goes once the flow is complete (https, or http on loopback).
    pub fn redirect_url(mut self, redirect_url: impl Into<String>) -> Self {
        self.input.redirect_url = Some(redirect_url.into());
        self
    }

    /// An opaque value of yours, kept on the attempt.
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.input.state = Some(crate::auth::Secret::new(state));
        self
    }

    /// Re-authorizes this existing OAuth connection instead of creating a new one.
    pub fn reauthorize(mut self, oauth_connection_id: impl Into<String>) -> Self {
        self.input.oauth_connection_id = Some(oauth_connection_id.into());
        self
    }

    /// Pacing of the fetches that wait for `authorizationUrl` (default [`PollConfig::brief`]).
    pub fn url_poll_config(mut self, config: PollConfig) -> Self {
        self.url_wait = config;
        self
    }

    /// Pacing of the wait for the user (default [`PollConfig::interactive`], 10 minutes).
    pub fn poll_config(mut self, config: PollConfig) -> Self {
        self.wait = config;
        self
    }

    /// Posts the attempt and fetches it until it carries its `authorizationUrl`.
    pub async fn send(self) -> Result<PendingAuthorization, FlowError<Error>> {
        if let Some(url) = &self.input.redirect_url {
            crate::config::check_url(url)
                .map_err(|e| FlowError::Invalid(format!("redirect URL: {e}")))?;
        }
        let attempt_id = self
            .client
            .create_oauth_connection_attempt()
            .body(self.input)
            .send()
            .await
            .map_err(FlowError::Request)?
            .into_inner()
            .id
            .to_string();
        let transport = self.client.inner.clone();
        let attempt = Poller::new(
            self.url_wait,
            fetch_attempt(self.client.clone(), attempt_id.clone()),
            move |(attempt, sent): Fetched| {
                if attempt.status == types::OAuthConnectionAttemptStatus::Failed {
                    PollState::Failed(failure_detail(&attempt, &sent, &transport))
                } else if attempt.authorization_url.expose().trim().is_empty() {
                    PollState::Pending(())
                } else {
                    PollState::Done(attempt)
                }
            },
        )
        .clock(self.client.inner.clock().clone())
        .classify_errors(|error: &Error| match error {
            // A first answer without its `authorizationUrl` does not decode: fetch it again.
            Error::Decode { .. } => ErrorClass::Transient { retry_after: None },
            other => classify_api_error(other),
        })
        .await
        .map_err(FlowError::Wait)?;
        Ok(PendingAuthorization {
            client: self.client.clone(),
            attempt_id,
            authorization_url: login_url(attempt.authorization_url)?,
            status: attempt.status,
            config: self.wait,
        })
    }
}

/// An OAuth connection attempt waiting for the user to authorize LiveRamp.
pub struct PendingAuthorization {
    client: Client,
    attempt_id: String,
    authorization_url: String,
    status: types::OAuthConnectionAttemptStatus,
    config: PollConfig,
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("attempt_id", &self.attempt_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    /// The platform's login page: send the user there.
    pub fn authorization_url(&self) -> &str {
        &self.authorization_url
    }

    /// The attempt's ID: keep it to resume the wait elsewhere with
    /// [`Client::resume_oauth_connection`].
    pub fn attempt_id(&self) -> &str {
        &self.attempt_id
    }

    /// Pacing of the wait for the user (default [`PollConfig::interactive`], 10 minutes).
    pub fn poll_config(mut self, config: PollConfig) -> Self {
        self.config = config;
        self
    }

    /// The attempt's status when its URL was fetched.
    pub fn status(&self) -> &types::OAuthConnectionAttemptStatus {
        &self.status
    }

    /// Waits for the user: the `oAuthConnectionID` once the attempt is `AUTHORIZED`, its
    /// `statusDetail` in [`PollError::Failed`] (inside [`FlowError::Wait`]) if it is `FAILED`.
    pub async fn wait(self) -> Result<String, FlowError<Error>> {
        self.poller().await.map_err(FlowError::Wait)
    }

    /// The attempt's `PENDING`/`PROCESSING` statuses as they are seen, then the
    /// `oAuthConnectionID`; its errors are those of [`PendingAuthorization::wait`].
    // The crate's Error is large; boxing it here alone would make the flows inconsistent.
    #[allow(clippy::result_large_err)]
    pub fn progress(self) -> impl Stream<Item = Result<AttemptEvent, FlowError<Error>>> + Unpin {
        use futures::StreamExt;
        self.poller().map(|item| item.map_err(FlowError::Wait))
    }

    fn poller(
        self,
    ) -> impl Stream<Item = Result<AttemptEvent, PollError<Error>>>
    + std::future::IntoFuture<Output = Result<String, PollError<Error>>>
    + Unpin {
        let clock = self.client.inner.clock().clone();
        let transport = self.client.inner.clone();
        Poller::new(
            self.config,
            fetch_attempt(self.client, self.attempt_id),
            move |fetched| classify_attempt(fetched, &transport),
        )
        .clock(clock)
        .classify_errors(classify_api_error)
    }
}

/// What one fetch of an attempt tells: its status, or the `oAuthConnectionID`.
type AttemptEvent = PollEvent<types::OAuthConnectionAttemptStatus, String>;

/// An attempt's `authorizationUrl`, when it is https (or loopback), or empty (a resumed attempt
/// whose URL is not there yet).
fn login_url(url: crate::auth::Secret) -> Result<String, FlowError<Error>> {
    match url.expose().trim().is_empty() {
        true => Ok(String::new()),
        false => crate::config::answered_url(url.into_inner(), "an authorization URL")
            .map_err(FlowError::Request),
    }
}

/// A fetched attempt, and the tokens its fetch sent.
type Fetched = (types::OAuthConnectionAttempt, Vec<crate::auth::AccessToken>);

/// A closure fetching the attempt `attempt_id`, one request per call.
fn fetch_attempt(
    client: Client,
    attempt_id: String,
) -> impl FnMut() -> futures::future::BoxFuture<'static, Result<Fetched, Error>> + Unpin {
    // One attempt per fetch: the poller tolerates and paces transient failures itself.
    let client = Client::new_with_client(
        &client.baseurl,
        client.client.clone(),
        client.inner.single_attempt(),
    );
    move || {
        let client = client.clone();
        let attempt_id = attempt_id.clone();
        Box::pin(async move {
            let fetch = client
                .get_oauth_connection_attempt()
                .attempt_id(attempt_id.as_str())
                .send();
            let (answer, sent) = crate::transport::Transport::sending(fetch).await;
            answer.map(|answer| (answer.into_inner(), sent))
        })
    }
}

/// `AUTHORIZED` with its `oAuthConnectionID` is done, `FAILED` failed, anything else pending.
fn classify_attempt(
    (attempt, sent): Fetched,
    transport: &crate::transport::Transport,
) -> PollState<types::OAuthConnectionAttemptStatus, String> {
    use types::OAuthConnectionAttemptStatus as Status;
    match (&attempt.status, &attempt.oauth_connection_id) {
        (Status::Authorized, Some(id)) if !id.is_empty() => PollState::Done(id.clone()),
        (Status::Failed, _) => PollState::Failed(failure_detail(&attempt, &sent, transport)),
        _ => PollState::Pending(attempt.status),
    }
}

/// The attempt's `statusDetail` with its authorization URL (and its handles), its state,
/// the tokens `sent` by the fetch that answered it and the API key of `transport`, bearer
/// tokens and JWTs removed, clipped as an error's text is.
fn failure_detail(
    attempt: &types::OAuthConnectionAttempt,
    sent: &[crate::auth::AccessToken],
    transport: &crate::transport::Transport,
) -> String {
    match &attempt.status_detail {
        Some(detail) if !detail.trim().is_empty() => {
            let mut own = crate::redact::url_values(attempt.authorization_url.expose());
            own.extend(
                attempt
                    .state
                    .as_ref()
                    .map(|state| state.expose().to_owned()),
            );
            let redactor = crate::redact::Redactor::new(transport.secrets_with(sent, own));
            crate::error::server_text(detail, &redactor)
        }
        _ => "FAILED without a statusDetail".to_owned(),
    }
}

/// What a new integration connection gives: property values, device types and, for an
/// integration with an `oAuthEndpointID`, the `oAuthConnectionID` to deliver with. `Debug`
/// names the properties without their values (often a platform's API keys).
#[derive(Clone, Default)]
pub struct ConnectionRequest {
    properties: Vec<(String, String)>,
    device_types: Vec<types::DeviceType>,
    oauth_connection_id: Option<String>,
    distribution_manager_name: Option<String>,
}

impl std::fmt::Debug for ConnectionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let properties: Vec<&str> = self.properties.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ConnectionRequest")
            .field("properties", &properties)
            .field("device_types", &self.device_types)
            .field("oauth_connection_id", &self.oauth_connection_id)
            .field("distribution_manager_name", &self.distribution_manager_name)
            .finish()
    }
}

impl ConnectionRequest {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets property `key` (a `requiredProperties` name) to `value`.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }

    /// Adds a device type to match segments to.
    pub fn device_type(mut self, device_type: types::DeviceType) -> Self {
        self.device_types.push(device_type);
        self
    }

    /// The OAuth connection to deliver with (from [`PendingAuthorization::wait`]).
    pub fn oauth_connection_id(mut self, id: impl Into<String>) -> Self {
        self.oauth_connection_id = Some(id.into());
        self
    }

    /// Also creates a distribution manager of this name on the new connection.
    pub fn distribution_manager_name(mut self, name: impl Into<String>) -> Self {
        self.distribution_manager_name = Some(name.into());
        self
    }

    /// The create body for `integration` of `destination_id`, or why it would be refused.
    // The crate's Error is large; boxing it here alone would make the flows inconsistent.
    #[allow(clippy::result_large_err)]
    pub fn into_input(
        self,
        destination_id: &str,
        integration: &types::Integration,
    ) -> Result<types::IntegrationConnectionInput, FlowError<Error>> {
        let missing: Vec<&str> = integration
            .required_properties
            .iter()
            .map(|required| required.name.as_str())
            .filter(|name| {
                !self
                    .properties
                    .iter()
                    .any(|(key, value)| key == name && !value.trim().is_empty())
            })
            .collect();
        // The integration's ID and names are the server's text, shown as such.
        let invalid = |message: String| {
            FlowError::Invalid(crate::error::server_text(
                &message,
                &crate::redact::Redactor::default(),
            ))
        };
        if !missing.is_empty() {
            return Err(invalid(format!(
                "integration {} requires the properties {} without a value",
                integration.id,
                missing.join(", ")
            )));
        }
        if let Some(endpoint) = &integration.oauth_endpoint_id
            && self
                .oauth_connection_id
                .as_deref()
                .is_none_or(str::is_empty)
        {
            return Err(invalid(format!(
                "integration {} needs OAuth: authorize endpoint `{endpoint}` with \
                 start_oauth_connection and pass the oAuthConnectionID",
                integration.id
            )));
        }
        let body = types::IntegrationConnectionInput::builder()
            .integration_id([destination_id.to_owned(), integration.id.clone()])
            .properties(
                self.properties
                    .into_iter()
                    .map(
                        |(property_key, property_value)| types::IntegrationConnectionProperty {
                            property_key,
                            property_value: property_value.into(),
                        },
                    )
                    .collect::<Vec<_>>(),
            )
            .device_types(self.device_types)
            .oauth_connection_id(self.oauth_connection_id);
        let body = match self.distribution_manager_name {
            Some(name) => body.distribution_manager_name(Some(name)),
            None => body,
        };
        body.try_into()
            .map_err(|e: types::error::ConversionError| FlowError::Invalid(e.to_string()))
    }
}
