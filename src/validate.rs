//! Checks a request against its operation's documented constraints before anything is sent.
//!
//! The constraints are generated from each spec (`liveramp-codegen`'s `operations` module): the
//! `minimum`/`maximum`/`minLength`/`maxLength`/`pattern`/`format: email` of query parameters and
//! of JSON (or form) body fields, the `minItems`/`maxItems` of body arrays, and an operation's
//! `x-exactly-one-of` list of query parameters. A failed check names the field, says what the
//! spec allows, and no request leaves the process.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The field and the rule of a builder input that was refused, from the message codegen gives
/// the generated builders ("`zip_code` must match the pattern `^[0-9]{5}$`").
pub(crate) fn rejected_input(message: &str) -> Option<(&str, &str)> {
    let (field, reason) = message.strip_prefix('`')?.split_once("` ")?;
    (!field.is_empty() && !field.contains(' ')).then_some((field, reason))
}

/// `value` encoded as one path segment of the parameter `name`; refuses an empty, `.` or `..`
/// segment, which would change which resource the URL names, and encodes `\` as well as what
/// progenitor encodes (URL parsers read it as `/` in http(s) URLs). The generated clients send
/// every path parameter through it.
#[allow(
    dead_code,
    reason = "called by the generated clients with path parameters, when one is enabled"
)]
pub(crate) fn path_segment(name: &str, value: &str) -> Result<String, String> {
    if matches!(value.trim(), "" | "." | "..") {
        return Err(format!("`{name}` must not be empty, `.` or `..`"));
    }
    let encoded = progenitor_client::encode_path(value);
    Ok(match encoded.contains('\\') {
        true => encoded.replace('\\', "%5C"),
        false => encoded,
    })
}

/// Every operation of one API, as generated from its spec.
#[derive(Debug)]
pub struct ApiSpec {
    /// The API's module name, e.g. `consent`.
    pub api: &'static str,
    /// Its operations, sorted by operation ID (as generated).
    pub operations: &'static [OperationSpec],
}

impl ApiSpec {
    /// The operation with this `operationId`, found by binary search (every call looks it up).
    pub fn operation(&self, operation_id: &str) -> Option<&'static OperationSpec> {
        let operations = self.operations;
        operations
            .binary_search_by(|op| op.operation_id.cmp(operation_id))
            .ok()
            .and_then(|at| operations.get(at))
    }
}

/// What the transport knows of one operation.
#[derive(Debug)]
pub struct OperationSpec {
    /// Its `operationId`.
    pub operation_id: &'static str,
    /// Marked `x-idempotent: true` in the spec: safe to retry whatever its method.
    pub idempotent: bool,
    /// Its success answer is a JSON document.
    pub json_success: bool,
    /// The status codes it documents; `None` when a `default` or a range covers every other.
    pub documented: Option<&'static [u16]>,
    /// Its documented constraints.
    pub constraints: &'static [Constraint],
    /// The client-side rate-limit bucket its calls take from (see [`crate::limit`]).
    pub rate_limit: Option<&'static str>,
}

impl OperationSpec {
    /// Whether the spec documents an answer with `status` for this operation.
    pub fn documents(&self, status: u16) -> bool {
        self.documented.is_none_or(|codes| codes.contains(&status))
    }
}

/// Where a constrained value sits in a request.
#[derive(Debug)]
#[allow(
    dead_code,
    reason = "the generated clients of the enabled APIs may use only some places"
)]
pub enum Place {
    /// A query parameter (each value, when repeated).
    Query(&'static str),
    /// A path into the body; `*` stands for every item of an array.
    Body(&'static [&'static str]),
    /// The query parameters of the request together.
    QueryParameters,
}

