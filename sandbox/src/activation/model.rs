//! The Activation v2 resources as the published API description names and shapes them.

use serde::{Deserialize, Serialize};

use crate::pagination::Identified;

/// Implements [`Identified`] for resources with an `id: String` field.
macro_rules! identified {
    ($($t:ty),*) => {$(
        impl Identified for $t {
            fn id(&self) -> &str {
                &self.id
            }
        }
    )*};
}
identified!(
    Destination,
    Integration,
    IntegrationConnection,
    DistributionManager,
    SegmentConfig,
    OauthConnection,
    OauthConnectionAttempt,
    Delivery,
    Segment
);

/// `v2DestinationOutput`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Destination {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) logo_url: String,
}

/// `v2DestinationIntegrationOutput`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Integration {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) device_types: Vec<String>,
    pub(crate) required_properties: Vec<IntegrationProperty>,
    #[serde(rename = "oAuthEndpointID", skip_serializing_if = "Option::is_none")]
    pub(crate) oauth_endpoint_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unavailable_reason: Option<String>,
    #[serde(skip)]
    pub(crate) destination_id: String,
}

/// `IntegrationProperty`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct IntegrationProperty {
    pub(crate) name: String,
    pub(crate) description: String,
}

/// `IntegrationConnectionProperty`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Property {
    pub(crate) property_key: String,
    pub(crate) property_value: String,
}

/// `v2IntegrationConnectionOutput`, with the `oauthStatus` of the changelog.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IntegrationConnection {
    pub(crate) id: String,
    #[serde(rename = "integrationID")]
    pub(crate) integration_id: Vec<String>,
    #[serde(rename = "oAuthConnectionID", skip_serializing_if = "Option::is_none")]
    pub(crate) oauth_connection_id: Option<String>,
    pub(crate) properties: Vec<Property>,
    pub(crate) device_types: Vec<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) oauth_status: String,
}

/// `v2DistributionManagerOutput`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DistributionManager {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(rename = "integrationConnectionID")]
    pub(crate) integration_connection_id: String,
    pub(crate) status: String,
    pub(crate) expire_at: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// `v2DistributionManagerSegmentConfigOutput`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SegmentConfig {
    pub(crate) id: String,
    #[serde(rename = "segmentID")]
    pub(crate) segment_id: String,
    pub(crate) segment_type: String,
    #[serde(
        rename = "destinationSegmentID",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) destination_segment_id: Option<String>,
    #[serde(rename = "distributionManagerID")]
    pub(crate) distribution_manager_id: String,
}

/// `v2OauthConnectionOutput`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OauthConnection {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(rename = "oAuthEndpointID")]
    pub(crate) oauth_endpoint_id: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// How an attempt in `PROCESSING` ends on its next read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The user granted access.
    Authorized,
    /// The user denied access.
    Denied,
}

/// `v2OauthConnectionAttemptOutput`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OauthConnectionAttempt {
    pub(crate) id: String,
    pub(crate) authorization_url: String,
    pub(crate) status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) redirect_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state: Option<String>,
    #[serde(rename = "oAuthEndpointID")]
    pub(crate) oauth_endpoint_id: String,
    #[serde(rename = "oAuthConnectionID", skip_serializing_if = "Option::is_none")]
    pub(crate) oauth_connection_id: Option<String>,
    #[serde(skip)]
    pub(crate) outcome: Option<Outcome>,
}

/// `v2DeliveryOutput`; `status` follows the delivery's age on the sandbox clock.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Delivery {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) device_type: String,
    pub(crate) record_count: i32,
    pub(crate) updated_at: String,
    #[serde(rename = "segmentID")]
    pub(crate) segment_id: String,
    #[serde(rename = "integrationConnectionID")]
    pub(crate) integration_connection_id: String,
    pub(crate) operation_type: String,
    #[serde(skip)]
    pub(crate) created_unix: i64,
}

/// `Field`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Field {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) audience_id: String,
}

/// `v2SegmentOutput`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Segment {
    pub(crate) id: String,
    pub(crate) field: Field,
    pub(crate) value: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
}

/// `DeviceType`.
pub(crate) const DEVICE_TYPES: &[&str] = &[
    "PII",
    "WEB",
    "IOS",
    "ANDROID",
    "CUSTOM_ID",
    "MIXED",
    "OTHER",
    "RAMP_ID",
];
