//! `cargo xtask lint`: the rules a spec must follow so that progenitor generates a faithful client
//! from it, and the project's own conventions. Every problem names a JSON pointer in the spec.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::pointer::{escape, resolve};

/// One problem, at a JSON pointer of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, e.g. `/paths/~1v2~1files/get/operationId`.
    pub pointer: String,
    /// What is wrong and, where it helps, what progenitor would do with it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

/// The outcome of linting one spec.
#[derive(Debug, Default)]
pub struct Report {
    /// Every problem found, in document order of the checks.
    pub problems: Vec<Problem>,
    /// How many operations the spec has.
    pub operations: usize,
    /// How many of them are `x-source: inferred`.
    pub inferred: usize,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Lints spec text (YAML or JSON).
pub fn lint(text: &str) -> Report {
    let root: Value = match serde_norway::from_str(text) {
        Ok(root) => root,
        Err(e) => {
            return Report {
                problems: vec![Problem {
                    pointer: "/".into(),
                    message: format!("not a YAML or JSON document: {e}"),
                }],
                ..Report::default()
            };
        }
    };
    let mut lint = Lint {
        root: &root,
        problems: Vec::new(),
        checked: HashSet::new(),
        operation_ids: BTreeMap::new(),
        error_schemas: BTreeMap::new(),
        report: Report::default(),
    };
    lint.version();
    lint.refs(&root, String::new());
    lint.paths();
    lint.components();
    lint.unused();
    lint.requirements("/security");
    lint.error_schema_is_shared();
    if let Err(e) = liveramp_codegen::parse(std::path::Path::new(""), text) {
        lint.add("/", format!("the generator cannot read it: {}", e.message));
    }
    let mut report = lint.report;
    report.problems = lint.problems;
    report
}

/// Runs the generator on a spec that passed every rule, so that anything the rules miss is still
/// reported here rather than by `build.rs`.
pub fn generation(text: &str, module: &str) -> Option<Problem> {
    let path = std::path::Path::new("");
    let doc = match liveramp_codegen::parse(path, text) {
        Ok(doc) => doc,
        Err(e) => return Some(problem("/", e.message)),
    };
    liveramp_codegen::generate(path, &doc, module)
        .err()
        .map(|e| problem("/", format!("build.rs would fail: {}", e.message)))
}

fn problem(pointer: &str, message: impl Into<String>) -> Problem {
    Problem {
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

/// A check of one kind of component.
type Check<'a> = fn(&mut Lint<'a>, &'a Value, &str);

struct Lint<'a> {
    root: &'a Value,
    problems: Vec<Problem>,
    /// Definitions already checked (a `$ref`'d response or body is checked once, where defined).
    checked: HashSet<String>,
    /// Each `operationId` and the operation that has it first.
    operation_ids: BTreeMap<String, String>,
    /// Each error schema and the first error answer that uses it.
    error_schemas: BTreeMap<String, String>,
    report: Report,
}

/// How progenitor classifies an answer: by its JSON schema, or as raw bytes, or no content.
fn answer_kind(response: &Value) -> String {
    let content = response.get("content").and_then(Value::as_object);
    let json = content.and_then(|c| {
        c.iter()
            .find(|(t, _)| is_json(t))
            .map(|(_, media)| media.get("schema"))
    });
    match (json, content) {
        (Some(Some(schema)), _) => match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference.to_owned(),
            None => format!("an inline schema {schema}"),
        },
        (Some(None), _) => "JSON without a schema".into(),
        (None, Some(c)) if !c.is_empty() => "raw bytes (not JSON)".into(),
        _ => "no content".into(),
    }
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.starts_with("application/json;")
}

fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && !name.contains("__")
        && !name.ends_with('_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Whether a description gives a reason for an operation without authentication.
fn explains_no_auth(description: Option<&str>) -> bool {
    let Some(description) = description else {
        return false;
    };
    let lower = description.to_lowercase();
    ["auth", "public", "token", "credential", "unauthenticated"]
        .iter()
        .any(|w| lower.contains(w))
}

impl<'a> Lint<'a> {
    fn add(&mut self, pointer: &str, message: impl Into<String>) {
        self.problems.push(problem(pointer, message));
    }

    /// True the first time a definition is seen.
    fn first_time(&mut self, pointer: &str) -> bool {
        self.checked.insert(pointer.to_owned())
    }

    /// A `$ref`'d value's definition and its pointer, or the value itself.
    fn deref(&mut self, value: &'a Value, at: &str) -> Option<(&'a Value, String)> {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let target = resolve(self.root, reference)?;
                Some((target, reference.trim_start_matches('#').to_owned()))
            }
            None => Some((value, at.to_owned())),
        }
    }