/// What a value must satisfy.
#[derive(Debug)]
#[allow(
    dead_code,
    reason = "the generator emits every rule the specs may use; today's specs use only some"
)]
pub enum Rule {
    /// At least (exclusive: more than) this number.
    Minimum(f64, bool),
    /// At most (exclusive: less than) this number.
    Maximum(f64, bool),
    /// At least this many characters.
    MinLength(usize),
    /// At most this many characters.
    MaxLength(usize),
    /// At least this many items.
    MinItems(usize),
    /// At most this many items.
    MaxItems(usize),
    /// Matches this ECMA 262 pattern.
    Pattern(&'static str),
    /// Looks like an email address: something, `@`, a domain with a dot.
    Email,
    /// Exactly one of these query parameters is sent (repeated values count as one parameter);
    /// from the operation's `x-exactly-one-of`.
    ExactlyOneOf(&'static [&'static str]),
}

/// A rule at a place.
#[derive(Debug)]
pub struct Constraint {
    /// Where the value is.
    pub place: Place,
    /// What it must satisfy.
    pub rule: Rule,
}

/// A value that breaks a documented constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field, e.g. `limit` or `integrationID` or `items[3].email`.
    pub field: String,
    /// What the spec allows; never the value given, only how many characters or items it had.
    pub reason: String,
}

/// Checks `request` against `op`'s constraints; the first violation found. A query parameter is
/// read once for all its rules: value by value, each against its rules in order.
pub fn check(op: &OperationSpec, request: &reqwest::Request) -> Result<(), Violation> {
    if op.constraints.is_empty() {
        return Ok(());
    }
    // The body is parsed only for an operation that constrains it, and only once.
    let mut body: Option<Option<serde_json::Value>> = None;
    // The rules of one query parameter (listed together) are checked on one read of it; any
    // other constraint is a group of one.
    let same_parameter = |a: &Constraint, b: &Constraint| matches!((&a.place, &b.place), (Place::Query(x), Place::Query(y)) if x == y);
    for group in op.constraints.chunk_by(same_parameter) {
        let Some(first) = group.first() else {
            continue;
        };
        match first.place {
            Place::Query(name) => {
                for value in query_values(request.url().query(), name) {
                    for constraint in group {
                        check_text(name, &value, &constraint.rule)?;
                    }
                }
            }
            Place::Body(path) => {
                if let Some(body) = body.get_or_insert_with(|| body_value(request)) {
                    check_at(body, path, String::new(), &first.rule)?;
                }
            }
            Place::QueryParameters => check_query(request.url().query(), &first.rule)?,
        }
    }
    Ok(())
}

/// Checks a rule on the query parameters together (`x-exactly-one-of`).
fn check_query(query: Option<&str>, rule: &Rule) -> Result<(), Violation> {
    let Rule::ExactlyOneOf(names) = rule else {
        return Ok(());
    };
    let sent: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| query_values(query, name).next().is_some())
        .collect();
    if sent.len() == 1 {
        return Ok(());
    }
    let listed = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (field, reason) = match (names, sent.as_slice()) {
        ([only], _) => (only.to_string(), "must be sent".to_owned()),
        (_, []) => (
            names.join(" or "),
            format!("exactly one of {listed} must be sent (got none)"),
        ),
        (_, both) => (
            both.join(" and "),
            format!("exactly one of {listed} must be sent (got {})", both.len()),
        ),
    };
    Err(Violation { field, reason })
}

/// The values of the query parameter `name`, decoded; a pair with nothing to decode is read in
/// place. A pair whose key is `name` as it is counts at once: `cargo xtask lint` refuses a
/// parameter name with a character a query encodes.
fn query_values<'a>(query: Option<&'a str>, name: &'a str) -> impl Iterator<Item = Cow<'a, str>> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(move |pair| {
            let encoded = |text: &str| text.bytes().any(|b| b == b'%' || b == b'+');
            // The common case, read in place: the key is `name` as it is, the value plain.
            let value = pair
                .strip_prefix(name)
                .and_then(|rest| match rest.as_bytes().first() {
                    None => Some(""),
                    Some(b'=') => rest.get(1..),
                    Some(_) => None,
                });
            match value {
                Some(value) if !encoded(value) => Some(Cow::Borrowed(value)),
                // A pair with nothing encoded in it has another key.
                None if !encoded(pair) => None,
                _ => {
                    let (key, value) = url::form_urlencoded::parse(pair.as_bytes()).next()?;
                    (key == name).then(|| Cow::Owned(value.into_owned()))
                }
            }
        })
}

