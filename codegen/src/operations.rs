//! What the runtime transport needs to know of each operation, read from the spec: whether it is
//! safe to retry (`x-idempotent: true`), whether its success answer is JSON, and the documented
//! constraints of its query parameters and JSON body (`minimum`, `maximum`, `minItems`,
//! `maxItems`, `minLength`, `maxLength`, `pattern`, `format: email`), and the query parameters
//! of which exactly one must be sent (`x-exactly-one-of: [a, b]`).
//!
//! [`table_source`] renders them as a `static OPERATION_SPECS: crate::validate::ApiSpec` placed
//! beside the generated client, so validation stays true to the spec as it changes.

use std::fmt::Write as _;

use openapiv3::{
    OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, RequestBody, Schema, SchemaKind,
    StatusCode, Type, VariantOrUnknownOrEmpty,
};

/// How deep body schemas are walked; deeper (or recursive) schemas are not checked.
const MAX_DEPTH: usize = 8;

/// Where a constrained value sits in a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// A query parameter of that name.
    Query(String),
    /// A path into the JSON body; `*` stands for every item of an array.
    Body(Vec<String>),
    /// The query parameters of the request together.
    QueryParameters,
}

/// One documented rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// At least (or, when exclusive, more than) this number.
    Minimum(f64, bool),
    /// At most (or, when exclusive, less than) this number.
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
    Pattern(String),
    /// Looks like an email address.
    Email,
    /// Exactly one of these query parameters is sent (`x-exactly-one-of`).
    ExactlyOneOf(Vec<String>),
}

/// A rule and where it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// Where the value is.
    pub place: Place,
    /// What it must satisfy.
    pub rule: Rule,
}

/// What the transport knows of one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationSpec {
    /// Its `operationId`, as the generated method is named (snake case).
    pub operation_id: String,
    /// Marked `x-idempotent: true`: safe to retry whatever its method.
    pub idempotent: bool,
    /// Its success answer is a JSON document (so an empty 2xx body is an error).
    pub json_success: bool,
    /// The status codes it documents, or `None` when a `default` or a range (`4XX`) covers
    /// every other: the transport reports any other status as an error.
    pub documented: Option<Vec<u16>>,
    /// Its documented constraints.
    pub constraints: Vec<Constraint>,
    /// The client-side rate-limit bucket its calls take from (`x-rate-limit`).
    pub rate_limit: Option<String>,
}

/// Every operation of `doc`, in spec order.
pub fn operation_specs(doc: &OpenAPI) -> Vec<OperationSpec> {
    let mut specs = Vec::new();
    for (_, item) in doc.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (_, op) in item.iter() {
            let Some(operation_id) = &op.operation_id else {
                continue;
            };
            let mut constraints = Vec::new();
            for param in item.parameters.iter().chain(op.parameters.iter()) {
                query_constraints(doc, param, &mut constraints);
            }
            if let Some(body) = &op.request_body {
                body_constraints(doc, body, &mut constraints);
            }
            constraints.extend(exactly_one_of(op));
            specs.push(OperationSpec {
                operation_id: rust_operation_id(operation_id),
                idempotent: op
                    .extensions
                    .get("x-idempotent")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
                json_success: json_success(doc, op),
                documented: documented(op),
                constraints,
                rate_limit: op
                    .extensions
                    .get("x-rate-limit")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
            });
        }
    }
    specs
}

/// The operation ID as progenitor names the method and reports it in `OperationInfo`
/// (snake case, other characters folded to `_`).
fn rust_operation_id(id: &str) -> String {
    use heck::ToSnakeCase;
    let folded: String = id
        .replace('\'', "")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let snake = folded.to_snake_case();
    match snake.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => snake,
        _ => format!("_{snake}"),
    }
}

/// The operation's `x-exactly-one-of` list of query parameter names, as a rule on the query
/// parameters together (`cargo xtask lint` checks that each names a query parameter).
fn exactly_one_of(op: &openapiv3::Operation) -> Option<Constraint> {
    let names: Vec<String> = op
        .extensions
        .get("x-exactly-one-of")?
        .as_array()?
        .iter()
        .filter_map(|name| name.as_str().map(str::to_owned))
        .collect();
    (!names.is_empty()).then_some(Constraint {
        place: Place::QueryParameters,
        rule: Rule::ExactlyOneOf(names),
    })
}

