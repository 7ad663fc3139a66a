//! Code generation for the `liveramp` crate, shared by its build script and its xtask.
//!
//! `liveramp`'s `build.rs` turns each enabled `specs/<api>.yaml` into Rust with [`load`] and
//! [`generate`] (and [`generate_httpmock`] with its `httpmock` feature): progenitor runs with the
//! crate's settings, every string enum becomes open (an `Unknown(String)` variant keeps values the
//! spec does not list), an operation table the transport validates and retries by is appended,
//! progenitor's `api-version` header is dropped, each URL is joined from its parts with its query
//! written into its text, every `send()` returns the crate's error and says what a rejected
//! builder input must be, and names such as `segment_i_ds` are tidied. `cargo xtask` reads the same specs through [`parse`]
//! for its lint and renders `docs/operations.md` with [`operations_markdown`].
//!
//! # Stability
//!
//! This crate exists so that `liveramp` can generate its clients at build time; it is published
//! only because a build dependency must be. Its public surface is what that build script and the
//! repository's xtask call, and follows semver on its own:
//!
//! - [`APIS`], [`Api`], [`Error`] and [`OpenEnum`], and the functions at the crate root;
//! - [`openapiv3`], re-exported because [`load`] and [`parse`] return its `OpenAPI` document: a
//!   new major version of `openapiv3` is a breaking release of this crate.
//!
//! The generated code itself is not part of this crate's contract: it is the `liveramp`
//! crate of the same version's business, and the two are released together.

mod answer;
mod batch;
mod catalog;
mod client;
mod debug;
mod docs;
mod exhaustive;
mod headers;
mod names;
mod open_enum;
mod operations;
mod pagination;
mod query;
mod send;
mod syntax;
mod url;

pub use openapiv3;

use std::fmt;
use std::path::{Path, PathBuf};

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TypeImpl};
use quote::ToTokens;

pub use catalog::operations_markdown;
pub use open_enum::OpenEnum;

/// One API of the crate: its Cargo feature, its Rust module and its spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Api {
    /// The Cargo feature that enables it, e.g. `activation-v1`.
    pub feature: &'static str,
    /// The module it is generated into, e.g. `activation_v1`.
    pub module: &'static str,
    /// The spec file, relative to the repository root.
    pub spec: &'static str,
}

impl Api {
    /// The env var Cargo sets for a build script when the feature is on.
    pub fn cargo_feature_env(&self) -> String {
        format!(
            "CARGO_FEATURE_{}",
            self.feature.to_uppercase().replace('-', "_")
        )
    }
}

/// Every API the crate generates a client for.
pub const APIS: &[Api] = &[
    Api {
        feature: "activation",
        module: "activation",
        spec: "specs/activation.yaml",
    },
    Api {
        feature: "activation-v1",
        module: "activation_v1",
        spec: "specs/activation-v1.yaml",
    },
    Api {
        feature: "consent",
        module: "consent",
        spec: "specs/consent.yaml",
    },
    Api {
        feature: "abilitec",
        module: "abilitec",
        spec: "specs/abilitec.yaml",
    },
    Api {
        feature: "data-integration",
        module: "data_integration",
        spec: "specs/data-integration.yaml",
    },
];

/// A failure to read or generate one spec; its message always names the spec file.
#[derive(Debug)]
#[non_exhaustive]
pub struct Error {
    /// The spec file.
    pub spec: PathBuf,
    /// What went wrong, with the operation or schema where known.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.spec.display(), self.message)
    }
}

impl std::error::Error for Error {}

fn error(spec: &Path, message: impl Into<String>) -> Error {
    Error {
        spec: spec.to_path_buf(),
        message: message.into(),
    }
}

/// Reads a spec file as YAML into an OpenAPI 3.0.x document.
pub fn load(spec: &Path) -> Result<OpenAPI, Error> {
    let text =
        std::fs::read_to_string(spec).map_err(|e| error(spec, format!("cannot read: {e}")))?;
    parse(spec, &text)
}

