//! Each rule on a small spec that breaks it. The base spec passes every rule; each test patches
//! it with inline YAML at a JSON pointer.

use serde_json::Value;

use super::{Problem, generation, lint};

const BASE: &str = r#"
openapi: 3.0.3
info: {title: Things, version: '1.0'}
security:
  - key: []
tags:
  - name: Things
    description: Things.
paths:
  /things/{id}:
    get:
      operationId: get_thing
      tags: [Things]
      summary: Get a thing
      description: Returns one thing.
      x-source: documented
      parameters:
        - name: id
          in: path
          required: true
          description: The thing's id.
          schema: {type: string}
      responses:
        '200':
          description: The thing.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              example: {id: a, kind: BIG}
        '404':
          $ref: '#/components/responses/Failure'
components:
  securitySchemes:
    key: {type: http, scheme: bearer}
  responses:
    Failure:
      description: A failure.
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Failure'}
  schemas:
    Thing:
      type: object
      required: [id]
      properties:
        id: {type: string, description: The id.}
        kind: {$ref: '#/components/schemas/Kind'}
      example: {id: a}
    Kind:
      type: string
      enum: [BIG, SMALL]
      example: BIG
    Failure:
      type: object
      required: [message]
      properties:
        message: {type: string, description: What failed.}
      example: {message: no}
"#;

const OP: &str = "/paths/~1things~1{id}/get";

/// The base spec with each `(pointer, yaml)` set in turn; the YAML `REMOVE` deletes the member.
fn patched(edits: &[(&str, &str)]) -> String {
    let mut doc: Value = serde_norway::from_str(BASE).unwrap();
    for (pointer, yaml) in edits {
        let (parent, last) = pointer.rsplit_once('/').unwrap();
        let last = last.replace("~1", "/").replace("~0", "~");
        let parent = doc
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent}"));
        if *yaml == "REMOVE" {
            parent.as_object_mut().unwrap().remove(&last);
            continue;
        }
        let value: Value = serde_norway::from_str(yaml).unwrap();
        match parent {
            Value::Array(items) => {
                let i: usize = last.parse().unwrap();
                if i < items.len() {
                    items[i] = value;
                } else {
                    items.push(value);
                }
            }
            Value::Object(map) => {
                map.insert(last, value);
            }
            _ => panic!("{pointer}: the parent is not a container"),
        }
    }
    serde_json::to_string_pretty(&doc).unwrap()
}

fn problems(edits: &[(&str, &str)]) -> Vec<Problem> {
    lint(&patched(edits)).problems
}

/// Asserts that the generator, which `build.rs` runs, fails on the patched spec too: the rule
/// describes a real failure.
#[track_caller]
fn assert_generation_fails(edits: &[(&str, &str)]) {
    let failure = generation(&patched(edits), "things");
    assert!(failure.is_some(), "the generator accepts {edits:?}");
}

/// Asserts one problem is at `pointer` and says `words`.
#[track_caller]
fn assert_problem(found: &[Problem], pointer: &str, words: &str) {
    assert!(
        found
            .iter()
            .any(|p| p.pointer == pointer && p.message.contains(words)),
        "expected {pointer}: ...{words}...; got {found:#?}"
    );
}

#[test]
fn the_base_spec_passes_every_rule_and_generates() {
    let report = lint(BASE);
    assert_eq!(report.problems, vec![]);
    assert_eq!((report.operations, report.inferred), (1, 0));
    assert_eq!(generation(BASE, "things"), None);
}

#[test]
fn the_summary_counts_inferred_operations() {
    let report = lint(&patched(&[(&format!("{OP}/x-source"), "inferred")]));
    assert_eq!((report.operations, report.inferred), (1, 1));
}

#[test]
fn x_inferred_names_parts_of_the_operation() {
    let at = format!("{OP}/x-inferred");
    let good = problems(&[(&at, "[method, requestBody.required, responses.401]")]);
    assert_eq!(good, vec![]);
    assert_problem(&problems(&[(&at, "method")]), &at, "non-empty list");
    assert_problem(&problems(&[(&at, "[]")]), &at, "non-empty list");
    assert_problem(
        &problems(&[(&at, "[verb]")]),
        &format!("{at}/0"),
        "does not name a part",
    );
    assert_problem(
        &problems(&[(&at, "[requestBody.]")]),
        &format!("{at}/0"),
        "does not name a part",
    );
    assert_problem(
        &problems(&[(&at, "[method, method]")]),
        &format!("{at}/1"),
        "twice",
    );
    assert_problem(
        &problems(&[(&at, "[3]")]),
        &format!("{at}/0"),
        "not a string",
    );
}

