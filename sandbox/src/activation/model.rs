//! The Activation v2 resources: the types generated from `specs/activation.yaml`, so that the
//! sandbox answers exactly what the spec describes, plus what the sandbox keeps beside some
//! of them.

pub(crate) use liveramp::activation::types::{
    Delivery as DeliveryOutput, DistributionManagerName, Integration as IntegrationOutput,
    OAuthConnectionAttempt as AttemptOutput,
};
pub(crate) use liveramp::activation::types::{
    DeliveryStatus, Destination, DeviceType, DistributionManager, DistributionManagerStatus,
    IntegrationConnection, IntegrationConnectionProperty as Property, IntegrationProperty,
    IntegrationType, OAuthConnection as OauthConnection, OAuthConnectionAttemptStatus, OAuthStatus,
    OperationType, Segment, SegmentConfig, SegmentConfigResult, SegmentField as Field,
    SegmentStatus, SegmentType, StandardError, TaxonomyStatus, TaxonomySyncStatus,
};

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
    IntegrationConnection,
    DistributionManager,
    SegmentConfig,
    OauthConnection,
    Segment
);

/// An integration and the destination it belongs to.
#[derive(Clone, Debug)]
pub(crate) struct Integration {
    pub(crate) destination_id: String,
    pub(crate) output: IntegrationOutput,
}

impl Identified for Integration {
    fn id(&self) -> &str {
        &self.output.id
    }
}

/// How an attempt in `PROCESSING` ends on its next read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The user granted access.
    Authorized,
    /// The user denied access.
    Denied,
}

/// An OAuth connection attempt and how it ends once processed.
#[derive(Clone, Debug)]
pub(crate) struct OauthConnectionAttempt {
    pub(crate) id: String,
    pub(crate) output: AttemptOutput,
    pub(crate) outcome: Option<Outcome>,
}

impl Identified for OauthConnectionAttempt {
    fn id(&self) -> &str {
        &self.id
    }
}

/// A delivery; its `status` and `updatedAt` follow its age on the sandbox clock.
#[derive(Clone, Debug)]
pub(crate) struct Delivery {
    pub(crate) created_unix: i64,
    pub(crate) output: DeliveryOutput,
}

impl Identified for Delivery {
    fn id(&self) -> &str {
        &self.output.id
    }
}

/// The `DeviceType` values the spec lists.
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
