//! OAuth authorization of a v1.1 destination account.
//!
//! An account needs it when [`types::OAuthStatus::needs_authorization`] says so.
//! [`Client::authorize_destination_account`] asks for the platform's authorization URL with a
//! `redirect_url` and a freshly generated [`OAuthState`]; keep the state with the user's session,
//! and when the browser comes back to `redirect_url`, [`OAuthState::check_redirect`] refuses a
//! redirect whose `state` differs (CSRF) and reads its `status`.
#![warn(missing_docs)]

use std::fmt;

use subtle::ConstantTimeEq;

use super::{Client, types};
use crate::poll::FlowError;

impl types::OAuthStatus {
    /// Whether the customer must authorize LiveRamp: any status but `oauth_not_applicable`.
    pub fn needs_authorization(&self) -> bool {
        *self != Self::OauthNotApplicable
    }
}

impl Client {
    /// Asks for the authorization URL of destination account `account_id`; the API will send
    /// the browser back to `redirect_url` (https, or http on loopback) with a new random state.
    pub async fn authorize_destination_account(
        &self,
        account_id: i64,
        redirect_url: &str,
    ) -> Result<AccountAuthorization, FlowError<crate::Error>> {
        crate::config::check_url(redirect_url)
            .map_err(|e| FlowError::Invalid(format!("redirect URL: {e}")))?;
        let state = OAuthState::generate();
        let answer = self
            .perform_oauth_authorization()
            .id(account_id)
            .body(types::OAuthAuthorizationRequest {
                redirect_url: redirect_url.to_owned(),
                state: Some(state.as_str().into()),
            })
            .send()
            .await
            .map_err(FlowError::Request)?
            .into_inner();
        Ok(AccountAuthorization {
            authorization_url: crate::config::answered_url(
                answer.authorization_url.into_inner(),
                "an authorization URL",
            )
            .map_err(FlowError::Request)?,
            state,
        })
    }
}

/// A started authorization: where to send the user, and the state to expect back. `Debug`
/// leaves out the URL, which carries the state.
#[non_exhaustive]
pub struct AccountAuthorization {
    /// The platform's authorization page.
    pub authorization_url: String,
    /// The state the redirect must carry; keep it with the user's session.
    pub state: OAuthState,
}

impl fmt::Debug for AccountAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountAuthorization")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The `state` of one authorization: 256 random bits, hex-encoded. Its value is left out of
/// `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthState(String);

impl OAuthState {
    /// A new state from the operating system's random source.
    pub fn generate() -> Self {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        Self(format!("{}{}", a.simple(), b.simple()))
    }

    /// A state saved earlier (e.g. in the user's session), to check a redirect against. An
    /// empty one matches no redirect.
    pub fn from_saved(state: impl Into<String>) -> Self {
        Self(state.into())
    }

    /// The value, to save with the user's session.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads the redirect to `redirect_url` (the full URL or its query string) that ends the
    /// authorization: its status, once its `state` has matched this one in constant time.
    pub fn check_redirect(
        &self,
        redirect: &str,
    ) -> Result<types::OAuthRedirectStatus, RedirectError> {
        let query = match reqwest::Url::parse(redirect) {
            Ok(url) => url.query().unwrap_or_default().to_owned(),
            Err(_) => redirect.trim_start_matches('?').to_owned(),
        };
        let (mut status, mut state) = (None, None);
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "status" if status.is_none() => status = Some(value.into_owned()),
                "state" if state.is_none() => state = Some(value.into_owned()),
                "status" | "state" => return Err(RedirectError::Repeated),
                _ => {}
            }
        }
        let state = state.ok_or(RedirectError::MissingState)?;
        // An empty saved state (a session without one) would match any redirect's empty one.
        if self.0.trim().is_empty() {
            return Err(RedirectError::NoSavedState);
        }
        if !bool::from(state.as_bytes().ct_eq(self.0.as_bytes())) {
            return Err(RedirectError::StateMismatch);
        }
        let status = status.ok_or(RedirectError::MissingStatus)?;
        Ok(status
            .parse()
            .unwrap_or(types::OAuthRedirectStatus::Unknown(status)))
    }
}

impl fmt::Debug for OAuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OAuthState([redacted])")
    }
}

/// Why a redirect was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// The redirect has no `state`: it was not started by this authorization.
    #[error("the redirect has no state parameter")]
    MissingState,
    /// The redirect's `state` differs from the one sent (possible cross-site request forgery).
    #[error("the redirect's state does not match the authorization's")]
    StateMismatch,
    /// The redirect has no `status`.
    #[error("the redirect has no status parameter")]
    MissingStatus,
    /// The saved state is empty: there is nothing to check the redirect against.
    #[error("no state was saved for this authorization")]
    NoSavedState,
    /// `status` or `state` appears more than once.
    #[error("the redirect repeats its status or state parameter")]
    Repeated,
}
