//! `cargo xtask drift <published-openapi-file>`: what `specs/activation.yaml` says differently
//! from a copy of LiveRamp's published Activation API description, less the deliberate
//! deviations listed, each with its reason, in [`DEVIATIONS`].
//!
//! Both files are reduced to *facts* about each operation, keyed by where they are: its
//! parameters (with the headers its security schemes carry counted as header parameters), its
//! request body and its answers, each schema followed through `$ref`s and `allOf`s down to types,
//! formats, enums, required properties and bounds. Descriptions, examples, summaries, names of
//! components and of path parameters are left out: they change no request or answer. A fact that
//! one file has and the other has not, or that the two give different values, is a difference;
//! a difference inside something one file lacks altogether (a property of a missing answer) is
//! reported once, at the missing thing.
//!
//! A deviation's `at` matches difference keys, `*` standing for any run of characters. A
//! deviation that matches no difference is stale and is reported too, so the file stays true.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::pointer::resolve;

/// The spec the drift check is about.
pub const SPEC: &str = "specs/activation.yaml";
/// The checked-in list of deliberate deviations from the published file.
pub const DEVIATIONS: &str = "specs/activation.deviations.yaml";
/// Where CI finds the published file: relative to the repository root's parent directory.
pub const PUBLISHED_BESIDE_REPO: &str =
    "shared/reference/liveramp-activation-api-v2.9.0.openapi.yaml";

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One fact the two files disagree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where, e.g. `GET /v2/destinations param query:limit schema.maximum`.
    pub key: String,
    /// The project's value, `None` when the project's spec lacks it.
    pub ours: Option<String>,
    /// The published value, `None` when the published file lacks it.
    pub published: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
        write!(
            f,
            "{}: ours {}, published {}",
            self.key,
            show(&self.ours),
            show(&self.published)
        )
    }
}

/// A deliberate deviation: which differences it covers and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// A difference key, `*` matching any run of characters.
    pub at: String,
    /// Why the project's spec says otherwise.
    pub reason: String,
}

/// The outcome of checking the differences against the deviations.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Differences no deviation covers.
    pub unlisted: Vec<Difference>,
    /// Deviations that cover no difference.
    pub stale: Vec<Deviation>,
    /// How many differences the deviations cover.
    pub covered: usize,
}

/// `cargo xtask drift <published-openapi-file>`.
pub fn command(args: &[String]) -> Result<(), String> {
    match args {
        [published] => run(Path::new(SPEC), Path::new(published), Path::new(DEVIATIONS)),
        _ => Err("usage: cargo xtask drift <published-openapi-file>".into()),
    }
}

/// The published file CI compares with: beside the repository, under `shared/reference/`.
pub fn published_beside(root: &Path) -> Result<PathBuf, String> {
    let parent = root
        .canonicalize()
        .ok()
        .and_then(|r| r.parent().map(Path::to_path_buf))
        .ok_or_else(|| format!("cannot find the parent directory of {}", root.display()))?;
    let file = parent.join(PUBLISHED_BESIDE_REPO);
    if file.is_file() {
        Ok(file)
    } else {
        Err(format!(
            "the drift check needs LiveRamp's published Activation file at {} (the directory \
             `shared/` beside the repository); it is missing",
            file.display()
        ))
    }
}

/// Compares `ours` with `published`, prints every unlisted difference and stale deviation, and
/// fails when there is any.
pub fn run(ours: &Path, published: &Path, deviations: &Path) -> Result<(), String> {
    let load = |path: &Path| -> Result<Value, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_norway::from_str(&text).map_err(|e| format!("{} is not YAML: {e}", path.display()))
    };
    let ours_doc = load(ours)?;
    let published_doc = load(published)?;
    let deviations_text = std::fs::read_to_string(deviations)
        .map_err(|e| format!("cannot read {}: {e}", deviations.display()))?;
    let listed =
        parse_deviations(&deviations_text).map_err(|e| format!("{}: {e}", deviations.display()))?;
    let found = differences(&ours_doc, &published_doc);
    let outcome = check(&found, &listed);
    for d in &outcome.unlisted {
        println!("drift: {d}");
    }
    for d in &outcome.stale {
        println!(
            "drift: {}: the deviation `{}` matches no difference (remove it)",
            deviations.display(),
            d.at
        );
    }
    println!(
        "drift: {} differences from {}, {} listed in {}, {} unlisted, {} stale deviations",
        found.len(),
        published.display(),
        outcome.covered,
        deviations.display(),
        outcome.unlisted.len(),
        outcome.stale.len()
    );
    if outcome.unlisted.is_empty() && outcome.stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} drifted from {}: list each deliberate difference with its reason in {}, or fix \
             the spec",
            ours.display(),
            published.display(),
            deviations.display()
        ))
    }
}

