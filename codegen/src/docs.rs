//! Doc comments for the public items progenitor generates without one, so that each says what
//! it is: a type's `builder()`, that builder and its setters (a setter repeats its field's own
//! description from the spec), and a request builder's `new` and setters ([`document`]); the
//! httpmock helpers' matchers, answers and mock methods ([`document_mocks`]). A field whose
//! property is a `$ref`, which typify leaves bare, says what the schema it refers to says
//! ([`document_ref_fields`]). An item that has a doc comment keeps it.

use std::collections::HashMap;

/// Adds a doc comment to each such item of `file` that has none; returns how many.
pub fn document(file: &mut syn::File) -> usize {
    let mut added = 0;
    if let Some(types) = crate::syntax::module_items(file, "types") {
        let fields = field_docs(types);
        for item in types.iter_mut() {
            match item {
                syn::Item::Impl(block) => {
                    added += document_fns(block, |sig| {
                        (sig.ident == "builder").then(|| {
                            doc_attrs(
                                "A builder of this type: set its fields, then `try_into()` it (a \
                                 required field left unset is an error).",
                            )
                        })
                    });
                }
                syn::Item::Mod(builders) if builders.ident == "builder" => {
                    let items = builders.content.as_mut().map_or(&mut [][..], |c| &mut c.1);
                    added += document_type_builders(items, &fields);
                }
                _ => {}
            }
        }
    }
    if let Some(requests) = crate::syntax::module_items(file, "builder") {
        for item in requests.iter_mut() {
            if let syn::Item::Impl(block) = item {
                added += document_fns(block, |sig| {
                    Some(doc_attrs(&match sig.ident.to_string().as_str() {
                        "new" => "A request on `client`, with no parameter set yet.".to_owned(),
                        "body_map" => {
                            "Changes the request's body with `f`, from the body set so far."
                                .to_owned()
                        }
                        name => format!("Sets the request's `{name}`."),
                    }))
                });
            }
        }
    }
    added
}

/// Adds a doc comment to each public item of the httpmock helpers `file` that has none;
/// returns how many.
pub fn document_mocks(file: &mut syn::File) -> usize {
    let mut added = 0;
    if let Some(operations) = crate::syntax::module_items(file, "operations") {
        for item in operations.iter_mut() {
            match item {
                syn::Item::Struct(s) if is_public(&s.vis) && !has_doc(&s.attrs) => {
                    let text = match s.ident.to_string() {
                        name if name.ends_with("When") => {
                            "What a request of this operation must match: httpmock's \
                             [`When`](::httpmock::When), typed."
                        }
                        _ => {
                            "How a mock of this operation answers: httpmock's \
                             [`Then`](::httpmock::Then), typed."
                        }
                    };
                    s.attrs.splice(0..0, doc_attrs(text));
                    added += 1;
                }
                syn::Item::Impl(block) => {
                    let answers =
                        crate::syntax::impl_name(block).is_some_and(|name| name.ends_with("Then"));
                    added +=
                        document_fns(block, |sig| Some(doc_attrs(&mock_method_doc(sig, answers))));
                }
                _ => {}
            }
        }
    }
    for item in file.items.iter_mut() {
        if let syn::Item::Trait(t) = item {
            for member in t.items.iter_mut() {
                if let syn::TraitItem::Fn(f) = member
                    && !has_doc(&f.attrs)
                {
                    let text = format!(
                        "Mocks the `{}` operation: `config_fn` says what a request must match \
                         and how it is answered.",
                        f.sig.ident
                    );
                    f.attrs.splice(0..0, doc_attrs(&text));
                    added += 1;
                }
            }
        }
    }
    added
}

/// The doc comment of a method of an operation's matcher, or with `answers` of its answer.
fn mock_method_doc(sig: &syn::Signature, answers: bool) -> String {
    let side = if answers { "Then" } else { "When" };
    let name = sig.ident.to_string();
    let takes_status = sig.inputs.iter().any(|input| {
        matches!(input, syn::FnArg::Typed(arg)
            if matches!(&*arg.pat, syn::Pat::Ident(p) if p.ident == "status"))
    });
    match name.as_str() {
        "new" if answers => "Answers through `inner`.".to_owned(),
        "new" => "Matches this operation's method and path, through `inner`.".to_owned(),
        "into_inner" => {
            format!("httpmock's own `{side}`, to go beyond what the spec allows.")
        }
        "body" => "Matches the request's body.".to_owned(),
        _ if answers && takes_status => {
            "Answers with the status given, and the value given, if any, as its body.".to_owned()
        }
        _ if answers => {
            format!(
                "Answers with the status `{name}` names, and the value given, if any, as its body."
            )
        }
        _ => format!("Matches the request's `{name}`."),
    }
}

