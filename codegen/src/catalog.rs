//! The table of every operation of the crate's APIs (`docs/operations.md`): which HTTP call each
//! `operationId` is, the Rust method that makes it, and whether it is documented or inferred.

use std::fmt::Write as _;

use heck::ToSnakeCase;
use openapiv3::OpenAPI;

use crate::Api;

/// Where an operation's definition comes from, from its `x-source` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Published by LiveRamp.
    Documented,
    /// Inferred from LiveRamp's other APIs or observed behaviour.
    Inferred,
    /// `x-source` is missing or holds another value (`cargo xtask lint` reports it).
    Unknown,
}

impl Source {
    /// Reads an `x-source` extension value.
    pub fn from_extension(value: Option<&serde_json::Value>) -> Source {
        match value.and_then(serde_json::Value::as_str) {
            Some("documented") => Source::Documented,
            Some("inferred") => Source::Inferred,
            _ => Source::Unknown,
        }
    }

    /// The word the table shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Documented => "documented",
            Source::Inferred => "inferred",
            Source::Unknown => "unknown",
        }
    }
}

/// One operation of one API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRow {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template, as in the spec.
    pub path: String,
    /// The spec's `operationId`.
    pub operation_id: String,
    /// The generated client method's name.
    pub rust_method: String,
    /// Documented or inferred.
    pub source: Source,
    /// The parts of the operation its `x-inferred` extension marks as inferred.
    pub inferred_parts: Vec<String>,
}

/// The Rust method name the generated client has for an `operationId`: snake case (tidied by
/// [`crate::names::tidy_name`]), with a trailing `_` when that is a Rust keyword.
pub fn rust_method_name(operation_id: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
        "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    let snake = operation_id.to_snake_case();
    let name = crate::names::tidy_name(&snake).unwrap_or(snake);
    if KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// Every operation of a spec, in path order then method order; operations without an
/// `operationId` are left out (the lint and the generator refuse them).
pub fn operation_rows(doc: &OpenAPI) -> Vec<OperationRow> {
    doc.paths
        .iter()
        .filter_map(|(path, item)| Some((path, item.as_item()?)))
        .flat_map(|(path, item)| {
            item.iter().filter_map(move |(method, op)| {
                let operation_id = op.operation_id.clone()?;
                Some(OperationRow {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    rust_method: rust_method_name(&operation_id),
                    operation_id,
                    source: Source::from_extension(op.extensions.get("x-source")),
                    inferred_parts: op
                        .extensions
                        .get("x-inferred")
                        .and_then(serde_json::Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|part| part.as_str().map(str::to_owned))
                        .collect(),
                })
            })
        })
        .collect()
}

/// Renders `docs/operations.md` from the parsed specs; `missing` lists the APIs whose spec was
/// not found, so that the page says what it leaves out.
pub fn operations_markdown(specs: &[(Api, OpenAPI)], missing: &[Api]) -> String {
    let mut out = String::new();
    out.push_str("# Operations\n\n");
    out.push_str(
        "Every operation of every API, generated from `specs/` by `cargo xtask regen` \
         (do not edit by hand). *documented* operations follow LiveRamp's published \
         documentation; *inferred* ones follow the conventions of LiveRamp's other APIs or \
         observed behaviour. A documented operation with some inferred parts lists them \
         (`x-inferred` in its spec), e.g. *inferred: responses.401*.\n\n",
    );
    for api in missing {
        let _ = writeln!(
            out,
            "> `{}` was missing when this page was generated.\n",
            api.spec
        );
    }
    out.push_str("| API | Operations | Inferred | Partly inferred |\n|---|---:|---:|---:|\n");
    let rows: Vec<(&Api, Vec<OperationRow>)> = specs
        .iter()
        .map(|(api, doc)| (api, operation_rows(doc)))
        .collect();
    for (api, ops) in &rows {
        let inferred = ops.iter().filter(|r| r.source == Source::Inferred).count();
        let partly = ops
            .iter()
            .filter(|r| r.source != Source::Inferred && !r.inferred_parts.is_empty())
            .count();
        let _ = writeln!(
            out,
            "| [`{}`](../{}) | {} | {} | {} |",
            api.module,
            api.spec,
            ops.len(),
            inferred,
            partly
        );
    }
    out.push_str(
        "\n| API | Method | Path | operationId | Rust call | Source |\n|---|---|---|---|---|---|\n",
    );
    for (api, ops) in &rows {
        for row in ops {
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | `{}` | `{}::Client::{}` | {} |",
                api.module,
                row.method,
                row.path,
                row.operation_id,
                api.module,
                row.rust_method,
                source_cell(row)
            );
        }
    }
    out
}

/// The Source cell: documented or inferred, and the inferred parts of a documented operation.
fn source_cell(row: &OperationRow) -> String {
    if row.inferred_parts.is_empty() || row.source == Source::Inferred {
        row.source.as_str().to_owned()
    } else {
        format!(
            "{} (inferred: {})",
            row.source.as_str(),
            row.inferred_parts.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things/{id}:
    get:
      operationId: get_thing
      x-source: documented
      x-inferred: [responses.204]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '204': {description: done}
    delete:
      operationId: type
      x-source: inferred
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '204': {description: done}
"#;

    #[test]
    fn rows_name_the_methods_the_generator_emits() {
        let doc = crate::parse(std::path::Path::new("t.yaml"), SPEC).unwrap();
        let rows = operation_rows(&doc);
        assert_eq!(rows.len(), 2);
        let code = crate::generate(std::path::Path::new("t.yaml"), &doc, "t").unwrap();
        for row in &rows {
            assert!(
                code.contains(&format!("pub fn {}(", row.rust_method)),
                "no method {} in the generated code",
                row.rust_method
            );
        }
        assert_eq!(rows[1].rust_method, "type_");
        assert_eq!(rows[1].source, Source::Inferred);
        assert_eq!(rows[0].method, "GET");
        assert_eq!(rows[0].inferred_parts, ["responses.204"]);
        assert!(rows[1].inferred_parts.is_empty());
    }

    #[test]
    fn markdown_lists_every_operation_and_missing_specs() {
        let doc = crate::parse(std::path::Path::new("t.yaml"), SPEC).unwrap();
        let api = crate::APIS[2];
        let md = operations_markdown(&[(api, doc)], &crate::APIS[..1]);
        assert!(md.contains("| `consent` | GET | `/things/{id}` | `get_thing` | `consent::Client::get_thing` | documented (inferred: responses.204) |"));
        assert!(md.contains(
            "| `consent` | DELETE | `/things/{id}` | `type` | `consent::Client::type_` | inferred |"
        ));
        assert!(md.contains("| [`consent`](../specs/consent.yaml) | 2 | 1 | 1 |"));
        assert!(md.contains("`specs/activation.yaml` was missing"));
    }
}