/// Reads the deviations file: a YAML list of `{at, reason}`, each reason non-empty.
pub fn parse_deviations(text: &str) -> Result<Vec<Deviation>, String> {
    let value: Value = serde_norway::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let items = match &value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err("not a list of `{at, reason}` entries".into()),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| {
            item.get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("entry {i} has no `{name}`"))
        };
        out.push(Deviation {
            at: field("at")?,
            reason: field("reason")?,
        });
    }
    Ok(out)
}

/// Which differences the deviations cover, which they do not, and which deviations are stale.
pub fn check(found: &[Difference], listed: &[Deviation]) -> Outcome {
    let mut used = vec![false; listed.len()];
    let mut outcome = Outcome::default();
    for d in found {
        let mut covered = false;
        for (i, deviation) in listed.iter().enumerate() {
            if glob(&deviation.at, &d.key) {
                used[i] = true;
                covered = true;
            }
        }
        if covered {
            outcome.covered += 1;
        } else {
            outcome.unlisted.push(d.clone());
        }
    }
    outcome.stale = listed
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(d, _)| d.clone())
        .collect();
    outcome
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Every difference between the two documents, in key order.
pub fn differences(ours: &Value, published: &Value) -> Vec<Difference> {
    let a = facts(ours);
    let b = facts(published);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    // The keys each side lacks: what is inside them is reported with them.
    let mut lacking_ours: Vec<&str> = Vec::new();
    let mut lacking_published: Vec<&str> = Vec::new();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x == y {
            continue;
        }
        let inside = |lacking: &[&str]| lacking.iter().any(|p| is_inside(key, p));
        if (x.is_none() && inside(&lacking_ours)) || (y.is_none() && inside(&lacking_published)) {
            continue;
        }
        if x.is_none() {
            lacking_ours.push(key);
        }
        if y.is_none() {
            lacking_published.push(key);
        }
        out.push(Difference {
            key: key.clone(),
            ours: x.cloned(),
            published: y.cloned(),
        });
    }
    out
}

/// Whether `key` is a fact about something inside `prefix`.
fn is_inside(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with([' ', '.', '[']))
}

/// The facts of a document, by key.
fn facts(doc: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let template = normal_path(path);
        let shared = item.get("parameters").and_then(Value::as_array);
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let at = format!("{} {template}", method.to_uppercase());
            out.insert(at.clone(), "operation".into());
            let mut walker = Walker { doc, out: &mut out };
            walker.operation(&at, path, op, shared);
        }
    }
    out
}

/// A path with every parameter written `{}`: parameter names are not part of the contract.
fn normal_path(path: &str) -> String {
    let mut out = String::new();
    let mut in_name = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_name = true;
                out.push_str("{}");
            }
            '}' => in_name = false,
            _ if !in_name => out.push(c),
            _ => {}
        }
    }
    out
}

/// Which path parameter, by position, a name is in a path template.
fn path_position(path: &str, name: &str) -> Option<usize> {
    path.split('{')
        .skip(1)
        .position(|part| part.split('}').next() == Some(name))
}

struct Walker<'d, 'o> {
    doc: &'d Value,
    out: &'o mut BTreeMap<String, String>,
}