#[test]
fn x_exactly_one_of_names_optional_query_parameters() {
    let at = format!("{OP}/x-exactly-one-of");
    let query = |name: &str, required: bool| {
        format!(
            "{{name: {name}, in: query, required: {required}, description: The {name}., \
             schema: {{type: string}}}}"
        )
    };
    let (a, b) = (query("a", false), query("b", false));
    let with = |list: &str, b: &str| {
        problems(&[
            (&format!("{OP}/parameters/1"), a.as_str()),
            (&format!("{OP}/parameters/2"), b),
            (&at, list),
        ])
    };
    assert_eq!(with("[a, b]", &b), vec![]);
    assert_eq!(with("[a]", &b), vec![]);
    assert_problem(&with("[]", &b), &at, "non-empty list");
    assert_problem(
        &with("[a, c]", &b),
        &format!("{at}/1"),
        "not a query parameter",
    );
    assert_problem(
        &with("[a, id]", &b),
        &format!("{at}/1"),
        "not a query parameter",
    );
    assert_problem(&with("[a, a]", &b), &format!("{at}/1"), "twice");
    assert_problem(&with("[a, 3]", &b), &format!("{at}/1"), "not a string");
    let required = query("b", true);
    assert_problem(&with("[a, b]", &required), &format!("{at}/1"), "required");
}

#[test]
fn the_version_must_be_3_0() {
    let found = problems(&[("/openapi", "'3.1.0'")]);
    assert_problem(&found, "/openapi", "not 3.0.x");
}

#[test]
fn operation_ids_must_exist_be_unique_and_snake_case() {
    assert_problem(
        &problems(&[(&format!("{OP}/operationId"), "REMOVE")]),
        OP,
        "no operationId",
    );
    assert_problem(
        &problems(&[(&format!("{OP}/operationId"), "getThing")]),
        &format!("{OP}/operationId"),
        "not snake_case",
    );
    let op = serde_json::to_string(
        &serde_norway::from_str::<Value>(BASE).unwrap()["paths"]["/things/{id}"]["get"],
    )
    .unwrap();
    let found = problems(&[("/paths/~1things~1{id}/delete", &op)]);
    assert_problem(
        &found,
        "/paths/~1things~1{id}/delete/operationId",
        "already used at /paths/~1things~1{id}/get",
    );
}

#[test]
fn one_success_type_per_operation() {
    let found = problems(&[(&format!("{OP}/responses/204"), "{description: Nothing.}")]);
    assert_problem(
        &found,
        &format!("{OP}/responses"),
        "more than one success (2xx) answer type (200: #/components/schemas/Thing, 204: no content)",
    );
    assert_generation_fails(&[(&format!("{OP}/responses/204"), "{description: Nothing.}")]);
}

#[test]
fn one_error_type_per_operation() {
    let found = problems(&[(
        &format!("{OP}/responses/401"),
        "{description: Who are you?}",
    )]);
    assert_problem(
        &found,
        &format!("{OP}/responses"),
        "more than one error (4xx/5xx)",
    );
    assert_problem(
        &found,
        &format!("{OP}/responses/401"),
        "inline error answer",
    );
    assert_generation_fails(&[(
        &format!("{OP}/responses/401"),
        "{description: Who are you?}",
    )]);
}

#[test]
fn a_default_answer_counts_in_both_groups() {
    let found = problems(&[(
        &format!("{OP}/responses/default"),
        "$ref: '#/components/responses/Failure'",
    )]);
    assert_problem(&found, &format!("{OP}/responses"), "more than one success");
}

#[test]
fn error_answers_share_one_schema_across_the_spec() {
    let mut delete: Value =
        serde_norway::from_str::<Value>(BASE).unwrap()["paths"]["/things/{id}"]["get"].clone();
    delete["operationId"] = "delete_thing".into();
    delete["responses"]["404"] = serde_json::json!({"$ref": "#/components/responses/Other"});
    let found = problems(&[
        (
            "/components/responses/Other",
            "{description: x, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}",
        ),
        ("/paths/~1things~1{id}/delete", &delete.to_string()),
    ]);
    assert_problem(
        &found,
        "/paths/~1things~1{id}/delete/responses/404",
        "the error schema #/components/schemas/Thing differs from #/components/schemas/Failure",
    );
}

