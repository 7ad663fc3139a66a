//! JSON pointers into a spec (RFC 6901): resolving a local `$ref`, escaping a key.

use serde_json::Value;

/// The target of a local `$ref` (`#/...`) in `root`.
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

/// `token` escaped for use as one segment of a JSON pointer.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaped_keys_resolve() {
        let root = serde_json::json!({"paths": {"/v2/a~b": {"get": 1}}});
        let reference = format!("#/paths/{}/get", super::escape("/v2/a~b"));
        assert_eq!(reference, "#/paths/~1v2~1a~0b/get");
        assert_eq!(
            super::resolve(&root, &reference),
            Some(&serde_json::json!(1))
        );
        assert_eq!(super::resolve(&root, "other.yaml#/paths"), None);
    }
}