fn documented(op: &openapiv3::Operation) -> Option<Vec<u16>> {
    if op.responses.default.is_some() {
        return None;
    }
    op.responses
        .responses
        .keys()
        .map(|status| match status {
            StatusCode::Code(code) => Some(*code),
            StatusCode::Range(_) => None,
        })
        .collect()
}

fn json_success(doc: &OpenAPI, op: &openapiv3::Operation) -> bool {
    op.responses.responses.iter().any(|(status, response)| {
        let success = match status {
            StatusCode::Code(code) => (200..300).contains(code) && *code != 204,
            StatusCode::Range(range) => *range == 2,
        };
        let response = match response {
            ReferenceOr::Item(r) => Some(r),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/responses/")
                .and_then(|name| doc.components.as_ref()?.responses.get(name)?.as_item()),
        };
        success
            && response.is_some_and(|r| {
                r.content
                    .get("application/json")
                    .is_some_and(|m| m.schema.is_some())
            })
    })
}

fn query_constraints(doc: &OpenAPI, param: &ReferenceOr<Parameter>, out: &mut Vec<Constraint>) {
    let param = match param {
        ReferenceOr::Item(p) => Some(p),
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/parameters/")
            .and_then(|name| doc.components.as_ref()?.parameters.get(name)?.as_item()),
    };
    let Some(Parameter::Query { parameter_data, .. }) = param else {
        return;
    };
    let ParameterSchemaOrContent::Schema(schema) = &parameter_data.format else {
        return;
    };
    let Some(schema) = resolve(doc, schema) else {
        return;
    };
    let place = |_: &[String]| Place::Query(parameter_data.name.clone());
    // An array query parameter is exploded (`?a=1&a=2`): its item rules apply to each value.
    let schema = match &schema.schema_kind {
        SchemaKind::Type(Type::Array(array)) => {
            for rule in array_rules(array.min_items, array.max_items) {
                out.push(Constraint {
                    place: place(&[]),
                    rule,
                });
            }
            match array.items.as_ref().and_then(|i| resolve_boxed(doc, i)) {
                Some(items) => items,
                None => return,
            }
        }
        _ => schema,
    };
    for rule in scalar_rules(schema) {
        out.push(Constraint {
            place: place(&[]),
            rule,
        });
    }
}

fn body_constraints(doc: &OpenAPI, body: &ReferenceOr<RequestBody>, out: &mut Vec<Constraint>) {
    let body = match body {
        ReferenceOr::Item(b) => Some(b),
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/requestBodies/")
            .and_then(|name| doc.components.as_ref()?.request_bodies.get(name)?.as_item()),
    };
    let Some(schema) = body
        .and_then(|b| b.content.get("application/json"))
        .and_then(|m| m.schema.as_ref())
        .and_then(|s| resolve(doc, s))
    else {
        return;
    };
    walk_body(doc, schema, &mut Vec::new(), out);
}

fn walk_body(doc: &OpenAPI, schema: &Schema, path: &mut Vec<String>, out: &mut Vec<Constraint>) {
    if path.len() > MAX_DEPTH {
        return;
    }
    let mut push = |rule| {
        out.push(Constraint {
            place: Place::Body(path.clone()),
            rule,
        })
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Array(array)) => {
            array_rules(array.min_items, array.max_items)
                .into_iter()
                .for_each(&mut push);
            if let Some(items) = array.items.as_ref().and_then(|i| resolve_boxed(doc, i)) {
                path.push("*".into());
                walk_body(doc, items, path, out);
                path.pop();
            }
        }
        SchemaKind::Type(Type::Object(object)) => {
            for (name, property) in &object.properties {
                if let Some(property) = resolve_boxed(doc, property) {
                    path.push(name.clone());
                    walk_body(doc, property, path, out);
                    path.pop();
                }
            }
        }
        SchemaKind::AllOf { all_of } => {
            for part in all_of {
                if let Some(part) = resolve(doc, part) {
                    walk_body(doc, part, path, out);
                }
            }
        }
        _ => scalar_rules(schema).into_iter().for_each(push),
    }
}