#[test]
fn a_request_body_has_one_media_type_and_is_not_multipart() {
    let body = "content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}, \
                application/x-www-form-urlencoded: {schema: {$ref: '#/components/schemas/Thing'}}}";
    assert_problem(
        &problems(&[(&format!("{OP}/requestBody"), body)]),
        &format!("{OP}/requestBody/content"),
        "2 media types",
    );
    assert_generation_fails(&[(&format!("{OP}/requestBody"), body)]);
    let multipart =
        "content: {multipart/form-data: {schema: {$ref: '#/components/schemas/Thing'}}}";
    assert_problem(
        &problems(&[(&format!("{OP}/requestBody"), multipart)]),
        &format!("{OP}/requestBody/content/multipart~1form-data"),
        "multipart",
    );
}

#[test]
fn request_and_answer_schemas_are_named() {
    let inline =
        "content: {application/json: {schema: {type: object, properties: {a: {type: string}}}}}";
    let found = problems(&[(&format!("{OP}/requestBody"), inline)]);
    assert_problem(
        &found,
        &format!("{OP}/requestBody/content/application~1json/schema"),
        "inline request body schema",
    );
    let found = problems(&[(
        &format!("{OP}/responses/200/content/application~1json/schema"),
        "{type: object, properties: {id: {type: string}}}",
    )]);
    assert_problem(
        &found,
        &format!("{OP}/responses/200/content/application~1json/schema"),
        "inline answer schema",
    );
}

#[test]
fn a_json_answer_has_a_schema_and_no_encoding() {
    let found = problems(&[(
        &format!("{OP}/responses/200/content/application~1json/schema"),
        "REMOVE",
    )]);
    assert_problem(
        &found,
        &format!("{OP}/responses/200/content/application~1json"),
        "without a schema",
    );
    assert_generation_fails(&[(
        &format!("{OP}/responses/200/content/application~1json/schema"),
        "REMOVE",
    )]);
    let found = problems(&[(
        &format!("{OP}/responses/200/content/application~1json/encoding"),
        "{id: {contentType: text/plain}}",
    )]);
    assert_problem(
        &found,
        &format!("{OP}/responses/200/content/application~1json/encoding"),
        "non-empty encoding",
    );
    assert_generation_fails(&[(
        &format!("{OP}/responses/200/content/application~1json/encoding"),
        "{id: {contentType: text/plain}}",
    )]);
}

#[test]
fn problem_json_answers_are_not_json_to_the_generator() {
    let found = problems(&[(
        "/components/responses/Failure/content",
        "{application/problem+json: {schema: {$ref: '#/components/schemas/Failure'}}}",
    )]);
    assert_problem(
        &found,
        "/components/responses/Failure/content/application~1problem+json",
        "does not read",
    );
}

#[test]
fn no_inline_objects_or_string_enums_anywhere() {
    let found = problems(&[
        (
            "/components/schemas/Thing/properties/owner",
            "{type: object, properties: {name: {type: string}}}",
        ),
        (
            "/components/schemas/Thing/properties/tags",
            "{type: array, items: {type: string, enum: [a, b]}}",
        ),
        (
            &format!("{OP}/parameters/1"),
            "{name: sort, in: query, description: Order., schema: {type: string, enum: [asc, desc]}}",
        ),
    ]);
    assert_problem(
        &found,
        "/components/schemas/Thing/properties/owner",
        "inline object",
    );
    assert_problem(
        &found,
        "/components/schemas/Thing/properties/tags/items",
        "inline string enum",
    );
    assert_problem(
        &found,
        &format!("{OP}/parameters/1/schema"),
        "inline string enum",
    );
}

#[test]
fn parameters_the_generator_refuses() {
    let param = |p: &str| problems(&[(&format!("{OP}/parameters/1"), p)]);
    assert_problem(
        &problems(&[(&format!("{OP}/parameters/0/required"), "false")]),
        &format!("{OP}/parameters/0"),
        "not `required: true`",
    );
    assert_generation_fails(&[(&format!("{OP}/parameters/0/required"), "false")]);
    assert_problem(
        &param(
            "{name: f, in: query, style: deepObject, description: F., schema: {$ref: '#/components/schemas/Thing'}}",
        ),
        &format!("{OP}/parameters/1/style"),
        "deepObject",
    );
    assert_problem(
        &param("{name: c, in: cookie, description: C., schema: {type: string}}"),
        &format!("{OP}/parameters/1/in"),
        "cookie",
    );
    assert_problem(
        &param("{name: q, in: query, schema: {type: string}}"),
        &format!("{OP}/parameters/1"),
        "no description",
    );
    for name in ["'a+b'", "'a=b'", "'a%62'"] {
        assert_problem(
            &param(&format!(
                "{{name: {name}, in: query, description: Q., schema: {{type: string}}}}"
            )),
            &format!("{OP}/parameters/1/name"),
            "a character a query encodes",
        );
    }
}

