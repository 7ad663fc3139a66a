use std::collections::BTreeMap;

use super::QueryText;

/// An enum as progenitor generates one for a parameter's inline list of values.
#[derive(serde::Serialize)]
enum View {
    #[serde(rename = "summary view")]
    Summary,
}

const BASE: &str = "https://api.example.com/v2/things";

/// The URL reqwest's `RequestBuilder::query` makes of `base` and the parameters, as the
/// generated code built it before (progenitor's `QueryParam`, one call per parameter).
fn through_reqwest(
    base: &str,
    add: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> String {
    let client = crate::http::client().unwrap();
    add(client.get(base)).build().unwrap().url().to_string()
}

/// The URL reqwest parses from the text `QueryText` makes.
fn through_text(base: &str, add: impl FnOnce(QueryText) -> QueryText) -> String {
    let text = add(QueryText::new(base.to_owned())).finish().unwrap();
    reqwest::Url::parse(&text).unwrap().to_string()
}

macro_rules! same_as_reqwest {
    ($base:expr, $($name:literal => $value:expr),+ $(,)?) => {{
        let expected = through_reqwest($base, |b| {
            b$(.query(&progenitor_client::QueryParam::new($name, &$value)))+
        });
        let written = through_text($base, |q| q$(.required($name, &$value))+);
        assert_eq!(written, expected);
        written
    }};
}

#[test]
fn scalars_are_written_as_serde_urlencoded_writes_them() {
    let when = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00.5+02:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let url = same_as_reqwest!(BASE,
        "limit" => std::num::NonZeroU32::new(10).unwrap(),
        "email" => "Jane.Doe+tag@example.com",
        "name" => "Zoë O'Brien & co = 100% #1 ?",
        "empty" => "",
        "negative" => -42i64,
        "big" => u64::MAX,
        "flag" => true,
        "initial" => 'é',
        "when" => when,
        "ratio" => 1.5f64,
        "whole" => 2.0f32,
        "kind" => crate::consent::types::RequestType::OptOut,
        "other" => crate::consent::types::RequestType::Unknown("a b".into()),
        "view" => View::Summary,
        "set" => Some(7u8),
    );
    assert!(
        url.contains("?limit=10&email=Jane.Doe%2Btag%40example.com&"),
        "{url}"
    );
}

#[test]
fn arrays_repeat_their_name_and_an_empty_one_adds_nothing() {
    let ids = vec!["a b".to_owned(), "c&d".to_owned()];
    let none: Vec<String> = Vec::new();
    let url = same_as_reqwest!(BASE, "ids" => ids, "none" => none, "after" => "x");
    assert!(url.ends_with("?ids=a+b&ids=c%26d&after=x"), "{url}");
    let only_empty = same_as_reqwest!(BASE, "none" => none);
    assert_eq!(only_empty, BASE);
}

#[test]
fn unset_optional_parameters_add_nothing() {
    let unset: Option<u32> = None;
    let text = QueryText::new(BASE.to_owned())
        .optional("a", &unset)
        .optional("b", &Some(2u32))
        .optional("c", &unset)
        .finish()
        .unwrap();
    assert_eq!(text, format!("{BASE}?b=2"));
    let none_set = QueryText::new(BASE.to_owned())
        .optional("a", &unset)
        .finish()
        .unwrap();
    assert_eq!(none_set, BASE);
}

#[test]
fn a_url_with_a_query_or_a_fragment_keeps_them_in_place() {
    for base in [
        "https://api.example.com/v2/things?role=x",
        "https://api.example.com/v2/things?",
        "https://api.example.com/v2/things#part",
        "https://api.example.com/v2/things?role=x#part",
    ] {
        same_as_reqwest!(base, "limit" => 5u32, "after" => "a b");
    }
}

#[test]
fn a_value_no_query_can_hold_is_refused_by_name_without_the_value() {
    let nested: BTreeMap<&str, Vec<&str>> = BTreeMap::from([("secret", vec!["jane@example.com"])]);
    let refused = QueryText::new(BASE.to_owned())
        .required("first", &"kept")
        .required("filter", &nested)
        .required("last", &"also")
        .finish()
        .unwrap_err();
    assert!(refused.contains("`filter`"), "{refused}");
    assert!(!refused.contains("jane"), "{refused}");
    // reqwest refuses it too.
    let client = crate::http::client().unwrap();
    assert!(
        client
            .get(BASE)
            .query(&progenitor_client::QueryParam::new("filter", &nested))
            .build()
            .is_err()
    );
}

#[test]
fn url_text_joins_its_parts_with_room_for_a_query() {
    let url = super::url_text(&["https://api.example.com", "/v2/things/", "a%20b", "/parts"]);
    assert_eq!(url, "https://api.example.com/v2/things/a%20b/parts");
    let (before, capacity) = (url.as_ptr(), url.capacity());
    let text = QueryText::new(url)
        .required("limit", &100u32)
        .required("after", &"c3VyZS4gaGVyZSBpcyBhIGN1cnNvcg")
        .finish()
        .unwrap();
    assert_eq!(text.capacity(), capacity, "the query grew the string");
    assert_eq!(text.as_ptr(), before);
}
