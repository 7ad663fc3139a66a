//! A validator for the subset of OpenAPI 3.0 schemas the specs use, to check their `example`s.
//!
//! Supported: `$ref` (local), `type`, `nullable`, `enum`, `required`, `properties`,
//! `additionalProperties`, `items`, `allOf`, `anyOf`, `oneOf`, `minimum`/`maximum` (and the 3.0
//! boolean `exclusiveMinimum`/`exclusiveMaximum`), `minLength`/`maxLength`, `minItems`/`maxItems`,
//! `pattern` (ECMAScript) and the formats `date-time`, `date`, `uuid`, `int32`, `int64`.
//! Stricter than JSON Schema in one way, on purpose: an example may only hold the properties its
//! schema declares unless `additionalProperties` is given, so that a misspelt name is caught.

use std::collections::BTreeSet;

use serde_json::Value;

/// How deep `$ref`s and combinators may nest before the validator gives up (a cycle).
const MAX_DEPTH: usize = 64;

/// Validates `instance` against `schema`; `root` is the whole document, for `$ref`s.
/// Returns one message per problem, each starting with the JSON pointer inside the instance.
pub fn validate(root: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    Validator {
        root,
        errors: &mut errors,
    }
    .check(schema, instance, "", 0, true);
    errors
}

/// The target of a local `$ref` (`#/...`) in `root`.
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

struct Validator<'a> {
    root: &'a Value,
    errors: &'a mut Vec<String>,
}

