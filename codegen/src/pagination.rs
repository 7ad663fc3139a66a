//! Cursor pagination from the specs: an operation marked
//!
//! ```yaml
//! x-pagination:
//!   cursor: after              # the query parameter that takes the cursor
//!   next: _pagination.after    # where a page holds the next cursor (dotted JSON names)
//!   items: v2/Destinations     # the page's array of items
//! ```
//!
//! gets `stream()` on its request builder, yielding every item across pages through
//! `crate::paginate`, and its page type implements `crate::paginate::Page`. Names are JSON
//! names; the Rust fields are found in the generated types by their serde names, so a spec that
//! names a field the page does not have fails generation loudly.

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{OpenAPI, ReferenceOr};
use quote::{ToTokens, format_ident};

/// One paginated operation, as its `x-pagination` extension describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pagination {
    /// The operation's `operationId`.
    pub operation_id: String,
    /// The query parameter that takes the cursor.
    pub cursor: String,
    /// The JSON names leading to the next cursor in a page.
    pub next: Vec<String>,
    /// The JSON name of the page's items.
    pub items: String,
    /// The component schema of the 200 answer (the page).
    pub page: String,
}

/// Every operation of `doc` with an `x-pagination` extension; `Err` names the first malformed
/// one.
pub fn paginated(doc: &OpenAPI) -> Result<Vec<Pagination>, String> {
    let mut found = Vec::new();
    for (path, item) in doc.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (method, op) in item.iter() {
            let Some(ext) = op.extensions.get("x-pagination") else {
                continue;
            };
            let where_ = format!("{method} {path}");
            let text = |key: &str| {
                ext.get(key)
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{where_}: x-pagination needs a string `{key}`"))
            };
            let operation_id = op
                .operation_id
                .clone()
                .ok_or_else(|| format!("{where_}: a paginated operation needs an operationId"))?;
            let page = op
                .responses
                .responses
                .get(&openapiv3::StatusCode::Code(200))
                .and_then(ReferenceOr::as_item)
                .and_then(|r| r.content.get("application/json"))
                .and_then(|m| m.schema.as_ref())
                .and_then(|s| match s {
                    ReferenceOr::Reference { reference } => reference
                        .strip_prefix("#/components/schemas/")
                        .map(str::to_owned),
                    ReferenceOr::Item(_) => None,
                })
                .ok_or_else(|| {
                    format!("{where_}: a paginated operation answers 200 with a $ref'd page schema")
                })?;
            found.push(Pagination {
                operation_id,
                cursor: text("cursor")?,
                next: text("next")?.split('.').map(str::to_owned).collect(),
                items: text("items")?,
                page,
            });
        }
    }
    Ok(found)
}