/// Parses spec text (YAML or JSON) into an OpenAPI 3.0.x document; `spec` names it in errors.
pub fn parse(spec: &Path, text: &str) -> Result<OpenAPI, Error> {
    let doc: OpenAPI = serde_norway::from_str(text)
        .map_err(|e| error(spec, format!("not an OpenAPI 3.0.x document: {e}")))?;
    if !doc.openapi.starts_with("3.0.") {
        return Err(error(
            spec,
            format!("openapi version {} is not 3.0.x", doc.openapi),
        ));
    }
    Ok(doc)
}

/// The named component schemas of `type: string`, in spec order.
fn string_schemas(
    doc: &OpenAPI,
) -> impl Iterator<Item = (&String, &openapiv3::Schema, &openapiv3::StringType)> {
    doc.components
        .iter()
        .flat_map(|components| components.schemas.iter())
        .filter_map(|(name, schema)| match schema {
            ReferenceOr::Item(schema) => match &schema.schema_kind {
                SchemaKind::Type(Type::String(s)) => Some((name, schema, s)),
                _ => None,
            },
            ReferenceOr::Reference { .. } => None,
        })
}

/// The named component schemas that are string enums, in spec order.
fn string_enums(doc: &OpenAPI) -> Vec<OpenEnum> {
    string_schemas(doc)
        .filter(|(_, _, s)| !s.enumeration.is_empty())
        .map(|(name, schema, s)| OpenEnum {
            name: name.clone(),
            description: schema.schema_data.description.clone(),
            values: s.enumeration.iter().flatten().cloned().collect(),
        })
        .collect()
}

/// The named component schemas that hold secrets (`type: string, format: password`); they are
/// generated as the crate's redacting `auth::Secret`.
fn secret_strings(doc: &OpenAPI) -> Vec<String> {
    string_schemas(doc)
        .filter(|(_, _, s)| {
            s.format == openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Password)
        })
        .map(|(name, _, _)| name.clone())
        .collect()
}

/// The named component schemas marked `x-secret: true` that are objects (a map of secrets, such
/// as a connection's credentials); they are generated as the crate's redacting
/// `auth::SecretMap`.
fn secret_maps(doc: &OpenAPI) -> Vec<String> {
    marked(doc, "x-secret")
        .filter(|(_, schema)| {
            matches!(
                schema.schema_kind,
                openapiv3::SchemaKind::Type(openapiv3::Type::Object(_))
            )
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The named component schemas of `doc` with `extension: true`.
fn marked<'a>(
    doc: &'a OpenAPI,
    extension: &'a str,
) -> impl Iterator<Item = (&'a String, &'a openapiv3::Schema)> + 'a {
    doc.components
        .iter()
        .flat_map(|components| &components.schemas)
        .filter_map(|(name, schema)| Some((name, schema.as_item()?)))
        .filter(move |(_, schema)| {
            schema.schema_data.extensions.get(extension) == Some(&serde_json::Value::Bool(true))
        })
}

/// The named component schemas marked `x-personal-data: true`: their values are a person's
/// data (or a server's text that may quote it), which their generated types show neither in
/// `Debug` nor, having none, in `Display`.
fn personal_schemas(doc: &OpenAPI) -> Vec<String> {
    marked(doc, "x-personal-data")
        .map(|(name, _)| name.clone())
        .collect()
}

/// The progenitor settings every API is generated with.
///
/// `module` is the crate module the code is included into; open enums are referred to by their
/// path in it.
fn settings(doc: &OpenAPI, module: &str) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote::quote!(crate::transport::Transport))
        .with_derive("PartialEq");
    for open in string_enums(doc) {
        settings.with_replacement(
            &open.name,
            format!("crate::{module}::types::{}", open.rust_name()),
            [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
        );
    }
    for secret in secret_strings(doc) {
        settings.with_replacement(&secret, "crate::auth::Secret", std::iter::empty());
    }
    for secret in secret_maps(doc) {
        settings.with_replacement(&secret, "crate::auth::SecretMap", std::iter::empty());
    }
    settings
}