/// The doc comments of the named fields of the structs among `items`, by struct and field.
fn field_docs(items: &[syn::Item]) -> HashMap<(String, String), Vec<syn::Attribute>> {
    let mut docs = HashMap::new();
    for item in items {
        let syn::Item::Struct(s) = item else {
            continue;
        };
        let syn::Fields::Named(fields) = &s.fields else {
            continue;
        };
        for field in &fields.named {
            let doc: Vec<syn::Attribute> = field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect();
            if let (Some(name), false) = (&field.ident, doc.is_empty()) {
                docs.insert((s.ident.to_string(), name.to_string()), doc);
            }
        }
    }
    docs
}

/// Documents the builders of the `types` module (`types::builder`) and their setters.
fn document_type_builders(
    items: &mut [syn::Item],
    fields: &HashMap<(String, String), Vec<syn::Attribute>>,
) -> usize {
    let mut added = 0;
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(s) if is_public(&s.vis) && !has_doc(&s.attrs) => {
                let text = format!(
                    "Builds a [`super::{}`] field by field; `try_into()` checks it.",
                    s.ident
                );
                s.attrs.splice(0..0, doc_attrs(&text));
                added += 1;
            }
            syn::Item::Impl(block) => {
                let Some(owner) = crate::syntax::impl_name(block) else {
                    continue;
                };
                added += document_fns(block, |sig| {
                    let name = sig.ident.to_string();
                    let field = fields.get(&(owner.clone(), name.clone())).cloned();
                    Some(field.unwrap_or_else(|| doc_attrs(&format!("Sets `{name}`."))))
                });
            }
            _ => {}
        }
    }
    added
}

/// Documents the public functions of the inherent impl `block` that have no doc comment with
/// the doc attributes `doc` gives for their signature, if it gives any.
fn document_fns(
    block: &mut syn::ItemImpl,
    doc: impl Fn(&syn::Signature) -> Option<Vec<syn::Attribute>>,
) -> usize {
    if block.trait_.is_some() {
        return 0;
    }
    let mut added = 0;
    for member in block.items.iter_mut() {
        let syn::ImplItem::Fn(f) = member else {
            continue;
        };
        if !is_public(&f.vis) || has_doc(&f.attrs) {
            continue;
        }
        if let Some(mut attrs) = doc(&f.sig) {
            attrs.append(&mut f.attrs);
            f.attrs = attrs;
            added += 1;
        }
    }
    added
}

/// The description of the schema each `$ref` property of a named object schema of `doc`
/// refers to, by schema name and property name (as on the wire).
pub fn ref_property_docs(doc: &openapiv3::OpenAPI) -> HashMap<(String, String), String> {
    use openapiv3::ReferenceOr;
    let schemas = doc.components.as_ref().map(|c| &c.schemas);
    let described = |reference: &str| {
        let name = reference.strip_prefix("#/components/schemas/")?;
        let schema = schemas?.get(name)?.as_item()?;
        schema.schema_data.description.clone()
    };
    let mut docs = HashMap::new();
    for (name, schema) in schemas.into_iter().flatten() {
        let Some(openapiv3::SchemaKind::Type(openapiv3::Type::Object(object))) =
            schema.as_item().map(|s| &s.schema_kind)
        else {
            continue;
        };
        for (property, value) in &object.properties {
            if let ReferenceOr::Reference { reference } = value
                && let Some(text) = described(reference)
            {
                docs.insert((name.clone(), property.clone()), text);
            }
        }
    }
    docs
}

/// Gives each field of the `types` module's structs that has no doc comment the description
/// `docs` holds for its struct and wire name ([`ref_property_docs`]); returns how many.
pub fn document_ref_fields(
    file: &mut syn::File,
    docs: &HashMap<(String, String), String>,
) -> usize {
    let Some(types) = crate::syntax::module_items(file, "types") else {
        return 0;
    };
    let mut added = 0;
    for item in types.iter_mut() {
        let syn::Item::Struct(s) = item else {
            continue;
        };
        let syn::Fields::Named(fields) = &mut s.fields else {
            continue;
        };
        let name = s.ident.to_string();
        for field in fields.named.iter_mut().filter(|f| !has_doc(&f.attrs)) {
            let Some(wire) = wire_name(field) else {
                continue;
            };
            if let Some(text) = docs.get(&(name.clone(), wire)) {
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                field.attrs.splice(0..0, doc_attrs(&text));
                added += 1;
            }
        }
    }
    added
}

/// The name `field` has on the wire: its `#[serde(rename = "..")]`, else its own.
fn wire_name(field: &syn::Field) -> Option<String> {
    let mut renamed = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                renamed = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    let own = field.ident.as_ref()?.to_string();
    Some(renamed.unwrap_or_else(|| own.trim_start_matches("r#").to_owned()))
}

