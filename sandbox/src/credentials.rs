//! The seeded credentials a sandbox accepts.

use std::fmt;

use serde::Serialize;

/// The service-account user name (`account_id`) the sandbox accepts.
pub const SERVICE_ACCOUNT_ID: &str = "sandbox@serviceaccounts.liveramp.com";
const SERVICE_ACCOUNT_UID: &str = "00usandbox0000000001";
const SERVICE_ACCOUNT_SECRET: &str = "sandbox-service-account-secret-key";
/// The `client_id` of service-account password grants.
pub const SERVICE_ACCOUNT_CLIENT_ID: &str = "liveramp-api";
/// The AbiliTec client ID the sandbox accepts.
pub const ABILITEC_CLIENT_ID: &str = "sandbox-abilitec-client";
const ABILITEC_CLIENT_SECRET: &str = "sandbox-abilitec-client-secret";
const DATA_INTEGRATION_TOKEN: &str = "sandbox-data-integration-api-token";
const ACTIVATION_V1_API_KEY: &str = "sandbox-activation-v1-api-key";
/// The LiveRamp org ID (`LR-Org-ID`) the sandbox's Activation data belongs to.
pub const ORG_ID: &str = "org-sandbox-0001";

/// The credentials a sandbox accepts. Secrets never appear in `Debug`.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) service_account_secret: String,
    pub(crate) abilitec_client_secret: String,
    pub(crate) data_integration_token: String,
    pub(crate) activation_v1_api_key: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            service_account_secret: SERVICE_ACCOUNT_SECRET.into(),
            abilitec_client_secret: ABILITEC_CLIENT_SECRET.into(),
            data_integration_token: DATA_INTEGRATION_TOKEN.into(),
            activation_v1_api_key: ACTIVATION_V1_API_KEY.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("service_account_id", &SERVICE_ACCOUNT_ID)
            .field("abilitec_client_id", &ABILITEC_CLIENT_ID)
            .field("org_id", &ORG_ID)
            .finish_non_exhaustive()
    }
}

/// A `serviceAccount/v2` credentials file, as LiveRamp issues them.
#[derive(Clone, Serialize)]
pub struct ServiceAccountFile {
    /// Always `serviceAccount/v2`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The service account's user ID.
    pub uid: String,
    /// The user name of the password grant.
    pub account_id: String,
    /// The password of the password grant.
    pub secret_key: String,
    /// Always `liveramp-api`.
    pub client_id: String,
    /// The token endpoint.
    pub token_uri: String,
}

impl ServiceAccountFile {
    pub(crate) fn new(secret_key: &str, token_uri: String) -> Self {
        Self {
            kind: "serviceAccount/v2".into(),
            uid: SERVICE_ACCOUNT_UID.into(),
            account_id: SERVICE_ACCOUNT_ID.into(),
            secret_key: secret_key.into(),
            client_id: SERVICE_ACCOUNT_CLIENT_ID.into(),
            token_uri,
        }
    }
}

impl fmt::Debug for ServiceAccountFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountFile")
            .field("account_id", &self.account_id)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}
