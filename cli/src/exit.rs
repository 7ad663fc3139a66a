//! Exit codes and the one-line error report.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any other failure (local files, unexpected answers) |
//! | 2 | usage: bad flags or arguments, missing configuration |
//! | 3 | authentication: bad credentials, a token refused (401/403) |
//! | 4 | the API answered with an error |
//! | 5 | network: the service could not be reached or the connection broke |

use std::error::Error as StdError;
use std::fmt;

/// The kinds of failure, each with its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Exit code 1: anything not covered below.
    Generic,
    /// Exit code 2: bad flags, arguments or configuration.
    Usage,
    /// Exit code 3: authentication failed.
    Auth,
    /// Exit code 4: the API answered with an error.
    Api,
    /// Exit code 5: the service could not be reached or the connection broke.
    Network,
}

impl Failure {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Generic => 1,
            Self::Usage => 2,
            Self::Auth => 3,
            Self::Api => 4,
            Self::Network => 5,
        }
    }

    /// Its name in JSON error reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Usage => "usage",
            Self::Auth => "auth",
            Self::Api => "api",
            Self::Network => "network",
        }
    }

    /// The failure an HTTP error status means.
    pub fn from_status(status: u16) -> Self {
        match status {
            401 | 403 => Self::Auth,
            _ => Self::Api,
        }
    }
}

/// A failed command: what kind of failure, and the error with its source chain.
#[derive(Debug)]
pub struct CliError {
    failure: Failure,
    error: Box<dyn StdError + Send + Sync + 'static>,
}

impl CliError {
    /// `error` classified as `failure`.
    pub fn new(
        failure: Failure,
        error: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            failure,
            error: error.into(),
        }
    }

    /// A usage error with `message`.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Failure::Usage, message.into())
    }

    /// The kind of failure.
    pub fn failure(&self) -> Failure {
        self.failure
    }

    /// The error and its sources on one line, joined by ": " (a source whose text its parent
    /// already shows is left out).
    pub fn one_line(&self) -> String {
        one_line(self.error.as_ref())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line())
    }
}

/// `error` and its source chain on one line.
pub fn one_line(error: &(dyn StdError + 'static)) -> String {
    let mut line = error.to_string();
    let mut last = line.clone();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !last.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        last = text;
        source = cause.source();
    }
    line.replace('\n', " ")
}

/// The failure kind of a library error.
pub fn classify(error: &liveramp::Error) -> Failure {
    use liveramp::Error;
    match error {
        Error::InvalidField { .. } | Error::InvalidRequest(_) => Failure::Usage,
        Error::Network { .. } => Failure::Network,
        Error::Auth(error) => auth_failure(error),
        Error::DeadlineExceeded {
            last: Some(last), ..
        } => classify(last),
        Error::DeadlineExceeded { last: None, .. } => Failure::Network,
        Error::RetryBudgetExhausted { last, .. } => classify(last),
        Error::Other(_) => Failure::Generic,
        other => match other.status() {
            Some(status) => Failure::from_status(status.as_u16()),
            None => Failure::Api,
        },
    }
}

/// The failure kind of an authentication or configuration error.
pub fn auth_failure(error: &liveramp::auth::AuthError) -> Failure {
    use liveramp::auth::AuthErrorKind;
    match error.kind() {
        AuthErrorKind::Credentials | AuthErrorKind::Config => Failure::Usage,
        AuthErrorKind::Rejected => Failure::Auth,
        AuthErrorKind::Network => Failure::Network,
        AuthErrorKind::Unavailable | AuthErrorKind::InvalidResponse => Failure::Api,
        _ => Failure::Generic,
    }
}

/// An authentication or configuration error, classified.
pub fn auth_error(error: liveramp::auth::AuthError) -> CliError {
    CliError::new(auth_failure(&error), error)
}

/// A library error, classified.
pub fn lib_error(error: liveramp::Error) -> CliError {
    CliError::new(classify(&error), error)
}

/// A flow's error (an OAuth attempt, a credentials request), classified.
pub fn flow_error(error: liveramp::poll::FlowError<liveramp::Error>) -> CliError {
    use liveramp::poll::FlowError;
    match error {
        FlowError::Invalid(message) => CliError::usage(format!("invalid request: {message}")),
        FlowError::Request(error) => lib_error(error),
        FlowError::Wait(error) => poll_error(error),
        other => CliError::new(Failure::Generic, other.to_string()),
    }
}

/// A wait's error, classified.
pub fn poll_error(error: liveramp::poll::PollError<liveramp::Error>) -> CliError {
    use liveramp::poll::PollError;
    match error {
        PollError::Fatal(error) | PollError::TooManyErrors { last: error, .. } => lib_error(error),
        PollError::Failed { detail } => {
            CliError::new(Failure::Api, format!("the operation failed: {detail}"))
        }
        other => CliError::new(Failure::Generic, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("middle: inner")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn the_chain_is_one_line_without_repeats() {
        let error = Outer(Middle(std::io::Error::other("inner")));
        assert_eq!(one_line(&error), "outer: middle: inner");
        let error = CliError::new(
            Failure::Network,
            Outer(Middle(std::io::Error::other("x\ny"))),
        );
        assert_eq!(error.one_line(), "outer: middle: inner: x y");
        assert_eq!(error.failure().code(), 5);
    }

    #[test]
    fn statuses_map_to_auth_or_api() {
        assert_eq!(Failure::from_status(401), Failure::Auth);
        assert_eq!(Failure::from_status(403), Failure::Auth);
        assert_eq!(Failure::from_status(404), Failure::Api);
        assert_eq!(Failure::from_status(500), Failure::Api);
    }

    #[tokio::test]
    async fn a_list_longer_than_its_bound_is_an_api_failure() {
        let list = futures::stream::iter((0..4).map(Ok::<_, liveramp::Error>));
        let error = liveramp::paginate::collect_at_most(list, 3, usize::MAX)
            .await
            .unwrap_err();
        assert_eq!(classify(&error), Failure::Api);
        assert!(error.to_string().contains("more than 3 items"), "{error}");
    }
}