#[test]
fn path_items_by_ref_are_refused() {
    let found = problems(&[("/paths/~1other", "$ref: '#/paths/~1things~1{id}'")]);
    assert_problem(&found, "/paths/~1other", "path item by $ref");
}

#[test]
fn refs_resolve_and_components_are_used() {
    let found = problems(&[
        (
            "/components/schemas/Thing/properties/kind",
            "$ref: '#/components/schemas/Knd'",
        ),
        ("/components/schemas/Spare", "{type: string, example: x}"),
    ]);
    assert_problem(
        &found,
        "/components/schemas/Thing/properties/kind/$ref",
        "unresolved $ref #/components/schemas/Knd",
    );
    assert_problem(&found, "/components/schemas/Kind", "unused component");
    assert_problem(&found, "/components/schemas/Spare", "unused component");
}

#[test]
fn a_default_must_be_one_of_the_schemas_values() {
    let limit = "/components/schemas/Limit";
    let found = problems(&[
        (
            limit,
            "{type: integer, minimum: 1, maximum: 100, default: ten, example: 10}",
        ),
        ("/components/schemas/Kind/default", "HUGE"),
        (
            "/components/schemas/Thing/properties/size",
            "{type: integer, maximum: 9, default: 10}",
        ),
        (
            &format!("{OP}/parameters/0/schema"),
            "{type: string, default: 1}",
        ),
    ]);
    assert_problem(
        &found,
        &format!("{limit}/default"),
        "not of the schema's type",
    );
    assert_problem(
        &found,
        "/components/schemas/Kind/default",
        "not one of the enum's values",
    );
    assert_problem(
        &found,
        "/components/schemas/Thing/properties/size/default",
        "outside the schema's range",
    );
    assert_problem(
        &found,
        &format!("{OP}/parameters/0/schema/default"),
        "not of the schema's type",
    );
    let fitting = problems(&[(
        "/components/schemas/Thing/properties/size",
        "{type: integer, minimum: 1, maximum: 9, default: 9}",
    )]);
    assert_eq!(fitting, vec![]);
}

#[test]
fn component_schemas_and_success_answers_have_examples() {
    let found = problems(&[
        ("/components/schemas/Kind/example", "REMOVE"),
        (
            &format!("{OP}/responses/200/content/application~1json/example"),
            "REMOVE",
        ),
    ]);
    assert_problem(&found, "/components/schemas/Kind", "without an example");
    assert_problem(
        &found,
        &format!("{OP}/responses/200/content/application~1json"),
        "success answer without an example",
    );
}

#[test]
fn operations_are_described_and_sourced() {
    let found = problems(&[
        (&format!("{OP}/description"), "REMOVE"),
        (&format!("{OP}/x-source"), "REMOVE"),
    ]);
    assert_problem(&found, OP, "no description");
    assert_problem(&found, OP, "no x-source");
    let found = problems(&[(&format!("{OP}/x-source"), "guessed")]);
    assert_problem(
        &found,
        &format!("{OP}/x-source"),
        "not documented or inferred",
    );
}

#[test]
fn operations_need_security_when_the_api_has_schemes() {
    let found = problems(&[("/security", "REMOVE")]);
    assert_problem(&found, OP, "no security");
    let found = problems(&[(&format!("{OP}/security"), "[]")]);
    assert_problem(&found, &format!("{OP}/security"), "without a reason");
    let explained = problems(&[
        (&format!("{OP}/security"), "[]"),
        (
            &format!("{OP}/description"),
            "'Public: needs no authentication.'",
        ),
    ]);
    assert_eq!(explained, vec![]);
    let found = problems(&[(&format!("{OP}/security"), "[{nokey: []}]")]);
    assert_problem(
        &found,
        &format!("{OP}/security/0/nokey"),
        "undeclared security scheme",
    );
}