/// Generates the formatted Rust source of one API's client from its parsed spec.
pub fn generate(spec: &Path, doc: &OpenAPI, module: &str) -> Result<String, Error> {
    let mut generator = Generator::new(&settings(doc, module));
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(doc)
    }))
    .map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown reason");
        error(
            spec,
            format!("progenitor panicked: {why} (run `cargo xtask lint` for the exact place)"),
        )
    })?
    .map_err(|e| error(spec, format!("progenitor: {e}")))?;
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| error(spec, format!("generated code does not parse: {e}")))?;
    if exhaustive::mark_structs(&mut file) == 0 && exhaustive::has_object_schemas(doc) {
        return Err(error(
            spec,
            "progenitor no longer generates structs with named fields in its `types` module \
             the way codegen/src/exhaustive.rs expects: update that step",
        ));
    }
    let enums = string_enums(doc);
    let types = syntax::module_items(&mut file, "types")
        .ok_or_else(|| error(spec, "generated code has no `types` module"))?;
    for open in &enums {
        let item: syn::File = syn::parse2(open.tokens().map_err(|m| error(spec, m))?)
            .map_err(|e| error(spec, format!("open enum {}: {e}", open.name)))?;
        types.extend(item.items);
    }
    let table = operations::table_source(module, &operations::operation_specs(doc));
    let table: syn::File = syn::parse_str(&table)
        .map_err(|e| error(spec, format!("operation table does not parse: {e}")))?;
    file.items.extend(table.items);
    if headers::drop_api_version(&mut file) == 0 {
        return Err(error(
            spec,
            "progenitor no longer adds an `api-version` header the way codegen/src/headers.rs \
             expects: update that step",
        ));
    }
    if client::crate_http_client(&mut file) == 0 {
        return Err(error(
            spec,
            "progenitor no longer builds `Client::new`'s HTTP client from \
             `reqwest::ClientBuilder::new()` the way codegen/src/client.rs expects: update that \
             step",
        ));
    }
    let rewrites = answer::read_buffered(&mut file);
    if rewrites.sends == 0 || rewrites.hooks != 2 * rewrites.sends || rewrites.unknown > 0 {
        return Err(error(
            spec,
            "progenitor no longer calls `client.pre`, `client.exec` and `client.post`, or builds \
             its `ResponseValue`s, the way codegen/src/answer.rs expects: update that step",
        ));
    }
    if send::send_crate_error(&mut file) == 0 || !send::hide_progenitor_error(&mut file) {
        return Err(error(
            spec,
            "progenitor no longer generates `send` or its `Error` re-export the way \
             codegen/src/send.rs expects: update that step",
        ));
    }
    send::describe_inputs(&mut file, doc);
    let has_path_parameters = doc.paths.paths.keys().any(|path| path.contains('{'));
    if send::check_path_segments(&mut file) == 0 && has_path_parameters {
        return Err(error(
            spec,
            "progenitor no longer encodes path parameters with `encode_path(..)` inside the \
             URL's `format!` the way codegen/src/send.rs expects: update that step",
        ));
    }
    // After the path segments are checked: that step reads progenitor's `format!`.
    if url::join_url_parts(&mut file) == 0 {
        return Err(error(
            spec,
            "progenitor no longer builds request URLs with `let url = format!(..)` the way \
             codegen/src/url.rs expects: update that step",
        ));
    }
    query::query_in_url(&mut file).map_err(|m| error(spec, m))?;
    if file
        .to_token_stream()
        .to_string()
        .contains("QueryParam :: new")
    {
        return Err(error(
            spec,
            "progenitor no longer adds query parameters with \
             `.query(&progenitor_client::QueryParam::new(..))` the way codegen/src/query.rs \
             expects: update that step",
        ));
    }
    pagination::add_streams(&mut file, doc).map_err(|m| error(spec, m))?;
    batch::add_batch_items(&mut file, &batch::batch_operations(doc)).map_err(|m| error(spec, m))?;
    if debug::redact_request_builders(&mut file) == 0 && !doc.paths.paths.is_empty() {
        return Err(error(
            spec,
            "progenitor no longer derives `Debug` on the request builders of its `builder` \
             module the way codegen/src/debug.rs expects: update that step",
        ));
    }
    let missing = debug::redact_personal_types(&mut file, &personal_schemas(doc));
    if !missing.is_empty() {
        return Err(error(
            spec,
            format!(
                "no type with a derived `Debug` in the `types` module for the \
                 `x-personal-data` schemas {}: codegen/src/debug.rs could not redact them",
                missing.join(", ")
            ),
        ));
    }
    docs::document_ref_fields(&mut file, &docs::ref_property_docs(doc));
    docs::document(&mut file);
    // The two steps left on the printed code work on text by design. Both change words inside
    // doc strings and (for names) inside macro invocations such as `format!` and serde's
    // attributes, which syn keeps as unparsed strings and token streams: a visitor would need
    // the same word scan for those, plus a second one for identifiers. Whole words are matched,
    // and a string literal holding exactly the name (a wire name) is left alone.
    // progenitor's usage snippets are fragments, not doctests: show them as text.
    let code = prettyplease::unparse(&file).replace("```ignore", "```text");
    Ok(names::tidy_names(&code))
}