fn array_rules(min: Option<usize>, max: Option<usize>) -> Vec<Rule> {
    min.map(Rule::MinItems)
        .into_iter()
        .chain(max.map(Rule::MaxItems))
        .collect()
}

fn scalar_rules(schema: &Schema) -> Vec<Rule> {
    let mut rules = Vec::new();
    match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => {
            // i64 -> f64 is exact for every bound an API documents (|n| < 2^53).
            rules.extend(
                i.minimum
                    .map(|v| Rule::Minimum(v as f64, i.exclusive_minimum)),
            );
            rules.extend(
                i.maximum
                    .map(|v| Rule::Maximum(v as f64, i.exclusive_maximum)),
            );
        }
        SchemaKind::Type(Type::Number(n)) => {
            rules.extend(n.minimum.map(|v| Rule::Minimum(v, n.exclusive_minimum)));
            rules.extend(n.maximum.map(|v| Rule::Maximum(v, n.exclusive_maximum)));
        }
        SchemaKind::Type(Type::String(s)) => {
            rules.extend(s.min_length.map(Rule::MinLength));
            rules.extend(s.max_length.map(Rule::MaxLength));
            rules.extend(s.pattern.clone().map(Rule::Pattern));
            if matches!(&s.format, VariantOrUnknownOrEmpty::Unknown(f) if f == "email") {
                rules.push(Rule::Email);
            }
        }
        _ => {}
    }
    rules
}

fn resolve<'a>(doc: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => schema_by_ref(doc, reference),
    }
}

fn resolve_boxed<'a>(doc: &'a OpenAPI, schema: &'a ReferenceOr<Box<Schema>>) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => schema_by_ref(doc, reference),
    }
}

fn schema_by_ref<'a>(doc: &'a OpenAPI, reference: &str) -> Option<&'a Schema> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    match doc.components.as_ref()?.schemas.get(name)? {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => schema_by_ref(doc, reference),
    }
}

/// The Rust source of `static OPERATION_SPECS: crate::validate::ApiSpec` for `api`.
pub fn table_source(api: &str, specs: &[OperationSpec]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "/// What the transport knows of each operation, from the spec.\n\
         pub(crate) static OPERATION_SPECS: crate::validate::ApiSpec = crate::validate::ApiSpec {{ \
         api: {api:?}, operations: &["
    );
    // Sorted by operation ID: the transport finds an operation by binary search.
    let mut sorted: Vec<&OperationSpec> = specs.iter().collect();
    sorted.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    for op in sorted {
        let _ = write!(
            s,
            "crate::validate::OperationSpec {{ operation_id: {:?}, idempotent: {}, \
             json_success: {}, documented: {}, rate_limit: {:?}, constraints: &[",
            op.operation_id,
            op.idempotent,
            op.json_success,
            match &op.documented {
                Some(codes) => format!("Some(&{codes:?})"),
                None => "None".to_string(),
            },
            op.rate_limit,
        );
        for c in &op.constraints {
            let place = match &c.place {
                Place::Query(name) => format!("crate::validate::Place::Query({name:?})"),
                Place::Body(path) => format!("crate::validate::Place::Body(&{path:?})"),
                Place::QueryParameters => "crate::validate::Place::QueryParameters".to_string(),
            };
            let rule = match &c.rule {
                Rule::Minimum(v, x) => format!("Minimum({}, {x})", float(*v)),
                Rule::Maximum(v, x) => format!("Maximum({}, {x})", float(*v)),
                Rule::MinLength(n) => format!("MinLength({n})"),
                Rule::MaxLength(n) => format!("MaxLength({n})"),
                Rule::MinItems(n) => format!("MinItems({n})"),
                Rule::MaxItems(n) => format!("MaxItems({n})"),
                Rule::Pattern(p) => format!("Pattern({p:?})"),
                Rule::Email => "Email".to_string(),
                Rule::ExactlyOneOf(names) => format!("ExactlyOneOf(&{names:?})"),
            };
            let _ = write!(
                s,
                "crate::validate::Constraint {{ place: {place}, rule: crate::validate::Rule::{rule} }},"
            );
        }
        s.push_str("] },");
    }
    s.push_str("] };\n");
    s
}