#[test]
fn enum_values_must_map_to_distinct_variants() {
    let found = problems(&[("/components/schemas/Kind/enum", "[BIG, BIG_, Big]")]);
    assert_problem(&found, "/components/schemas/Kind/enum", "taken");
}

#[test]
fn a_secret_schema_is_one_the_generated_code_redacts() {
    let found = problems(&[
        (
            "/components/schemas/Token",
            "{type: string, description: 'SECRET: a token.', example: t}",
        ),
        (
            "/components/schemas/Credentials",
            "{type: object, description: 'SECRET: credentials.', additionalProperties: true, example: {a: b}}",
        ),
    ]);
    assert_problem(&found, "/components/schemas/Token", "SECRET schema");
    assert_problem(&found, "/components/schemas/Credentials", "SECRET schema");
    let redacted = problems(&[
        (
            "/components/schemas/Token",
            "{type: string, format: password, description: 'SECRET: a token.', example: t}",
        ),
        (
            "/components/schemas/Credentials",
            "{type: object, x-secret: true, description: 'SECRET: credentials.', additionalProperties: true, example: {a: b}}",
        ),
    ]);
    assert!(
        !redacted.iter().any(|p| p.message.contains("SECRET")),
        "{redacted:#?}"
    );
}

#[test]
fn a_secret_codegen_would_not_redact_is_refused() {
    let found = problems(&[
        (
            "/components/schemas/Thing/properties/pin",
            "{type: string, format: password, description: A pin.}",
        ),
        (
            "/components/schemas/Token",
            "{type: string, x-secret: true, description: A token., example: t}",
        ),
    ]);
    assert_problem(
        &found,
        "/components/schemas/Thing/properties/pin",
        "an inline secret string",
    );
    assert_problem(&found, "/components/schemas/Token", "x-secret on a schema");
}

#[test]
fn personal_data_codegen_would_not_redact_is_refused() {
    let found = problems(&[
        (
            "/components/schemas/Thing/properties/email",
            "{type: string, x-personal-data: true, description: An email.}",
        ),
        (
            "/components/schemas/Level",
            "{type: string, enum: [a, b], x-personal-data: true, description: A level., example: a}",
        ),
        (
            "/components/schemas/Zip",
            "{type: string, x-personal-data: yes, description: A ZIP code., example: '94104'}",
        ),
        (
            "/components/schemas/Email",
            "{type: string, x-personal-data: true, description: An email., example: a@b.c}",
        ),
        // Found by review: a mark beside a `$ref`, on an alias, on an object (whose builder
        // still printed its fields) or on a parameter was accepted and did nothing.
        (
            "/components/schemas/Thing/properties/email2",
            "{$ref: '#/components/schemas/Email', x-personal-data: true}",
        ),
        (
            "/components/schemas/Alias",
            "{$ref: '#/components/schemas/Email', x-personal-data: true}",
        ),
        (
            "/components/schemas/Person",
            "{type: object, x-personal-data: true, description: A person., properties: {name: {type: string}}, example: {name: a}}",
        ),
        (
            "/paths/~1things~1{id}/get/parameters/0/x-personal-data",
            "true",
        ),
        (
            "/components/schemas/Pin",
            "{type: string, format: password, x-personal-data: true, description: A pin., example: '1'}",
        ),
        (
            "/components/schemas/People",
            "{type: array, items: {$ref: '#/components/schemas/Thing'}, x-personal-data: true, description: People., example: []}",
        ),
        (
            "/components/schemas/Codes",
            "{type: array, items: {type: string, pattern: '^a$'}, x-personal-data: true, description: Codes., example: [a]}",
        ),
        (
            "/components/schemas/Urls",
            "{type: array, items: {type: string}, x-personal-data: true, description: URLs., example: [a]}",
        ),
    ]);
    for at in [
        "/components/schemas/Thing/properties/email",
        "/components/schemas/Level",
        "/components/schemas/Zip",
        "/components/schemas/Thing/properties/email2",
        "/components/schemas/Alias",
        "/components/schemas/Person",
        "/paths/~1things~1{id}/get/parameters/0",
        "/components/schemas/Pin",
        "/components/schemas/People",
        "/components/schemas/Codes",
    ] {
        assert_problem(&found, at, "x-personal-data on a schema");
    }
    assert!(
        !found.iter().any(
            |p| ["/components/schemas/Email", "/components/schemas/Urls"]
                .contains(&p.pointer.as_str())
                && p.message.contains("x-personal-data")
        ),
        "{found:#?}"
    );
}