/// `text` as the doc attribute a `///` line makes.
fn doc_attrs(text: &str) -> Vec<syn::Attribute> {
    let line = format!(" {text}");
    vec![syn::parse_quote!(#[doc = #line])]
}

fn is_public(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn has_doc(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("doc"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn assert_contains_all(code: &str, expected: &[&str]) {
        for expected in expected {
            assert!(code.contains(expected), "{expected:?} in\n{code}");
        }
    }

    #[test]
    fn undocumented_builders_and_setters_get_docs_and_documented_ones_keep_theirs() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Person {
                    /// The person's email address.
                    pub email: String,
                    pub name: String,
                }
                impl Person {
                    pub fn builder() -> builder::Person { Default::default() }
                }
                pub mod builder {
                    pub struct Person { email: String, name: String }
                    impl Person {
                        pub fn email<T>(mut self, value: T) -> Self { self }
                        pub fn name<T>(mut self, value: T) -> Self { self }
                        /// Kept.
                        pub fn other(self) -> Self { self }
                        fn hidden() {}
                    }
                    impl ::std::convert::TryFrom<Person> for super::Person {
                        type Error = String;
                        pub fn try_from(value: Person) -> Result<Self, String> { todo!() }
                    }
                }
            }
            pub mod builder {
                /// Builder for [`Client::list_people`].
                pub struct ListPeople<'a> { client: &'a super::Client }
                impl<'a> ListPeople<'a> {
                    pub fn new(client: &'a super::Client) -> Self { Self { client } }
                    pub fn limit<V>(mut self, value: V) -> Self { self }
                    pub fn body_map<F>(mut self, f: F) -> Self { self }
                    /// Sends the request.
                    pub async fn send(self) {}
                }
            }
        };
        assert_eq!(document(&mut file), 7);
        let code = prettyplease::unparse(&file);
        assert_contains_all(
            &code,
            &[
                "/// A builder of this type: set its fields, then `try_into()` it",
                "/// Builds a [`super::Person`] field by field; `try_into()` checks it.",
                "/// The person's email address.\n            pub fn email",
                "/// Sets `name`.\n            pub fn name",
                "/// Kept.\n            pub fn other",
                "/// A request on `client`, with no parameter set yet.",
                "/// Sets the request's `limit`.",
                "/// Changes the request's body with `f`",
                "/// Sends the request.\n        pub async fn send",
            ],
        );
        assert!(!code.contains("/// Sets `hidden`"), "{code}");
        assert!(
            !file
                .to_token_stream()
                .to_string()
                .contains("Sets `try_from`"),
            "trait impls are left alone"
        );
        // Run twice, it adds nothing.
        assert_eq!(document(&mut file), 0);
    }

    #[test]
    fn the_mock_helpers_get_docs() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod operations {
                pub struct ListPeopleWhen(::httpmock::When);
                impl ListPeopleWhen {
                    pub fn new(inner: ::httpmock::When) -> Self { Self(inner) }
                    pub fn into_inner(self) -> ::httpmock::When { self.0 }
                    pub fn limit<T>(self, value: T) -> Self { self }
                }
                pub struct ListPeopleThen(::httpmock::Then);
                impl ListPeopleThen {
                    pub fn too_many_requests(self, value: &types::Error) -> Self { self }
                    pub fn default_response(self, status: u16, value: &types::Error) -> Self { self }
                }
            }
            /// Kept.
            pub trait MockServerExt {
                fn list_people<F>(&self, config_fn: F) -> ::httpmock::Mock<'_>;
            }
        };
        assert_eq!(document_mocks(&mut file), 8);
        let code = prettyplease::unparse(&file);
        assert_contains_all(
            &code,
            &[
                "/// What a request of this operation must match",
                "/// How a mock of this operation answers",
                "/// Matches this operation's method and path, through `inner`.",
                "/// httpmock's own `When`, to go beyond what the spec allows.",
                "/// Matches the request's `limit`.",
                "/// Answers with the status `too_many_requests` names",
                "/// Answers with the status given, and the value given",
                "/// Mocks the `list_people` operation",
                "/// Kept.\npub trait MockServerExt",
            ],
        );
        assert_eq!(document_mocks(&mut file), 0);
    }

    #[test]
    fn a_ref_field_says_what_its_schema_says() {
        let doc: openapiv3::OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {
                "Attempt": {"type": "object", "properties": {
                    "authorizationUrl": {"$ref": "#/components/schemas/Url"},
                    "state": {"$ref": "#/components/schemas/State"},
                    "kept": {"$ref": "#/components/schemas/State"},
                }},
                "Url": {"type": "string", "description": "The login page."},
                "State": {"type": "string", "description": "An opaque\n  value."},
            }},
        }))
        .unwrap();
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Attempt {
                    #[serde(rename = "authorizationUrl")]
                    pub authorization_url: String,
                    #[serde(skip_serializing_if = "Option::is_none")]
                    pub state: Option<String>,
                    /// Its own.
                    pub kept: String,
                }
            }
        };
        let added = document_ref_fields(&mut file, &ref_property_docs(&doc));
        assert_eq!(added, 2);
        let code = file.to_token_stream().to_string();
        assert_contains_all(
            &code,
            &[
                "# [doc = \" The login page.\"] # [serde (rename = \"authorizationUrl\")]",
                "# [doc = \" An opaque value.\"] # [serde (skip_serializing_if",
                "# [doc = r\" Its own.\"] pub kept",
            ],
        );
    }
}