/// The body as JSON: parsed from a JSON body, or built from a form body's fields.
fn body_value(request: &reqwest::Request) -> Option<serde_json::Value> {
    let bytes = request.body()?.as_bytes()?;
    let content_type = request
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let fields = url::form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), typed_text(&v)))
            .collect::<serde_json::Map<_, _>>();
        return Some(serde_json::Value::Object(fields));
    }
    serde_json::from_slice(bytes).ok()
}

/// A form field as the JSON value it stands for: a number when it reads as one.
fn typed_text(text: &str) -> serde_json::Value {
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(serde_json::Value::Number)
        .unwrap_or_else(|| serde_json::Value::String(text.to_string()))
}

fn check_at(
    value: &serde_json::Value,
    path: &[&str],
    field: String,
    rule: &Rule,
) -> Result<(), Violation> {
    let Some((head, rest)) = path.split_first() else {
        return check_value(&field, value, rule);
    };
    if *head == "*" {
        if let Some(items) = value.as_array() {
            for (i, item) in items.iter().enumerate() {
                check_at(item, rest, format!("{field}[{i}]"), rule)?;
            }
        }
        return Ok(());
    }
    match value.get(head) {
        Some(inner) if !inner.is_null() => {
            let field = if field.is_empty() {
                (*head).to_string()
            } else {
                format!("{field}.{head}")
            };
            check_at(inner, rest, field, rule)
        }
        _ => Ok(()),
    }
}

fn check_value(field: &str, value: &serde_json::Value, rule: &Rule) -> Result<(), Violation> {
    let field = if field.is_empty() { "body" } else { field };
    match (value, rule) {
        (serde_json::Value::Array(items), Rule::MinItems(n)) if items.len() < *n => {
            Err(Violation {
                field: field.to_owned(),
                reason: format!("must hold at least {n} items (got {})", items.len()),
            })
        }
        (serde_json::Value::Array(items), Rule::MaxItems(n)) if items.len() > *n => {
            Err(Violation {
                field: field.to_owned(),
                reason: format!("must hold at most {n} items (got {})", items.len()),
            })
        }
        (serde_json::Value::Number(n), rule) => match n.as_f64() {
            Some(n) => check_number(field, n, rule),
            None => Ok(()),
        },
        (serde_json::Value::String(s), rule) => check_text(field, s, rule),
        _ => Ok(()),
    }
}

fn check_text(field: &str, text: &str, rule: &Rule) -> Result<(), Violation> {
    // Counted only for the rules on length.
    let chars = || text.chars().count();
    let fail = |reason: String| {
        Err(Violation {
            field: field.to_owned(),
            reason,
        })
    };
    match rule {
        Rule::Minimum(..) | Rule::Maximum(..) => match parse_number(text) {
            Ok(n) => check_number(field, n, rule),
            Err(_) => Ok(()),
        },
        Rule::MinLength(n) if chars() < *n => {
            fail(format!("must be at least {n} characters (got {})", chars()))
        }
        Rule::MaxLength(n) if chars() > *n => {
            fail(format!("must be at most {n} characters (got {})", chars()))
        }
        // A pattern the regex engine cannot compile is not enforced: the server still checks.
        Rule::Pattern(pattern) => match compiled(pattern) {
            Some(re) if re.find(text).is_none() => {
                fail(format!("must match the pattern `{pattern}`"))
            }
            _ => Ok(()),
        },
        Rule::Email if !looks_like_email(text) => {
            fail("must be an email address (name@domain.tld)".into())
        }
        _ => Ok(()),
    }
}

