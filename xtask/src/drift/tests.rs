//! The drift logic on small made-up specs: a "published" one and variations of it.

use serde_json::Value;

use super::{Deviation, Difference, check, differences, glob, parse_deviations};

const PUBLISHED: &str = r#"
openapi: 3.0.1
info: {title: Widgets, version: '1.0'}
paths:
  '/widgets/{id}':
    get:
      operationId: Get widget
      description: Published words that do not matter.
      parameters:
        - in: path
          name: id
          required: true
          schema: {type: string}
        - in: header
          name: Authorization
          required: true
          schema: {type: string}
        - in: header
          name: X-Org
          required: true
          schema: {type: string}
        - in: query
          name: view
          schema:
            allOf:
              - $ref: '#/components/schemas/View'
            type: string
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Widget'
        '404':
          description: missing
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
components:
  schemas:
    View:
      type: string
      enum: [SHORT, LONG]
    Widget:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string, maxLength: 50}
        parts:
          type: array
          items:
            $ref: '#/components/schemas/Widget'
    Error:
      type: object
      properties:
        message: {type: string}
"#;

/// The same API as the project would write it: other names, words and examples, security
/// schemes instead of header parameters, and the enum values in another order.
const OURS: &str = r#"
openapi: 3.0.3
info: {title: Our widgets, version: '1.0'}
security:
  - token: []
    org: []
paths:
  /widgets/{widgetId}:
    get:
      operationId: get_widget
      summary: Get a widget
      description: Our words.
      x-source: documented
      parameters:
        - $ref: '#/components/parameters/WidgetId'
        - name: view
          in: query
          schema:
            $ref: '#/components/schemas/WidgetView'
      responses:
        '200':
          description: The widget.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Thing'
              example: {id: '1', name: a}
        '404':
          $ref: '#/components/responses/NotFound'
components:
  securitySchemes:
    token:
      type: oauth2
      flows:
        password:
          tokenUrl: https://example.com/token
          scopes: {}
    org:
      type: apiKey
      in: header
      name: x-org
  parameters:
    WidgetId:
      name: widgetId
      in: path
      required: true
      schema: {type: string}
  responses:
    NotFound:
      description: No such widget.
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Problem'
  schemas:
    WidgetView:
      type: string
      enum: [LONG, SHORT]
    Thing:
      type: object
      required: [name, id]
      properties:
        id: {type: string}
        name: {type: string, maxLength: 50}
        parts:
          type: array
          items:
            $ref: '#/components/schemas/Thing'
    Problem:
      type: object
      properties:
        message: {type: string}
"#;

fn yaml(text: &str) -> Value {
    match serde_norway::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("test YAML does not parse: {e}"),
    }
}

/// `OURS` with `replace` replaced by `with` (which must be there).
fn ours_with(replace: &str, with: &str) -> Value {
    assert!(OURS.contains(replace), "the test's base lacks {replace:?}");
    yaml(&OURS.replacen(replace, with, 1))
}

fn keys(found: &[Difference]) -> Vec<&str> {
    found.iter().map(|d| d.key.as_str()).collect()
}

#[test]
fn the_same_api_written_differently_has_no_difference() {
    let found = differences(&yaml(OURS), &yaml(PUBLISHED));
    assert_eq!(found, vec![], "{found:#?}");
}

#[test]
fn a_changed_bound_is_a_difference_with_both_values() {
    let ours = ours_with(
        "name: {type: string, maxLength: 50}",
        "name: {type: string, maxLength: 80}",
    );
    let found = differences(&ours, &yaml(PUBLISHED));
    assert_eq!(
        found,
        vec![Difference {
            key: "GET /widgets/{} response 200 content application/json schema.properties[name].maxLength"
                .into(),
            ours: Some("80".into()),
            published: Some("50".into()),
        }]
    );
}

#[test]
fn an_extra_answer_is_one_difference_not_one_per_fact() {
    let ours = ours_with(
        "        '404':\n          $ref: '#/components/responses/NotFound'",
        "        '404':\n          $ref: '#/components/responses/NotFound'\n        '401':\n          $ref: '#/components/responses/NotFound'",
    );
    let found = differences(&ours, &yaml(PUBLISHED));
    assert_eq!(keys(&found), vec!["GET /widgets/{} response 401"]);
    assert_eq!(found[0].published, None);
    assert_eq!(found[0].ours.as_deref(), Some("answer"));
}

#[test]
fn a_missing_operation_is_one_difference() {
    let published = PUBLISHED.replace(
        "paths:\n",
        "paths:\n  /gadgets:\n    delete:\n      responses:\n        '204': {description: gone}\n",
    );
    let found = differences(&yaml(OURS), &yaml(&published));
    assert_eq!(keys(&found), vec!["DELETE /gadgets"]);
    assert_eq!(found[0].ours, None);
}