/// A float literal Rust accepts (`1.0`, `1e300`, never `inf`).
fn float(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else if v > 0.0 {
        "f64::MAX".into()
    } else {
        "f64::MIN".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /items:
    get:
      operationId: list
      x-exactly-one-of: [zipCode, email]
      parameters:
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 100}
        - name: zipCode
          in: query
          schema: {type: string, pattern: '^[0-9]{5}$'}
        - {$ref: '#/components/parameters/Email'}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object}
    post:
      operationId: create
      x-idempotent: true
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Create'}
      responses:
        '204': {description: done}
components:
  parameters:
    Email:
      name: email
      in: query
      schema: {type: string, format: email}
  schemas:
    Create:
      type: object
      properties:
        integrationID:
          type: array
          minItems: 2
          maxItems: 2
          items: {type: string, maxLength: 36}
        validity_duration: {type: integer, minimum: 300, maximum: 43200}
"#;

    fn specs() -> Vec<OperationSpec> {
        let doc = crate::parse(std::path::Path::new("t.yaml"), SPEC).unwrap();
        operation_specs(&doc)
    }

    #[test]
    fn query_constraints_come_from_parameters_and_their_refs() {
        let list = &specs()[0];
        assert_eq!(list.operation_id, "list");
        assert!(!list.idempotent);
        assert!(list.json_success);
        assert_eq!(list.documented, Some(vec![200]));
        let q = |n: &str| Place::Query(n.into());
        assert_eq!(
            list.constraints,
            vec![
                Constraint {
                    place: q("limit"),
                    rule: Rule::Minimum(1.0, false)
                },
                Constraint {
                    place: q("limit"),
                    rule: Rule::Maximum(100.0, false)
                },
                Constraint {
                    place: q("zipCode"),
                    rule: Rule::Pattern("^[0-9]{5}$".into())
                },
                Constraint {
                    place: q("email"),
                    rule: Rule::Email
                },
                Constraint {
                    place: Place::QueryParameters,
                    rule: Rule::ExactlyOneOf(vec!["zipCode".into(), "email".into()])
                },
            ]
        );
    }

    #[test]
    fn body_constraints_follow_refs_and_array_items() {
        let create = &specs()[1];
        assert!(create.idempotent);
        assert!(!create.json_success);
        assert_eq!(create.documented, Some(vec![204]));
        let b = |p: &[&str]| Place::Body(p.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            create.constraints,
            vec![
                Constraint {
                    place: b(&["integrationID"]),
                    rule: Rule::MinItems(2)
                },
                Constraint {
                    place: b(&["integrationID"]),
                    rule: Rule::MaxItems(2)
                },
                Constraint {
                    place: b(&["integrationID", "*"]),
                    rule: Rule::MaxLength(36)
                },
                Constraint {
                    place: b(&["validity_duration"]),
                    rule: Rule::Minimum(300.0, false)
                },
                Constraint {
                    place: b(&["validity_duration"]),
                    rule: Rule::Maximum(43200.0, false)
                },
            ]
        );
    }

    #[test]
    fn operation_ids_are_named_as_progenitor_names_them() {
        assert_eq!(
            rust_operation_id("list_consent_files"),
            "list_consent_files"
        );
        assert_eq!(rust_operation_id("Get v2/Deliveries"), "get_v2_deliveries");
        assert_eq!(
            rust_operation_id("createSegmentConfigs"),
            "create_segment_configs"
        );
    }

    #[test]
    fn the_table_is_valid_rust() {
        let source = table_source("t", &specs());
        syn::parse_str::<syn::File>(&source).unwrap();
        assert!(source.contains("Pattern(\"^[0-9]{5}$\")"));
        assert!(source.contains("ExactlyOneOf(&[\"zipCode\", \"email\"])"));
    }
}