    fn version(&mut self) {
        match self.root.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0.") => {}
            Some(v) => self.add(
                "/openapi",
                format!("version {v} is not 3.0.x: progenitor reads OpenAPI 3.0 only"),
            ),
            None => self.add("/openapi", "no `openapi: 3.0.x` version"),
        }
    }

    /// Every `$ref` must be local and resolve.
    fn refs(&mut self, value: &Value, at: String) {
        match value {
            Value::Object(map) => {
                if let Some(mark) = map.get("x-personal-data") {
                    self.personal_mark(map, mark, &at);
                }
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    let here = format!("{at}/$ref");
                    if !reference.starts_with("#/") {
                        self.add(
                            &here,
                            format!("{reference} is not a local reference (#/...)"),
                        );
                    } else if resolve(self.root, reference).is_none() {
                        self.add(&here, format!("unresolved $ref {reference}"));
                    }
                }
                for (key, child) in map {
                    self.refs(child, format!("{at}/{}", escape(key)));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    self.refs(child, format!("{at}/{i}"));
                }
            }
            _ => {}
        }
    }

    /// Codegen hides the value of an `x-personal-data` schema in its generated type's `Debug`
    /// (and takes its `Display` away) only on a named component schema of a string, or an
    /// array of strings, without a reference, composition, enum or secret format: a mark
    /// anywhere else would promise what is not done (an array of objects would print them).
    fn personal_mark(&mut self, map: &Map<String, Value>, mark: &Value, at: &str) {
        let named = at
            .strip_prefix("/components/schemas/")
            .is_some_and(|name| !name.contains('/'));
        let kind = map.get("type").and_then(Value::as_str);
        let plain = !["$ref", "enum", "oneOf", "anyOf", "allOf"]
            .iter()
            .any(|key| map.contains_key(*key))
            && map.get("format").and_then(Value::as_str) != Some("password");
        let strings = match kind {
            Some("string") => true,
            // Items of more than a type (an enum, a pattern) would be a type of their own.
            Some("array") => map
                .get("items")
                .and_then(Value::as_object)
                .is_some_and(|items| {
                    items.get("type").and_then(Value::as_str) == Some("string")
                        && items
                            .keys()
                            .all(|key| key == "type" || key == "description")
                }),
            _ => false,
        };
        if !(mark == &Value::Bool(true) && named && strings && plain) {
            self.add(
                at,
                "x-personal-data on a schema codegen does not redact: only a named component \
                 schema of a string or an array of strings takes it, as `x-personal-data: true`, \
                 without $ref, enum, oneOf/anyOf/allOf or `format: password`",
            );
        }
    }

    fn paths(&mut self) {
        let Some(paths) = self.root.get("paths").and_then(Value::as_object) else {
            return self.add("/paths", "no paths");
        };
        for (path, item) in paths {
            let at = format!("/paths/{}", escape(path));
            if item.get("$ref").is_some() {
                self.add(
                    &at,
                    "a path item by $ref: progenitor rejects it; write the path item inline",
                );
                continue;
            }
            let shared = item.get("parameters").and_then(Value::as_array);
            for (i, p) in shared.into_iter().flatten().enumerate() {
                self.parameter(p, &format!("{at}/parameters/{i}"));
            }
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    self.operation(path, method, op, shared, &format!("{at}/{method}"));
                }
            }
        }
    }

    fn operation(
        &mut self,
        path: &str,
        method: &str,
        op: &'a Value,
        shared: Option<&'a Vec<Value>>,
        at: &str,
    ) {
        self.report.operations += 1;
        match op.get("operationId").and_then(Value::as_str) {
            None => self.add(
                at,
                "no operationId: progenitor needs one to name the method",
            ),
            Some(id) => {
                if !is_snake_case(id) {
                    self.add(
                        &format!("{at}/operationId"),
                        format!("{id:?} is not snake_case"),
                    );
                }
                if let Some(first) = self.operation_ids.get(id) {
                    let message = format!("operationId {id:?} is already used at {first}");
                    self.add(&format!("{at}/operationId"), message);
                } else {
                    self.operation_ids.insert(id.to_owned(), at.to_owned());
                }
            }
        }
        if text(op, "summary").is_none() {
            self.add(at, "no summary");
        }
        if op
            .get("tags")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            self.add(at, "no tags");
        }
        if text(op, "description").is_none() {
            self.add(at, "no description");
        }
        match op.get("x-source").and_then(Value::as_str) {
            Some("inferred") => self.report.inferred += 1,
            Some("documented") => {}
            Some(other) => self.add(
                &format!("{at}/x-source"),
                format!("x-source is {other:?}, not documented or inferred"),
            ),
            None => self.add(at, "no x-source (documented or inferred)"),
        }
        if let Some(marks) = op.get("x-inferred") {
            self.inferred_marks(marks, &format!("{at}/x-inferred"));
        }
        if let Some(names) = op.get("x-exactly-one-of") {
            self.exactly_one_of(names, op, shared, &format!("{at}/x-exactly-one-of"));
        }
        self.security(op, at);
        self.operation_parameters(path, op, shared, at);
        if let Some(body) = op.get("requestBody") {
            self.request_body(body, &format!("{at}/requestBody"));
        }
        self.responses(method, op, at);
    }

    /// `x-inferred` names the parts of an otherwise documented operation that are inferred, as
    /// a list of parts of the operation: `method`, `requestBody.required`, `responses.401`...
    fn inferred_marks(&mut self, marks: &Value, at: &str) {
        const PARTS: &[&str] = &[
            "method",
            "path",
            "servers",
            "security",
            "parameters",
            "requestBody",
            "responses",
        ];
        let Some(list) = marks.as_array().filter(|l| !l.is_empty()) else {
            return self.add(at, "x-inferred is not a non-empty list of what is inferred");
        };
        let mut seen = BTreeSet::new();
        for (i, mark) in list.iter().enumerate() {
            let here = format!("{at}/{i}");
            let Some(mark) = mark.as_str() else {
                self.add(&here, "an x-inferred entry that is not a string");
                continue;
            };
            let part = mark.split('.').next().unwrap_or_default();
            let tidy = mark.split('.').skip(1).all(|s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-{}/".contains(c))
            });
            if !PARTS.contains(&part) || !tidy {
                self.add(
                    &here,
                    format!(
                        "x-inferred entry {mark:?} does not name a part of the operation (one of \
                         {}, optionally followed by `.field`)",
                        PARTS.join(", ")
                    ),
                );
            } else if !seen.insert(mark) {
                self.add(&here, format!("x-inferred lists {mark:?} twice"));
            }
        }
    }

    /// `x-exactly-one-of` lists query parameters of the operation of which exactly one must be
    /// sent (the transport refuses the call otherwise); each must name one of its query
    /// parameters, once, and none may be `required`.
    fn exactly_one_of(
        &mut self,
        names: &Value,
        op: &'a Value,
        shared: Option<&'a Vec<Value>>,
        at: &str,
    ) {
        let Some(list) = names.as_array().filter(|l| !l.is_empty()) else {
            return self.add(
                at,
                "x-exactly-one-of is not a non-empty list of query parameters",
            );
        };
        let own = op.get("parameters").and_then(Value::as_array);
        let query: BTreeMap<&str, bool> = shared
            .into_iter()
            .flatten()
            .chain(own.into_iter().flatten())
            .filter_map(|p| match p.get("$ref").and_then(Value::as_str) {
                Some(r) => resolve(self.root, r),
                None => Some(p),
            })
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
            .filter_map(|p| {
                let required = p.get("required").and_then(Value::as_bool) == Some(true);
                Some((p.get("name")?.as_str()?, required))
            })
            .collect();
        let mut seen = BTreeSet::new();
        for (i, name) in list.iter().enumerate() {
            let here = format!("{at}/{i}");
            match name.as_str() {
                None => self.add(&here, "an x-exactly-one-of entry that is not a string"),
                Some(name) if !query.contains_key(name) => self.add(
                    &here,
                    format!(
                        "x-exactly-one-of names {name:?}, not a query parameter of the operation"
                    ),
                ),
                Some(name) if query.get(name) == Some(&true) => self.add(
                    &here,
                    format!("x-exactly-one-of names {name:?}, which is `required: true`"),
                ),
                Some(name) if !seen.insert(name) => {
                    self.add(&here, format!("x-exactly-one-of lists {name:?} twice"));
                }
                Some(_) => {}
            }
        }
    }

    fn security(&mut self, op: &Value, at: &str) {
        let schemes: BTreeSet<&str> = self
            .root
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        match op.get("security").and_then(Value::as_array) {
            Some(requirements) if requirements.is_empty() => {
                if !schemes.is_empty() && !explains_no_auth(text(op, "description")) {
                    self.add(
                        &format!("{at}/security"),
                        "`security: []` without a reason in the description (say why no \
                         authentication is needed)",
                    );
                }
            }
            Some(_) => self.requirements(&format!("{at}/security")),
            None => {
                let global = self.root.get("security").and_then(Value::as_array);
                if !schemes.is_empty() && global.is_none_or(Vec::is_empty) {
                    self.add(
                        at,
                        "no security: the spec declares security schemes, but neither the \
                         operation nor the document requires one",
                    );
                }
            }
        }
    }

    /// Every scheme a security requirement names must be declared.
    fn requirements(&mut self, at: &str) {
        let Some(requirements) = self.root.pointer(at).and_then(Value::as_array) else {
            return;
        };
        for (i, requirement) in requirements.iter().enumerate() {
            for name in requirement
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                if self
                    .root
                    .pointer(&format!("/components/securitySchemes/{}", escape(name)))
                    .is_none()
                {
                    self.add(
                        &format!("{at}/{i}/{}", escape(name)),
                        format!("undeclared security scheme {name:?}"),
                    );
                }
            }
        }
    }

    fn operation_parameters(
        &mut self,
        path: &str,
        op: &'a Value,
        shared: Option<&'a Vec<Value>>,
        at: &str,
    ) {
        let own = op.get("parameters").and_then(Value::as_array);
        let mut path_names = BTreeSet::new();
        for (i, p) in own.into_iter().flatten().enumerate() {
            self.parameter(p, &format!("{at}/parameters/{i}"));
        }
        for p in shared
            .into_iter()
            .flatten()
            .chain(own.into_iter().flatten())
        {
            let resolved = match p.get("$ref").and_then(Value::as_str) {
                Some(r) => resolve(self.root, r),
                None => Some(p),
            };
            if let Some(p) = resolved
                && p.get("in").and_then(Value::as_str) == Some("path")
                && let Some(name) = p.get("name").and_then(Value::as_str)
            {
                path_names.insert(name.to_owned());
            }
        }
        let template: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
            .collect();
        for missing in template.difference(&path_names) {
            self.add(
                at,
                format!("the path has {{{missing}}} but no path parameter {missing:?}"),
            );
        }
        for extra in path_names.difference(&template) {
            self.add(
                at,
                format!("the path parameter {extra:?} is not in the path {path}"),
            );
        }
    }

    fn parameter(&mut self, value: &'a Value, at: &str) {
        let Some((p, at)) = self.deref(value, at) else {
            return;
        };
        if !self.first_time(&at) {
            return;
        }
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        if text(p, "description").is_none() {
            self.add(&at, format!("the parameter {name:?} has no description"));
        }
        let style = p.get("style").and_then(Value::as_str);
        match p.get("in").and_then(Value::as_str) {
            Some("cookie") => self.add(
                &format!("{at}/in"),
                "cookie parameters: progenitor does not support them",
            ),
            Some("path") => {
                if p.get("required").and_then(Value::as_bool) != Some(true) {
                    self.add(
                        &at,
                        format!(
                            "the path parameter {name:?} is not `required: true`: progenitor panics"
                        ),
                    );
                }
                if style.is_some_and(|s| s != "simple") {
                    self.add(
                        &format!("{at}/style"),
                        "progenitor supports only the simple style in paths",
                    );
                }
            }
            Some("query") => match style {
                // The transport reads a query value in place where its key is the name as it
                // is; a name with a character a query encodes would be read only decoded.
                _ if name.contains(['%', '+', '=', '&', '#']) => self.add(
                    &format!("{at}/name"),
                    format!(
                        "the query parameter {name:?} has a character a query encodes (% + = & #)"
                    ),
                ),
                Some("deepObject") => self.add(
                    &format!("{at}/style"),
                    "deepObject: progenitor does not support it; use flat query parameters",
                ),
                Some(s) if s != "form" => self.add(
                    &format!("{at}/style"),
                    format!("style {s}: progenitor supports only form in queries"),
                ),
                _ => {}
            },
            Some("header") => {
                if style.is_some_and(|s| s != "simple") {
                    self.add(
                        &format!("{at}/style"),
                        "progenitor supports only the simple style in headers",
                    );
                }
            }
            other => self.add(
                &format!("{at}/in"),
                format!("`in: {}` is not a parameter location", other.unwrap_or("?")),
            ),
        }
        match p.get("schema") {
            Some(schema) => {
                self.schema(schema, &format!("{at}/schema"), false);
            }
            None => self.add(
                &at,
                format!("the parameter {name:?} has no schema: progenitor needs one"),
            ),
        }
    }

    fn request_body(&mut self, value: &'a Value, at: &str) {
        let Some((body, at)) = self.deref(value, at) else {
            return;
        };
        if !self.first_time(&at) {
            return;
        }
        let Some(content) = body.get("content").and_then(Value::as_object) else {
            return self.add(&at, "a request body without content");
        };
        if content.len() > 1 {
            self.add(
                &format!("{at}/content"),
                format!(
                    "a request body with {} media types: progenitor panics; keep one",
                    content.len()
                ),
            );
        }
        for (media, definition) in content {
            let here = format!("{at}/content/{}", escape(media));
            let essence = media.split(';').next().unwrap_or("").trim();
            if essence.starts_with("multipart/") {
                self.add(&here, "multipart bodies: progenitor does not support them");
                continue;
            }
            let typed = match essence {
                "application/json" | "application/x-www-form-urlencoded" => true,
                "application/octet-stream" | "text/plain" | "text/x-markdown" => false,
                _ => {
                    self.add(&here, format!("progenitor cannot send {media}"));
                    continue;
                }
            };
            self.media(definition, &here, typed, "request body");
        }
    }

    /// A media type of a body or an answer; `typed` when it must name a component schema.
    fn media(&mut self, media: &'a Value, at: &str, typed: bool, what: &str) {
        if media
            .get("encoding")
            .and_then(Value::as_object)
            .is_some_and(|e| !e.is_empty())
        {
            self.add(
                &format!("{at}/encoding"),
                "a non-empty encoding: progenitor panics",
            );
        }
        let Some(schema) = media.get("schema") else {
            if typed {
                self.add(
                    at,
                    format!("a JSON {what} without a schema: progenitor panics"),
                );
            }
            return;
        };
        let inline = schema.get("$ref").is_none();
        if typed && inline {
            self.add(
                &format!("{at}/schema"),
                format!(
                    "an inline {what} schema: progenitor names it after the operation and merges \
                     look-alikes; name it under #/components/schemas and $ref it"
                ),
            );
        }
        self.schema(schema, &format!("{at}/schema"), inline && typed);
    }

    fn responses(&mut self, method: &str, op: &'a Value, at: &str) {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return self.add(at, "no responses");
        };
        let mut success: Vec<(String, String)> = Vec::new();
        let mut errors: Vec<(String, String)> = Vec::new();
        for (status, value) in responses {
            let here = format!("{at}/responses/{}", escape(status));
            let is_success = status == "default"
                || status == "101"
                || status == "2XX"
                || status.parse::<u16>().is_ok_and(|c| (200..300).contains(&c));
            let is_error = status == "default"
                || status == "4XX"
                || status == "5XX"
                || status.parse::<u16>().is_ok_and(|c| (400..600).contains(&c));
            let Some((response, definition)) = self.deref(value, &here) else {
                continue;
            };
            if self.first_time(&definition) {
                self.response(response, &definition, is_success && status != "default");
            }
            let kind = answer_kind(response);
            if is_success {
                success.push((status.clone(), kind.clone()));
            }
            if is_error {
                if value.get("$ref").is_none() {
                    self.add(
                        &here,
                        "an inline error answer: $ref a shared one under #/components/responses",
                    );
                }
                if kind.starts_with("#/") {
                    self.error_schemas
                        .entry(kind.clone())
                        .or_insert(here.clone());
                }
                errors.push((status.clone(), kind));
            }
        }
        if success.iter().any(|(s, _)| s == "2XX") {
            success.retain(|(s, _)| s != "default");
        }
        if success.is_empty() {
            self.add(
                &format!("{at}/responses"),
                format!("{method} has no 2xx answer: progenitor invents an untyped one"),
            );
        }
        for (group, list) in [("success (2xx)", success), ("error (4xx/5xx)", errors)] {
            let kinds: BTreeSet<&str> = list.iter().map(|(_, k)| k.as_str()).collect();
            if kinds.len() > 1 {
                let detail: Vec<String> = list.iter().map(|(s, k)| format!("{s}: {k}")).collect();
                self.add(
                    &format!("{at}/responses"),
                    format!(
                        "more than one {group} answer type ({}): progenitor panics \
                         (`response_types.len() <= 1`); give them one schema",
                        detail.join(", ")
                    ),
                );
            }
        }
    }

    fn response(&mut self, response: &'a Value, at: &str, success: bool) {
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return;
        };
        for (media, definition) in content {
            let here = format!("{at}/content/{}", escape(media));
            if media.contains("+json") {
                self.add(
                    &here,
                    format!("progenitor does not read {media} as JSON (the answer would be raw bytes); use application/json"),
                );
            }
            let json = is_json(media);
            self.media(definition, &here, json, "answer");
            if json
                && success
                && definition.get("example").is_none()
                && definition.get("examples").is_none()
            {
                self.add(&here, "a success answer without an example");
            }
        }
    }

    fn components(&mut self) {
        let Some(components) = self.root.get("components").and_then(Value::as_object) else {
            return;
        };
        let kinds: [(&str, Check<'a>); 5] = [
            ("schemas", Self::component_schema),
            ("parameters", Self::parameter),
            ("requestBodies", Self::request_body),
            ("responses", |l, v, at| {
                if l.first_time(at) {
                    l.response(v, at, false)
                }
            }),
            ("headers", |l, v, at| {
                if let Some(schema) = v.get("schema") {
                    l.schema(schema, &format!("{at}/schema"), false);
                }
            }),
        ];
        for (kind, check) in kinds {
            for (name, value) in components
                .get(kind)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                check(self, value, &format!("/components/{kind}/{}", escape(name)));
            }
        }
    }

    fn component_schema(&mut self, schema: &'a Value, at: &str) {
        self.schema(schema, at, true);
        let said_secret = text(schema, "description").is_some_and(|d| d.starts_with("SECRET"));
        let redacted = match text(schema, "type") {
            Some("string") => text(schema, "format") == Some("password"),
            Some("object") => schema.get("x-secret") == Some(&Value::Bool(true)),
            _ => false,
        };
        if said_secret && !redacted {
            self.add(
                at,
                "a SECRET schema the generated code would print: give a string \
                 `format: password` and an object `x-secret: true`",
            );
        }
        if schema.get("$ref").is_none() && schema.get("example").is_none() {
            self.add(at, "a component schema without an example");
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
            let name = at.rsplit('/').next().unwrap_or_default().to_owned();
            if !is_string {
                self.add(
                    at,
                    "an enum that is not `type: string`: only string enums are open",
                );
                return;
            }
            let strings: Option<Vec<String>> = values
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect();
            match strings {
                None => self.add(&format!("{at}/enum"), "an enum value that is not a string"),
                Some(values) => {
                    let open = liveramp_codegen::OpenEnum::new(name, values);
                    if let Err(e) = open.check() {
                        self.add(&format!("{at}/enum"), e);
                    }
                }
            }
        }
    }

    /// Checks a schema and the schemas inside it; `named` for a component schema's root (or an
    /// inline one already reported), where an object or enum is allowed.
    fn schema(&mut self, schema: &'a Value, at: &str, named: bool) {
        let Some(map) = schema.as_object() else {
            return;
        };
        if map.contains_key("$ref") {
            return;
        }
        if !named {
            if map
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty())
            {
                self.add(
                    at,
                    "an inline object schema: name it under #/components/schemas and $ref it",
                );
            }
            let stringy = map.get("type").is_none_or(|t| t == "string");
            if map.contains_key("enum") && stringy {
                self.add(
                    at,
                    "an inline string enum: name it under #/components/schemas and $ref it, so \
                     that it becomes an open enum",
                );
            }
        }
        if let Some(why) = map.get("default").and_then(|d| unfit_default(map, d)) {
            self.add(&format!("{at}/default"), why);
        }
        // Codegen redacts only named component schemas: a secret anywhere else would print.
        let is = |key: &str, value: &str| map.get(key).and_then(Value::as_str) == Some(value);
        if !named && is("format", "password") {
            self.add(
                at,
                "an inline secret string: name it under #/components/schemas and $ref it, so \
                 that it becomes auth::Secret",
            );
        }
        if map.contains_key("x-secret") && !(named && is("type", "object")) {
            self.add(
                at,
                "x-secret on a schema codegen does not redact: only a named object schema \
                 becomes auth::SecretMap (a secret string is `format: password`)",
            );
        }
        self.subschemas(map, at);
    }

    fn subschemas(&mut self, map: &'a Map<String, Value>, at: &str) {
        for (name, property) in map
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            self.schema(
                property,
                &format!("{at}/properties/{}", escape(name)),
                false,
            );
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(child) = map.get(key).filter(|c| c.is_object()) {
                self.schema(child, &format!("{at}/{key}"), false);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for (i, member) in map
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                self.schema(member, &format!("{at}/{key}/{i}"), false);
            }
        }
    }

    /// Components that nothing outside `components` reaches, directly or through other ones.
    fn unused(&mut self) {
        let Some(components) = self.root.get("components").and_then(Value::as_object) else {
            return;
        };
        let mut reached: BTreeSet<String> = BTreeSet::new();
        let mut pending: Vec<String> = Vec::new();
        for (key, value) in self.root.as_object().into_iter().flatten() {
            if key != "components" {
                collect_refs(value, &mut pending);
            }
        }
        while let Some(reference) = pending.pop() {
            let component: String = reference
                .trim_start_matches('#')
                .split('/')
                .take(4)
                .collect::<Vec<_>>()
                .join("/");
            if reached.insert(component.clone())
                && let Some(target) = self.root.pointer(&component)
            {
                collect_refs(target, &mut pending);
            }
        }
        let mut schemes_used = BTreeSet::new();
        let mut security_lists: Vec<&Value> = self.root.get("security").into_iter().collect();
        for item in self
            .root
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(_, v)| v)
        {
            for method in METHODS {
                if let Some(security) = item.get(*method).and_then(|op| op.get("security")) {
                    security_lists.push(security);
                }
            }
        }
        for list in security_lists {
            for requirement in list.as_array().into_iter().flatten() {
                for (name, _) in requirement.as_object().into_iter().flatten() {
                    schemes_used.insert(name.clone());
                }
            }
        }
        for (kind, members) in components {
            for (name, _) in members.as_object().into_iter().flatten() {
                let at = format!("/components/{kind}/{}", escape(name));
                let used = if kind == "securitySchemes" {
                    schemes_used.contains(name)
                } else {
                    reached.contains(&at)
                };
                if !used {
                    self.add(&at, "an unused component");
                }
            }
        }
    }

    /// All error answers of a spec share one schema, so that the crate has one error type per API.
    fn error_schema_is_shared(&mut self) {
        let mut schemas = std::mem::take(&mut self.error_schemas).into_iter();
        if let Some((first, first_at)) = schemas.next() {
            for (other, at) in schemas {
                self.add(
                    &at,
                    format!("the error schema {other} differs from {first} (used at {first_at}): all error answers share one schema"),
                );
            }
        }
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                out.push(reference.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;

/// Why a schema's `default` cannot be one of its values, if it cannot: the wrong JSON type, not
/// in its `enum`, or outside its `minimum`/`maximum`. Examples are Redocly's to check
/// (`no-invalid-*-examples` in its recommended rules); it does not look at defaults.
fn unfit_default(schema: &Map<String, Value>, default: &Value) -> Option<String> {
    let fits_type = match schema.get("type").and_then(Value::as_str) {
        Some("string") => default.is_string(),
        Some("integer") => default.is_i64() || default.is_u64(),
        Some("number") => default.is_number(),
        Some("boolean") => default.is_boolean(),
        Some("array") => default.is_array(),
        Some("object") => default.is_object(),
        _ => true,
    };
    if !fits_type {
        return Some(format!("the default {default} is not of the schema's type"));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(default)
    {
        return Some(format!(
            "the default {default} is not one of the enum's values"
        ));
    }
    let number = default.as_f64()?;
    let below = schema
        .get("minimum")
        .and_then(Value::as_f64)
        .is_some_and(|min| number < min);
    let above = schema
        .get("maximum")
        .and_then(Value::as_f64)
        .is_some_and(|max| number > max);
    (below || above).then(|| format!("the default {default} is outside the schema's range"))
}