/// A query value as a number: integers (the common case) without the float parser.
fn parse_number(text: &str) -> Result<f64, std::num::ParseFloatError> {
    match text.parse::<i64>() {
        Ok(n) => Ok(n as f64),
        Err(_) => text.parse::<f64>(),
    }
}

fn check_number(field: &str, n: f64, rule: &Rule) -> Result<(), Violation> {
    let shown = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            v.to_string()
        }
    };
    // The value sent is not quoted: a number can be personal data too.
    let fail = |bound: &str, v: f64| {
        Err(Violation {
            field: field.to_owned(),
            reason: format!("must be {bound} {}", shown(v)),
        })
    };
    match *rule {
        // NaN passes every comparison: it is in no range.
        Rule::Minimum(..) | Rule::Maximum(..) if n.is_nan() => Err(Violation {
            field: field.to_owned(),
            reason: "must be a number".into(),
        }),
        Rule::Minimum(min, false) if n < min => fail("at least", min),
        Rule::Minimum(min, true) if n <= min => fail("more than", min),
        Rule::Maximum(max, false) if n > max => fail("at most", max),
        Rule::Maximum(max, true) if n >= max => fail("less than", max),
        _ => Ok(()),
    }
}

/// The spec's `pattern`, compiled once per process; `None` when the regex engine cannot compile
/// it.
fn compiled(pattern: &'static str) -> Option<Arc<regress::Regex>> {
    /// Each pattern seen so far, compiled (`None`: the engine could not compile it).
    type Compiled = HashMap<&'static str, Option<Arc<regress::Regex>>>;
    static COMPILED: OnceLock<Mutex<Compiled>> = OnceLock::new();
    let mut compiled = COMPILED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    compiled
        .entry(pattern)
        .or_insert_with(|| regress::Regex::new(pattern).ok().map(Arc::new))
        .clone()
}