#[test]
fn enum_values_and_required_properties_are_compared_as_sets() {
    let ours = ours_with("enum: [LONG, SHORT]", "enum: [LONG, SHORT, FULL]");
    let found = differences(&ours, &yaml(PUBLISHED));
    assert_eq!(
        keys(&found),
        vec!["GET /widgets/{} param query:view schema.enum"]
    );
    assert_eq!(found[0].ours.as_deref(), Some(r#"["FULL","LONG","SHORT"]"#));
    let ours = ours_with("required: [name, id]", "required: [name]");
    let found = differences(&ours, &yaml(PUBLISHED));
    assert_eq!(
        keys(&found),
        vec!["GET /widgets/{} response 200 content application/json schema.required"]
    );
}

#[test]
fn a_header_no_security_scheme_carries_is_a_difference() {
    let ours = ours_with("name: x-org", "name: x-tenant");
    let found = differences(&ours, &yaml(PUBLISHED));
    assert_eq!(
        keys(&found),
        vec![
            "GET /widgets/{} param header:x-org",
            "GET /widgets/{} param header:x-tenant",
        ]
    );
}

#[test]
fn an_optional_parameter_made_required_is_a_difference() {
    let ours = ours_with(
        "        - name: view\n          in: query\n",
        "        - name: view\n          in: query\n          required: true\n",
    );
    let found = differences(&ours, &yaml(PUBLISHED));
    assert_eq!(
        found,
        vec![Difference {
            key: "GET /widgets/{} param query:view required".into(),
            ours: Some("true".into()),
            published: Some("false".into()),
        }]
    );
}

#[test]
fn recursive_schemas_end() {
    // Both are recursive through `parts`; the walk stops at the repeated reference.
    let found = differences(&yaml(OURS), &yaml(PUBLISHED));
    assert!(found.is_empty());
    let ours = ours_with(
        "          items:\n            $ref: '#/components/schemas/Thing'",
        "          items: {type: string}",
    );
    let found = differences(&ours, &yaml(PUBLISHED));
    assert!(
        keys(&found)
            .iter()
            .any(|k| k.ends_with("schema.properties[parts].items.type")),
        "{found:#?}"
    );
}

#[test]
fn deviations_cover_differences_by_pattern_and_stale_ones_are_reported() {
    let found = vec![
        Difference {
            key: "GET /a response 401".into(),
            ours: Some("answer".into()),
            published: None,
        },
        Difference {
            key: "GET /b response 401".into(),
            ours: Some("answer".into()),
            published: None,
        },
        Difference {
            key: "GET /b param query:limit required".into(),
            ours: Some("true".into()),
            published: Some("false".into()),
        },
    ];
    let listed = vec![
        Deviation {
            at: "* response 401".into(),
            reason: "tokens expire".into(),
        },
        Deviation {
            at: "GET /c".into(),
            reason: "gone".into(),
        },
    ];
    let outcome = check(&found, &listed);
    assert_eq!(outcome.covered, 2);
    assert_eq!(
        keys(&outcome.unlisted),
        vec!["GET /b param query:limit required"]
    );
    assert_eq!(outcome.stale, vec![listed[1].clone()]);
}

#[test]
fn glob_matches_runs_of_any_characters() {
    assert!(glob("GET /a", "GET /a"));
    assert!(!glob("GET /a", "GET /ab"));
    assert!(glob("* response 401", "GET /a response 401"));
    assert!(!glob("* response 401", "GET /a response 4010"));
    assert!(glob("GET *{} response *", "GET /x/{} response 200"));
    assert!(glob("a*b*c", "abc"));
    assert!(!glob("a*b*c", "acb"));
    assert!(glob("*", ""));
    // The last part must not overlap a middle part's match.
    assert!(!glob("*ab*b", "ab"));
}

#[test]
fn the_deviations_file_needs_a_reason_for_each_entry() {
    let ok = parse_deviations("- at: GET /a\n  reason: because\n");
    assert_eq!(
        ok,
        Ok(vec![Deviation {
            at: "GET /a".into(),
            reason: "because".into()
        }])
    );
    assert!(parse_deviations("- at: GET /a\n").is_err());
    assert!(parse_deviations("- at: GET /a\n  reason: '  '\n").is_err());
    assert!(parse_deviations("at: GET /a\n").is_err());
    assert_eq!(parse_deviations("# nothing yet\n"), Ok(vec![]));
}

#[test]
fn saying_the_default_is_the_same_as_leaving_it_out() {
    let published = PUBLISHED.replace(
        "      properties:\n        message: {type: string}",
        "      required: []\n      nullable: false\n      properties:\n        message: {type: string, readOnly: false}",
    );
    assert_ne!(published, PUBLISHED);
    let found = differences(&yaml(OURS), &yaml(&published));
    assert_eq!(found, vec![], "{found:#?}");
    let published = PUBLISHED.replace(
        "      properties:\n        message: {type: string}",
        "      nullable: true\n      properties:\n        message: {type: string}",
    );
    let found = differences(&yaml(OURS), &yaml(&published));
    assert_eq!(
        keys(&found),
        vec!["GET /widgets/{} response 404 content application/json schema.nullable"]
    );
}
