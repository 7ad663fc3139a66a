//! Values that must never be printed: a secret string, and a map of secrets.

use std::fmt;

/// A secret value (a secret key, a client secret, an API token). `Debug` and `Display` print
/// `[redacted]`; only [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret value, unwrapped.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Sends the value itself: a secret field of a request body must reach the API.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// A map of secrets, such as a connection's credentials (`access_token`, `refresh_token`...,
/// depending on the connection type). `Debug` names the keys and redacts every value; only
/// [`SecretMap::expose`] gives them. It is sent and read as the JSON object it holds.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretMap(serde_json::Map<String, serde_json::Value>);

impl SecretMap {
    /// Wraps a map of secrets.
    pub fn new(values: serde_json::Map<String, serde_json::Value>) -> Self {
        Self(values)
    }

    /// The secrets, for the request that needs them.
    pub fn expose(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0
    }

    /// The secrets, unwrapped.
    pub fn into_inner(self) -> serde_json::Map<String, serde_json::Value> {
        self.0
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for SecretMap {
    fn from(values: serde_json::Map<String, serde_json::Value>) -> Self {
        Self(values)
    }
}

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for key in self.0.keys() {
            map.entry(key, &format_args!("[redacted]"));
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_map_names_its_keys_and_hides_its_values() {
        let map: SecretMap =
            serde_json::from_str(r#"{"access_token":"s3cr3t","n":{"x":"s3cr3t"}}"#).unwrap();
        let shown = format!("{map:?} {map:#?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("access_token"), "{shown}");
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            r#"{"access_token":"s3cr3t","n":{"x":"s3cr3t"}}"#
        );
    }
}