/// The documented shape: a local part, `@`, and a domain holding a dot that neither starts nor
/// ends it.
fn looks_like_email(text: &str) -> bool {
    match text.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !text.chars().any(char::is_whitespace)
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(
        clippy::vec_init_then_push,
        reason = "each push is behind its API's feature"
    )]
    fn every_generated_operation_is_found_by_its_id() {
        let mut tables: Vec<&ApiSpec> = Vec::new();
        #[cfg(feature = "activation")]
        tables.push(&crate::activation::OPERATION_SPECS);
        #[cfg(feature = "activation-v1")]
        tables.push(&crate::activation_v1::OPERATION_SPECS);
        #[cfg(feature = "consent")]
        tables.push(&crate::consent::OPERATION_SPECS);
        #[cfg(feature = "abilitec")]
        tables.push(&crate::abilitec::OPERATION_SPECS);
        #[cfg(feature = "data-integration")]
        tables.push(&crate::data_integration::OPERATION_SPECS);
        assert!(!tables.is_empty());
        for table in tables {
            for op in table.operations {
                let found = table.operation(op.operation_id).map(|o| o.operation_id);
                assert_eq!(found, Some(op.operation_id), "{}", table.api);
            }
            assert_eq!(
                table.operation("no_such_operation").map(|o| o.operation_id),
                None
            );
        }
    }

    const CREATE: OperationSpec = OperationSpec {
        rate_limit: None,
        operation_id: "create",
        idempotent: false,
        json_success: true,
        documented: Some(&[200]),
        constraints: &[
            Constraint {
                place: Place::Body(&["integrationID"]),
                rule: Rule::MinItems(2),
            },
            Constraint {
                place: Place::Body(&["integrationID"]),
                rule: Rule::MaxItems(2),
            },
            Constraint {
                place: Place::Body(&["validity_duration"]),
                rule: Rule::Minimum(300.0, false),
            },
            Constraint {
                place: Place::Body(&["validity_duration"]),
                rule: Rule::Maximum(43200.0, false),
            },
            Constraint {
                place: Place::Body(&["people", "*", "email"]),
                rule: Rule::Email,
            },
            Constraint {
                place: Place::Body(&[]),
                rule: Rule::MaxItems(1000),
            },
        ],
    };

    const MATCH: OperationSpec = OperationSpec {
        rate_limit: None,
        operation_id: "match",
        idempotent: false,
        json_success: true,
        documented: Some(&[200]),
        constraints: &[
            Constraint {
                place: Place::Query("zipCode"),
                rule: Rule::Pattern("^([0-9]{5}|[0-9]{9}|[0-9]{11})$"),
            },
            Constraint {
                place: Place::Query("state"),
                rule: Rule::MaxLength(2),
            },
            Constraint {
                place: Place::Query("limit"),
                rule: Rule::Maximum(10.0, false),
            },
        ],
    };

    fn post(body: serde_json::Value) -> reqwest::Request {
        crate::http::client()
            .unwrap()
            .post("https://api.example.com/x")
            .json(&body)
            .build()
            .unwrap()
    }

    fn get(query: &str) -> reqwest::Request {
        crate::http::client()
            .unwrap()
            .get(format!("https://api.example.com/x?{query}"))
            .build()
            .unwrap()
    }

    fn violation(op: &OperationSpec, request: reqwest::Request) -> Violation {
        check(op, &request).unwrap_err()
    }

    #[test]
    fn body_numbers_and_item_counts_are_bounded() {
        let ok = serde_json::json!({"integrationID": ["d", "i"], "validity_duration": 300});
        assert_eq!(check(&CREATE, &post(ok)), Ok(()));
        let v = violation(&CREATE, post(serde_json::json!({"integrationID": ["d"]})));
        assert_eq!(v.field, "integrationID");
        assert_eq!(v.reason, "must hold at least 2 items (got 1)");
        let v = violation(
            &CREATE,
            post(serde_json::json!({"validity_duration": 43201})),
        );
        assert_eq!(v.field, "validity_duration");
        assert_eq!(v.reason, "must be at most 43200");
        let v = violation(&CREATE, post(serde_json::json!({"validity_duration": 299})));
        assert_eq!(v.reason, "must be at least 300");
    }

    #[test]
    fn no_violation_quotes_the_value_sent() {
        let refused = [
            (
                &CREATE,
                post(serde_json::json!({"validity_duration": 4_320_123})),
                "4320123",
            ),
            (
                &CREATE,
                post(serde_json::json!({"validity_duration": 123.25})),
                "123.25",
            ),
            (
                &CREATE,
                post(serde_json::json!({"people": [{"email": "nobody-zq"}]})),
                "nobody-zq",
            ),
            (&MATCH, get("zipCode=9410777777x"), "9410777777x"),
            (&MATCH, get("state=QQQZ"), "QQQZ"),
            (&MATCH, get("limit=777777"), "777777"),
        ];
        for (op, request, sent) in refused {
            let v = violation(op, request);
            assert!(!v.reason.contains(sent), "{}: {}", v.field, v.reason);
        }
    }

    #[test]
    fn array_items_and_top_level_batches_are_checked() {
        let body = serde_json::json!({"people": [{"email": "a@b.co"}, {"email": "nobody"}]});
        let v = violation(&CREATE, post(body));
        assert_eq!(v.field, "people[1].email");
        let batch = serde_json::Value::Array(vec!["/people/match?name=x".into(); 1001]);
        let v = violation(&CREATE, post(batch));
        assert_eq!(v.field, "body");
        assert_eq!(v.reason, "must hold at most 1000 items (got 1001)");
    }

    #[test]
    fn query_patterns_lengths_and_ranges_are_checked() {
        assert_eq!(
            check(&MATCH, &get("zipCode=941071234&state=CA&limit=10")),
            Ok(())
        );
        let v = violation(&MATCH, get("zipCode=94107f"));
        assert_eq!(v.field, "zipCode");
        assert!(v.reason.contains("pattern"), "{}", v.reason);
        assert_eq!(violation(&MATCH, get("state=CAL")).field, "state");
        assert_eq!(violation(&MATCH, get("limit=11")).field, "limit");
    }

    #[test]
    fn query_values_are_decoded_only_where_encoded() {
        fn values<'a>(query: &'a str, name: &'a str) -> Vec<Cow<'a, str>> {
            query_values(Some(query), name).collect()
        }
        assert_eq!(values("a=1&b=2&a=3", "a"), ["1", "3"]);
        assert_eq!(values("a%3D=x&a=y+z&a=%C3%A9", "a"), ["y z", "é"]);
        assert_eq!(values("name%20x=1&flag", "name x"), ["1"]);
        assert_eq!(values("flag&a=", "flag"), [""]);
        assert!(query_values(None, "a").next().is_none());
        assert!(matches!(values("a=1", "a")[0], Cow::Borrowed(_)));
        // A key that only starts with the name, or is the name encoded.
        assert_eq!(values("ab=1&a=2&a%62=3&a", "a"), ["2", ""]);
        assert_eq!(values("a%62=3&ab=4", "ab"), ["3", "4"]);
        assert_eq!(values("a=1=2&a=x%2By", "a"), ["1=2", "x+y"]);
        // An encoded value is checked decoded: `%31%31` is 11, over the maximum.
        assert_eq!(violation(&MATCH, get("limit=%31%31")).field, "limit");
    }

    #[test]
    fn form_bodies_are_checked_like_json() {
        let request = crate::http::client()
            .unwrap()
            .post("https://api.example.com/x")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("validity_duration=100")
            .build()
            .unwrap();
        assert_eq!(violation(&CREATE, request).field, "validity_duration");
    }

    #[test]
    fn exactly_one_of_a_list_of_query_parameters_is_sent() {
        const ONE_OF: OperationSpec = OperationSpec {
            rate_limit: None,
            operation_id: "statuses",
            idempotent: true,
            json_success: true,
            documented: None,
            constraints: &[Constraint {
                place: Place::QueryParameters,
                rule: Rule::ExactlyOneOf(&["a", "b"]),
            }],
        };
        const ALONE: OperationSpec = OperationSpec {
            rate_limit: None,
            operation_id: "statuses",
            idempotent: true,
            json_success: true,
            documented: None,
            constraints: &[Constraint {
                place: Place::QueryParameters,
                rule: Rule::ExactlyOneOf(&["ids"]),
            }],
        };
        assert_eq!(check(&ONE_OF, &get("a=1&limit=3")), Ok(()));
        assert_eq!(check(&ONE_OF, &get("b=1&b=2")), Ok(()));
        let v = violation(&ONE_OF, get("limit=3"));
        assert_eq!(v.field, "a or b");
        assert_eq!(v.reason, "exactly one of `a`, `b` must be sent (got none)");
        let v = violation(&ONE_OF, get("a=1&b=%32"));
        assert_eq!(v.field, "a and b");
        assert_eq!(v.reason, "exactly one of `a`, `b` must be sent (got 2)");
        assert_eq!(check(&ALONE, &get("ids=1&ids=2")), Ok(()));
        let v = violation(&ALONE, get("idsx=1"));
        assert_eq!(
            (v.field.as_str(), v.reason.as_str()),
            ("ids", "must be sent")
        );
        let request = crate::http::client()
            .unwrap()
            .get("https://api.example.com/x")
            .build()
            .unwrap();
        assert_eq!(violation(&ALONE, request).field, "ids");
    }

    #[test]
    fn email_shape() {
        for good in ["a@b.co", "first.last+tag@mail.example.com"] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a@.co", "a@b.", "a b@c.co"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