impl Validator<'_> {
    fn fail(&mut self, at: &str, message: impl std::fmt::Display) {
        let at = if at.is_empty() { "/" } else { at };
        self.errors.push(format!("{at}: {message}"));
    }

    /// Whether `instance` is valid, without recording why.
    fn passes(&mut self, schema: &Value, instance: &Value, depth: usize) -> bool {
        let mut scratch = Vec::new();
        Validator {
            root: self.root,
            errors: &mut scratch,
        }
        .check(schema, instance, "", depth, true);
        scratch.is_empty()
    }

    fn check(&mut self, schema: &Value, instance: &Value, at: &str, depth: usize, strict: bool) {
        if depth > MAX_DEPTH {
            self.fail(at, "schema nests too deep (a $ref cycle?)");
            return;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match resolve(self.root, reference) {
                Some(target) => self.check(target, instance, at, depth + 1, strict),
                None => self.fail(at, format!("unresolved $ref {reference}")),
            }
            return;
        }
        if instance.is_null() {
            let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
            let only_combinators = schema.get("type").is_none()
                && ["allOf", "anyOf", "oneOf"]
                    .iter()
                    .any(|k| schema.get(*k).is_some());
            if !nullable && !only_combinators {
                self.fail(at, "null, but the schema is not nullable");
                return;
            }
            if nullable {
                return;
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for member in all {
                self.check(member, instance, at, depth + 1, false);
            }
            if strict && !instance.is_null() {
                self.undeclared(schema, instance, at, depth);
            }
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            if let Some(members) = schema.get(key).and_then(Value::as_array) {
                let matching = members
                    .iter()
                    .filter(|m| self.passes(m, instance, depth + 1))
                    .count();
                if matching == 0 || (exactly_one && matching > 1) {
                    self.fail(
                        at,
                        format!("matches {matching} of the {key} schemas, not {key} of them"),
                    );
                }
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array)
            && !values.contains(instance)
        {
            self.fail(at, format!("{instance} is not one of the enum values"));
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => self.string(schema, instance, at),
            Some("integer") | Some("number") => self.number(schema, instance, at),
            Some("boolean") if !instance.is_boolean() => self.fail(at, "not a boolean"),
            Some("array") => self.array(schema, instance, at, depth),
            Some("object") => self.object(schema, instance, at, depth, strict),
            None if schema.get("properties").is_some() => {
                self.object(schema, instance, at, depth, strict)
            }
            _ => {}
        }
    }

    fn string(&mut self, schema: &Value, instance: &Value, at: &str) {
        let Some(text) = instance.as_str() else {
            return self.fail(at, format!("{instance} is not a string"));
        };
        let chars = text.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && chars < min
        {
            self.fail(at, format!("shorter than minLength {min}"));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && chars > max
        {
            self.fail(at, format!("longer than maxLength {max}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            match regress::Regex::new(pattern) {
                Ok(re) if re.find(text).is_none() => {
                    self.fail(at, format!("{text:?} does not match the pattern {pattern}"))
                }
                Ok(_) => {}
                Err(e) => self.fail(at, format!("the pattern {pattern} is invalid: {e}")),
            }
        }
        let valid = match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            Some("date") => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
            Some("uuid") => is_uuid(text),
            _ => true,
        };
        if !valid {
            let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
            self.fail(at, format!("{text:?} is not a valid {format}"));
        }
    }

    fn number(&mut self, schema: &Value, instance: &Value, at: &str) {
        let Some(n) = instance.as_f64() else {
            return self.fail(at, format!("{instance} is not a number"));
        };
        let integer = schema.get("type").and_then(Value::as_str) == Some("integer");
        if integer && !(instance.is_i64() || instance.is_u64()) {
            return self.fail(at, format!("{instance} is not an integer"));
        }
        let (lo, hi) = match schema.get("format").and_then(Value::as_str) {
            Some("int32") if integer => (f64::from(i32::MIN), f64::from(i32::MAX)),
            Some("int64") if integer => (i64::MIN as f64, i64::MAX as f64),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        };
        if n < lo || n > hi {
            self.fail(at, format!("{instance} does not fit the format"));
        }
        let exclusive = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && (n < min || (exclusive("exclusiveMinimum") && n == min))
        {
            self.fail(at, format!("{instance} is below the minimum {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && (n > max || (exclusive("exclusiveMaximum") && n == max))
        {
            self.fail(at, format!("{instance} is above the maximum {max}"));
        }
    }

    fn array(&mut self, schema: &Value, instance: &Value, at: &str, depth: usize) {
        let Some(items) = instance.as_array() else {
            return self.fail(at, "not an array");
        };
        let len = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && len < min
        {
            self.fail(at, format!("fewer than minItems {min}"));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && len > max
        {
            self.fail(at, format!("more than maxItems {max}"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{at}/{i}"), depth + 1, true);
            }
        }
    }

    fn object(&mut self, schema: &Value, instance: &Value, at: &str, depth: usize, strict: bool) {
        let Some(members) = instance.as_object() else {
            return self.fail(at, "not an object");
        };
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !members.contains_key(name) {
                self.fail(at, format!("the required property {name:?} is missing"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (name, value) in members {
            let here = format!("{at}/{}", escape(name));
            match (properties.and_then(|p| p.get(name)), additional) {
                (Some(property), _) => self.check(property, value, &here, depth + 1, true),
                (None, Some(Value::Bool(false))) => {
                    self.fail(&here, "not allowed: additionalProperties is false")
                }
                (None, Some(extra @ Value::Object(_))) => {
                    self.check(extra, value, &here, depth + 1, true)
                }
                (None, Some(_)) => {}
                (None, None) if strict => {
                    self.fail(&here, "a property the schema does not declare")
                }
                (None, None) => {}
            }
        }
    }

    /// Reports the members of `instance` that no `allOf` member declares.
    fn undeclared(&mut self, schema: &Value, instance: &Value, at: &str, depth: usize) {
        let Some(members) = instance.as_object() else {
            return;
        };
        let mut declared = BTreeSet::new();
        if !self.declared(schema, &mut declared, depth) {
            return;
        }
        for name in members.keys().filter(|k| !declared.contains(*k)) {
            self.fail(
                &format!("{at}/{}", escape(name)),
                "a property the schema does not declare",
            );
        }
    }

    /// Collects the property names `schema` declares; false when it admits any other.
    fn declared(&self, schema: &Value, names: &mut BTreeSet<String>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return resolve(self.root, reference)
                .is_some_and(|target| self.declared(target, names, depth + 1));
        }
        if schema.get("additionalProperties").is_some()
            || schema.get("anyOf").is_some()
            || schema.get("oneOf").is_some()
        {
            return false;
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            names.extend(properties.keys().cloned());
        }
        schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .all(|member| self.declared(member, names, depth + 1))
    }
}

/// Escapes one JSON pointer token (`~` -> `~0`, `/` -> `~1`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(schema: Value, instance: Value) -> Vec<String> {
        let root = json!({"components": {"schemas": {"S": schema.clone()}}});
        validate(&root, &json!({"$ref": "#/components/schemas/S"}), &instance)
    }

    #[test]
    fn valid_instances_pass() {
        let schema = json!({
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "at": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "n": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10},
                "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "maxItems": 2},
                "next": {"type": "string", "nullable": true},
                "kind": {"type": "string", "enum": ["A", "B"]}
            }
        });
        let ok = json!({"id": "c0442751-d144-493d-a40c-a408588f929a", "at": "2019-11-26T21:37:19Z",
            "day": "2019-11-26", "n": 10, "tags": ["ab"], "next": null, "kind": "B"});
        assert_eq!(errors(schema, ok), Vec::<String>::new());
    }

    #[test]
    fn each_keyword_rejects_what_it_forbids() {
        let cases = [
            (
                json!({"type": "object", "required": ["a"]}),
                json!({}),
                "required",
            ),
            (
                json!({"type": "object", "properties": {}}),
                json!({"b": 1}),
                "does not declare",
            ),
            (
                json!({"type": "object", "additionalProperties": false}),
                json!({"b": 1}),
                "additionalProperties",
            ),
            (json!({"type": "string"}), json!(null), "not nullable"),
            (json!({"type": "string"}), json!(3), "not a string"),
            (json!({"type": "integer"}), json!(1.5), "not an integer"),
            (
                json!({"type": "integer", "format": "int32"}),
                json!(3_000_000_000u64),
                "format",
            ),
            (json!({"type": "number", "minimum": 2}), json!(1), "minimum"),
            (
                json!({"type": "number", "maximum": 2, "exclusiveMaximum": true}),
                json!(2),
                "maximum",
            ),
            (
                json!({"type": "string", "minLength": 2}),
                json!("a"),
                "minLength",
            ),
            (
                json!({"type": "string", "maxLength": 1}),
                json!("ab"),
                "maxLength",
            ),
            (
                json!({"type": "string", "pattern": "^[0-9]+$"}),
                json!("1a"),
                "pattern",
            ),
            (
                json!({"type": "string", "format": "uuid"}),
                json!("nope"),
                "uuid",
            ),
            (
                json!({"type": "string", "format": "date-time"}),
                json!("2019-11-26"),
                "date-time",
            ),
            (
                json!({"type": "string", "format": "date"}),
                json!("26/11/2019"),
                "date",
            ),
            (json!({"type": "string", "enum": ["A"]}), json!("B"), "enum"),
            (
                json!({"type": "array", "minItems": 1}),
                json!([]),
                "minItems",
            ),
            (
                json!({"type": "array", "maxItems": 0}),
                json!([1]),
                "maxItems",
            ),
            (
                json!({"type": "array", "items": {"type": "boolean"}}),
                json!([1]),
                "boolean",
            ),
            (
                json!({"allOf": [{"type": "object", "required": ["a"]}]}),
                json!({}),
                "required",
            ),
            (
                json!({"allOf": [{"properties": {"a": {}}}]}),
                json!({"a": 1, "z": 1}),
                "does not declare",
            ),
            (
                json!({"oneOf": [{"type": "string"}, {"type": "string"}]}),
                json!("x"),
                "oneOf",
            ),
            (json!({"anyOf": [{"type": "string"}]}), json!(1), "anyOf"),
            (json!({"$ref": "#/nowhere"}), json!(1), "unresolved"),
        ];
        for (schema, instance, expected) in cases {
            let found = errors(schema.clone(), instance.clone());
            assert!(
                found.iter().any(|e| e.contains(expected)),
                "{schema} with {instance}: expected {expected:?}, got {found:?}"
            );
        }
    }

    #[test]
    fn errors_point_into_the_instance() {
        let schema = json!({"type": "object", "properties": {"a/b": {"type": "array", "items": {"type": "string"}}}});
        assert_eq!(
            errors(schema, json!({"a/b": ["x", 1]})),
            vec!["/a~1b/1: 1 is not a string".to_owned()]
        );
    }
}