impl<'d> Walker<'d, '_> {
    fn put(&mut self, key: String, value: impl Into<String>) {
        self.out.insert(key, value.into());
    }

    /// A value, or its definition when it is a `$ref`.
    fn deref(&self, value: &'d Value) -> &'d Value {
        let mut value = value;
        for _ in 0..16 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) => match resolve(self.doc, r) {
                    Some(target) => value = target,
                    None => return value,
                },
                None => return value,
            }
        }
        value
    }

    fn operation(&mut self, at: &str, path: &str, op: &'d Value, shared: Option<&'d Vec<Value>>) {
        let own = op.get("parameters").and_then(Value::as_array);
        let mut params: BTreeMap<String, &'d Value> = BTreeMap::new();
        for p in shared
            .into_iter()
            .flatten()
            .chain(own.into_iter().flatten())
        {
            let p = self.deref(p);
            let (Some(name), Some(place)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            let id = match place {
                "path" => match path_position(path, name) {
                    Some(i) => format!("path:#{i}"),
                    None => format!("path:{name}"),
                },
                "header" => format!("header:{}", name.to_lowercase()),
                _ => format!("{place}:{name}"),
            };
            params.insert(id, p);
        }
        for (id, p) in params {
            let here = format!("{at} param {id}");
            self.put(here.clone(), "parameter");
            let required = id.starts_with("path:")
                || p.get("required").and_then(Value::as_bool).unwrap_or(false);
            self.put(format!("{here} required"), required.to_string());
            if let Some(schema) = p.get("schema") {
                self.schema(&format!("{here} schema"), schema, &mut Vec::new());
            }
        }
        for header in self.security_headers(op) {
            let here = format!("{at} param header:{header}");
            if self.out.contains_key(&here) {
                continue;
            }
            self.put(here.clone(), "parameter");
            self.put(format!("{here} required"), "true");
            self.put(format!("{here} schema"), "schema");
            self.put(format!("{here} schema.type"), "\"string\"");
        }
        if let Some(body) = op.get("requestBody") {
            let body = self.deref(body);
            let here = format!("{at} body");
            self.put(here.clone(), "request body");
            let required = body
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            self.put(format!("{here} required"), required.to_string());
            self.content(&here, body);
        }
        for (status, response) in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let here = format!("{at} response {status}");
            self.put(here.clone(), "answer");
            let response = self.deref(response);
            self.content(&here, response);
        }
    }

    /// The headers the operation's security requirement carries (its first alternative): an
    /// `apiKey` scheme in a header, and `Authorization` for OAuth2 and HTTP schemes.
    fn security_headers(&self, op: &Value) -> Vec<String> {
        let requirements = op
            .get("security")
            .or_else(|| self.doc.get("security"))
            .and_then(Value::as_array);
        let Some(first) = requirements
            .and_then(|r| r.first())
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        let schemes = self.doc.pointer("/components/securitySchemes");
        first
            .keys()
            .filter_map(|name| {
                let scheme = schemes?.get(name)?;
                match scheme.get("type").and_then(Value::as_str)? {
                    "apiKey" if scheme.get("in").and_then(Value::as_str) == Some("header") => {
                        Some(scheme.get("name")?.as_str()?.to_lowercase())
                    }
                    "oauth2" | "http" | "openIdConnect" => Some("authorization".to_owned()),
                    _ => None,
                }
            })
            .collect()
    }

    /// The media types of a body or answer, and the schema of each JSON one.
    fn content(&mut self, at: &str, holder: &'d Value) {
        for (media, definition) in holder
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let here = format!("{at} content {media}");
            self.put(here.clone(), "media type");
            if let Some(schema) = definition.get("schema") {
                self.schema(&format!("{here} schema"), schema, &mut Vec::new());
            }
        }
    }

    /// The facts of a schema at `at`; `seen` holds the `$ref`s being walked, against cycles.
    fn schema(&mut self, at: &str, schema: &'d Value, seen: &mut Vec<String>) {
        self.put(at.to_owned(), "schema");
        self.schema_into(at, schema, seen);
    }

    fn schema_into(&mut self, at: &str, schema: &'d Value, seen: &mut Vec<String>) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            if seen.iter().any(|r| r == reference) {
                self.put(format!("{at}.recursive"), "true");
                return;
            }
            seen.push(reference.to_owned());
            if let Some(target) = resolve(self.doc, reference) {
                self.schema_into(at, target, seen);
            }
            seen.pop();
            return;
        }
        let Some(map) = schema.as_object() else {
            return;
        };
        for key in [
            "type",
            "format",
            "pattern",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "uniqueItems",
            "nullable",
            "default",
            "readOnly",
            "writeOnly",
        ] {
            match map.get(key) {
                // `false` is what these say when left out.
                Some(Value::Bool(false))
                    if matches!(key, "nullable" | "uniqueItems" | "readOnly" | "writeOnly") => {}
                Some(value) => self.put(format!("{at}.{key}"), value.to_string()),
                None => {}
            }
        }
        for key in ["enum", "required"] {
            // An empty list says what leaving it out says.
            if let Some(values) = map
                .get(key)
                .and_then(Value::as_array)
                .filter(|v| !v.is_empty())
            {
                let here = format!("{at}.{key}");
                let mut all: BTreeSet<String> = self
                    .out
                    .get(&here)
                    .and_then(|v| serde_json::from_str::<Vec<String>>(v).ok())
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                all.extend(values.iter().map(|v| match v.as_str() {
                    Some(s) => s.to_owned(),
                    None => v.to_string(),
                }));
                let list: Vec<String> = all.into_iter().collect();
                self.put(here, serde_json::to_string(&list).unwrap_or_default());
            }
        }
        // `allOf` is read as one schema: its members' facts are the schema's own.
        for member in map
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.schema_into(at, member, seen);
        }
        for key in ["oneOf", "anyOf"] {
            for (i, member) in map
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                self.schema(&format!("{at}.{key}[{i}]"), member, seen);
            }
        }
        for (name, property) in map
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            self.schema(&format!("{at}.properties[{name}]"), property, seen);
        }
        if let Some(items) = map.get("items") {
            self.schema(&format!("{at}.items"), items, seen);
        }
        match map.get("additionalProperties") {
            Some(Value::Bool(b)) => self.put(format!("{at}.additionalProperties"), b.to_string()),
            Some(extra @ Value::Object(_)) => {
                self.schema(&format!("{at}.additionalProperties"), extra, seen)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