/// Generates the typed httpmock helpers of one API (`when`/`then` extensions per operation) for
/// the code generated by [`generate`] into the crate module `module`.
pub fn generate_httpmock(spec: &Path, doc: &OpenAPI, module: &str) -> Result<String, Error> {
    let mut generator = Generator::new(&settings(doc, module));
    let tokens = generator
        .httpmock(doc, &format!("crate::{module}"))
        .map_err(|e| error(spec, format!("progenitor httpmock: {e}")))?;
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| error(spec, format!("generated httpmock code does not parse: {e}")))?;
    query::match_array_items(&mut file);
    docs::document_mocks(&mut file);
    Ok(names::tidy_names(&prettyplease::unparse(&file)))
}

/// Finds an operation by its `operationId`: its path, method and definition.
pub fn operation<'a>(
    doc: &'a OpenAPI,
    operation_id: &str,
) -> Option<(&'a str, &'a str, &'a openapiv3::Operation)> {
    doc.paths.iter().find_map(|(path, item)| {
        item.as_item()?
            .iter()
            .find(|(_, op)| op.operation_id.as_deref() == Some(operation_id))
            .map(|(method, op)| (path.as_str(), method, op))
    })
}

/// The JSON example of an operation's answer with `status`, resolving a `$ref`'d response.
pub fn response_example(
    doc: &OpenAPI,
    operation_id: &str,
    status: u16,
) -> Option<serde_json::Value> {
    let (_, _, op) = operation(doc, operation_id)?;
    let response = op
        .responses
        .responses
        .get(&openapiv3::StatusCode::Code(status))?;
    let response = match response {
        ReferenceOr::Item(r) => r,
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/responses/")?;
            doc.components.as_ref()?.responses.get(name)?.as_item()?
        }
    };
    response.content.get("application/json")?.example.clone()
}

#[cfg(test)]
mod tests {
    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /deliveries:
    get:
      operationId: list_deliveries
      parameters:
        - name: segmentIDs
          in: query
          schema: {type: array, items: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Delivery'}
components:
  schemas:
    Delivery:
      type: object
      required: [oAuthEndpointID]
      properties:
        oAuthEndpointID: {type: string}
"#;

    #[test]
    fn generated_names_are_tidied_and_wire_names_kept() {
        let spec = std::path::Path::new("t.yaml");
        let doc = crate::parse(spec, SPEC).unwrap();
        for code in [
            crate::generate(spec, &doc, "t").unwrap(),
            crate::generate_httpmock(spec, &doc, "t").unwrap(),
        ] {
            assert!(!code.contains("segment_i_ds"), "{code}");
            assert!(code.contains("pub fn segment_ids"), "{code}");
        }
        let code = crate::generate(spec, &doc, "t").unwrap();
        assert!(!code.contains("o_auth"), "{code}");
        assert!(code.contains("pub oauth_endpoint_id: ::std::string::String"));
        assert!(code.contains(r#"rename = "oAuthEndpointID""#));
        assert!(
            code.contains(r#".optional("segmentIDs", &segment_ids)"#),
            "{code}"
        );
    }
}