/// Adds `stream()` to each paginated operation's builder and `Page` to its page type; `Err`
/// says what of the generated code did not match the spec.
pub fn add_streams(file: &mut syn::File, doc: &OpenAPI) -> Result<usize, String> {
    let pages = paginated(doc)?;
    let mut page_impls = Vec::new();
    let mut stream_impls = Vec::new();
    for p in &pages {
        let types = crate::syntax::module_items(file, "types")
            .ok_or("generated code has no `types` module")?;
        let (items_field, item_ty) = field_of(types, &p.page, &p.items)
            .ok_or_else(|| format!("{}: page {} has no `{}`", p.operation_id, p.page, p.items))?;
        let item_ty = vec_item(&item_ty).ok_or_else(|| {
            format!(
                "{}: `{}` of {} is not an array",
                p.operation_id, p.items, p.page
            )
        })?;
        let next = next_cursor(types, &p.page, &p.next)
            .ok_or_else(|| format!("{}: no cursor at `{}`", p.operation_id, p.next.join(".")))?;
        let page_ty = format_ident!("{}", p.page);
        let items_field = format_ident!("{}", items_field);
        page_impls.push(syn::parse_quote! {
            impl crate::paginate::Page for #page_ty {
                type Item = #item_ty;
                fn into_parts(self) -> (::std::vec::Vec<Self::Item>, ::std::option::Option<::std::string::String>) {
                    let next = #next;
                    (self.#items_field, next)
                }
            }
        });
        // A bare name is a type of the `types` module; a path is used as it is.
        let streamed: syn::Type = match &item_ty {
            syn::Type::Path(path)
                if path.qself.is_none()
                    && path.path.leading_colon.is_none()
                    && path.path.segments.len() == 1 =>
            {
                syn::parse_quote!(types::#item_ty)
            }
            other => other.clone(),
        };
        let builder = format_ident!("{}", p.operation_id.to_upper_camel_case());
        let setter = format_ident!("{}", p.cursor.to_snake_case());
        stream_impls.push(syn::parse_quote! {
            impl<'a> #builder<'a> {
                /// Every item of every page, fetched a page at a time as the stream is read,
                /// following the cursor the API returns; see [`crate::paginate`].
                pub fn stream(self) -> crate::paginate::Items<'a, #streamed> {
                    crate::paginate::items(
                        self,
                        |builder| ::std::boxed::Box::pin(async move {
                            builder.send().await.map(ResponseValue::into_inner)
                        }),
                        |builder, cursor| builder.#setter(cursor),
                    )
                }
            }
        });
    }
    if let Some(types) = crate::syntax::module_items(file, "types") {
        types.extend(page_impls);
    }
    let builder = crate::syntax::module_items(file, "builder")
        .ok_or("generated code has no `builder` module")?;
    builder.extend(stream_impls);
    Ok(pages.len())
}

/// The Rust name and type of the field of struct `ty` whose JSON name is `json`.
fn field_of(types: &[syn::Item], ty: &str, json: &str) -> Option<(String, syn::Type)> {
    let strukt = types.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == ty => Some(s),
        _ => None,
    })?;
    strukt.fields.iter().find_map(|field| {
        let ident = field.ident.as_ref()?.to_string();
        let renamed = serde_rename(&field.attrs);
        let name = renamed.as_deref().unwrap_or(ident.trim_start_matches("r#"));
        (name == json).then(|| (ident.clone(), field.ty.clone()))
    })
}

/// `rename = "..."` of a field's `#[serde(...)]`.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .find_map(|a| {
            let mut renamed = None;
            let _ = a.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let value: syn::LitStr = meta.value()?.parse()?;
                    renamed = Some(value.value());
                } else if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            });
            renamed
        })
}

fn vec_item(ty: &syn::Type) -> Option<syn::Type> {
    crate::syntax::type_args(ty, "Vec").into_iter().next()
}

/// An expression over `self` (a page) giving `Option<String>`: the cursor at `path`, walking
/// optional and required fields alike.
fn next_cursor(types: &[syn::Item], page: &str, path: &[String]) -> Option<syn::Expr> {
    let mut steps: Vec<syn::Stmt> = Vec::new();
    let mut current_ty = page.to_owned();
    let mut holder: syn::Expr = syn::parse_quote!(self);
    for (i, json) in path.iter().enumerate() {
        let (field, ty) = field_of(types, &current_ty, json)?;
        let field = format_ident!("{}", field);
        let var = format_ident!("step{}", i);
        let (inner, optional) = match crate::syntax::type_args(&ty, "Option").into_iter().next() {
            Some(inner) => (inner, true),
            None => (ty, false),
        };
        if optional {
            steps.push(syn::parse_quote!(let #var = #holder.#field.as_ref()?;));
        } else {
            steps.push(syn::parse_quote!(let #var = &#holder.#field;));
        }
        holder = syn::parse_quote!(#var);
        current_ty = inner
            .to_token_stream()
            .to_string()
            .rsplit("::")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
    }
    Some(syn::parse_quote! {
        (|| -> ::std::option::Option<::std::string::String> {
            #(#steps)*
            ::std::option::Option::Some(::std::string::ToString::to_string(#holder))
        })()
    })
}
