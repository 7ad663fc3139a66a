//! Service-account credentials (`serviceAccount/v2` files) and client credentials.

use std::path::Path;

use super::{AuthError, Secret};

/// The largest credentials file read; a real one is a few hundred bytes.
pub const MAX_CREDENTIALS_FILE_BYTES: u64 = 1024 * 1024;

/// Logs a warning when the group or others may read the file, as ssh does for private keys.
fn warn_if_shared(path: &Path, metadata: &std::fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                target: "liveramp::auth",
                file = %path.display(),
                mode = format_args!("{:o}", mode & 0o777),
                "the credentials file may be read by other users: chmod 600 it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, metadata);
}

/// The environment variable that holds the path of a service-account credentials file.
pub const CREDENTIALS_ENV: &str = "LIVERAMP_CREDENTIALS";

/// The `type` a service-account credentials file must have.
pub const SERVICE_ACCOUNT_TYPE: &str = "serviceAccount/v2";

/// A LiveRamp service account (Activation, Consent): the fields of its `serviceAccount/v2`
/// credentials file. `Debug` leaves out the secret key, and the token URL's query, fragment and
/// user info.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceAccountCredentials {
    uid: String,
    account_id: String,
    secret_key: Secret,
    client_id: String,
    token_uri: String,
}

impl std::fmt::Debug for ServiceAccountCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountCredentials")
            .field("uid", &self.uid)
            .field("account_id", &self.account_id)
            .field("secret_key", &self.secret_key)
            .field("client_id", &self.client_id)
            .field("token_uri", &crate::config::shown_url_text(&self.token_uri))
            .finish()
    }
}

impl ServiceAccountCredentials {
    /// Credentials from their parts (`client_id` is usually `liveramp-api`).
    pub fn new(
        account_id: impl Into<String>,
        secret_key: impl Into<Secret>,
        client_id: impl Into<String>,
        token_uri: impl Into<String>,
    ) -> Self {
        Self {
            uid: String::new(),
            account_id: account_id.into(),
            secret_key: secret_key.into(),
            client_id: client_id.into(),
            token_uri: token_uri.into(),
        }
    }

    /// Reads a credentials file. Errors name the file and the field, never its contents.
    ///
    /// Only a regular file of at most [`MAX_CREDENTIALS_FILE_BYTES`] is read (a FIFO or a device
    /// is refused before it is opened). A file that its group or others may read is used, with
    /// a warning logged (`liveramp::auth` target), as it holds a secret key: `chmod 600` it.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let path = path.as_ref();
        let (bytes, metadata) = crate::file::read_bounded(path, MAX_CREDENTIALS_FILE_BYTES)
            .map_err(|e| {
                let problem = match e.kind() {
                    std::io::ErrorKind::NotFound => "does not exist".to_owned(),
                    std::io::ErrorKind::PermissionDenied => {
                        "cannot be read (permission denied)".to_owned()
                    }
                    // `read_bounded`'s own refusals: "is not a regular file", "is larger than".
                    std::io::ErrorKind::InvalidInput | std::io::ErrorKind::FileTooLarge => {
                        e.to_string()
                    }
                    _ => format!("cannot be read ({e})"),
                };
                AuthError::credentials(Some(path), None, problem)
            })?;
        warn_if_shared(path, &metadata);
        let text = String::from_utf8(bytes)
            .map_err(|_| AuthError::credentials(Some(path), None, "is not UTF-8 text"))?;
        Self::parse(&text, Some(path))
    }

    /// Parses the JSON text of a credentials file. Errors name the field, never the contents.
    pub fn from_json(text: &str) -> Result<Self, AuthError> {
        Self::parse(text, None)
    }

    /// Reads the file named by the `LIVERAMP_CREDENTIALS` environment variable; `Ok(None)`
    /// when it is not set.
    pub fn from_env() -> Result<Option<Self>, AuthError> {
        match std::env::var_os(CREDENTIALS_ENV) {
            Some(path) if !path.is_empty() => Self::from_file(Path::new(&path)).map(Some),
            _ => Ok(None),
        }
    }

    fn parse(text: &str, path: Option<&Path>) -> Result<Self, AuthError> {
        // Only the position of a syntax error is reported: serde's messages may quote input.
        let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            AuthError::credentials(
                path,
                None,
                format!("is not JSON (line {}, column {})", e.line(), e.column()),
            )
        })?;
        let object = doc
            .as_object()
            .ok_or_else(|| AuthError::credentials(path, None, "is not a JSON object"))?;
        let field = |name: &str| -> Result<String, AuthError> {
            match object.get(name) {
                None | Some(serde_json::Value::Null) => {
                    Err(AuthError::credentials(path, Some(name), "is missing"))
                }
                Some(serde_json::Value::String(s)) if s.trim().is_empty() => {
                    Err(AuthError::credentials(path, Some(name), "is empty"))
                }
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(AuthError::credentials(path, Some(name), "is not a string")),
            }
        };
        if field("type")? != SERVICE_ACCOUNT_TYPE {
            return Err(AuthError::credentials(
                path,
                Some("type"),
                format!("is not `{SERVICE_ACCOUNT_TYPE}`"),
            ));
        }
        Ok(Self {
            uid: object
                .get("uid")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            account_id: field("account_id")?,
            secret_key: Secret::new(field("secret_key")?),
            client_id: field("client_id")?,
            token_uri: field("token_uri")?,
        })
    }

    /// The service account's user id (`uid`), empty when the file has none.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The account id, sent as the password grant's `username`.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The secret key, sent as the password grant's `password`.
    pub fn secret_key(&self) -> &Secret {
        &self.secret_key
    }

    /// The OAuth client id (`liveramp-api`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The token endpoint.
    pub fn token_uri(&self) -> &str {
        &self.token_uri
    }
}

/// OAuth client credentials (AbiliTec): a client id and secret for the `client_credentials`
/// grant. The secret is redacted in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    client_id: String,
    client_secret: Secret,
}

impl ClientCredentials {
    /// Client credentials from their parts.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret.
    pub fn client_secret(&self) -> &Secret {
        &self.client_secret
    }
}
