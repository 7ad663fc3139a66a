//! The crate's error at every call: progenitor's builders return `progenitor_client::Error<E>`
//! from `send()`, whose `Display` prints the request URL with its query (personal data for
//! AbiliTec). [`send_crate_error`] renames each generated `send` to a private `send_generated`
//! and adds a public `send` that converts its error into `crate::Error`; [`hide_progenitor_error`]
//! stops the module from re-exporting progenitor's `Error` under the crate error's name.
//! [`describe_inputs`] rewrites the builders' conversion messages ("conversion to
//! `:: std :: num :: NonZeroU32` for limit failed") into the field and its rule in words, in the
//! form `crate::validate` turns into an `Error::InvalidField`.

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// Splits every builder's `pub async fn send(self) -> Result<ResponseValue<T>, Error<E>>` into a
/// private `send_generated` and a public `send` whose future outputs `Result<ResponseValue<T>,
/// crate::Error>`; returns how many.
pub fn send_crate_error(file: &mut syn::File) -> usize {
    let Some(builder) = crate::syntax::module_items(file, "builder") else {
        return 0;
    };
    let mut count = 0;
    for item in builder.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let mut added = Vec::new();
        for member in &mut block.items {
            let syn::ImplItem::Fn(send) = member else {
                continue;
            };
            if send.sig.ident != "send" || send.sig.asyncness.is_none() {
                continue;
            }
            let Some(success) = crate::syntax::result_arg(&send.sig.output, 0) else {
                continue;
            };
            let docs: Vec<syn::Attribute> = std::mem::take(&mut send.attrs);
            send.sig.ident = syn::Ident::new("send_generated", send.sig.ident.span());
            send.vis = syn::Visibility::Inherited;
            added.push(syn::parse_quote! {
                #(#docs)*
                ///
                /// Fails with [`crate::Error`]: nothing of the request's query or body is in it.
                pub fn send(
                    self,
                ) -> impl ::std::future::Future<
                    Output = ::std::result::Result<#success, crate::Error>,
                > + ::std::marker::Send {
                    // Not an `async fn` nor an `async` block: their futures would hold the
                    // builder's future, or the builder, a second time.
                    ::futures::TryFutureExt::map_err(self.send_generated(), crate::Error::from)
                }
            });
            count += 1;
        }
        block.items.extend(added);
    }
    count
}

/// Turns `pub use progenitor_client::{.., Error, ..};` into a public use without `Error` and a
/// private `use progenitor_client::Error;` for the generated code; returns whether it did.
pub fn hide_progenitor_error(file: &mut syn::File) -> bool {
    let position = file.items.iter().position(|item| {
        matches!(item, syn::Item::Use(u)
            if matches!(u.vis, syn::Visibility::Public(_))
                && matches!(&u.tree, syn::UseTree::Path(p) if p.ident == "progenitor_client"))
    });
    let Some(position) = position else {
        return false;
    };
    let syn::Item::Use(public) = &mut file.items[position] else {
        return false;
    };
    let syn::UseTree::Path(path) = &mut public.tree else {
        return false;
    };
    let syn::UseTree::Group(group) = &mut *path.tree else {
        return false;
    };
    let before = group.items.len();
    group.items = group
        .items
        .iter()
        .filter(|tree| !matches!(tree, syn::UseTree::Name(n) if n.ident == "Error"))
        .cloned()
        .collect();
    if group.items.len() == before {
        return false;
    }
    file.items.insert(
        position + 1,
        syn::parse_quote!(
            use progenitor_client::Error;
        ),
    );
    true
}

/// Sends every path parameter of the builders through `crate::validate::path_segment`, which
/// refuses an empty, `.` or `..` segment before anything is sent (the URL parser would otherwise
/// fold `/connections/..` into the collection's parent); returns how many.
pub fn check_path_segments(file: &mut syn::File) -> usize {
    let Some(builder) = crate::syntax::module_items(file, "builder") else {
        return 0;
    };
    let mut checker = Segments { rewritten: 0 };
    for item in builder.iter_mut() {
        checker.visit_item_mut(item);
    }
    checker.rewritten
}

struct Segments {
    rewritten: usize,
}

impl VisitMut for Segments {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if !mac.path.is_ident("format") {
            return;
        }
        let Ok(mut args) = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) else {
            return;
        };
        let mut changed = false;
        for arg in args.iter_mut() {
            let syn::Expr::Call(call) = arg else { continue };
            if call.func.to_token_stream().to_string() != "encode_path" || call.args.len() != 1 {
                continue;
            }
            let Some(value) = call.args.first() else {
                continue;
            };
            // `&name.to_string()`: the builder field, named as its setter.
            let name = value
                .to_token_stream()
                .to_string()
                .trim_start_matches('&')
                .trim()
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default()
                .to_owned();
            *arg = syn::parse_quote! {
                crate::validate::path_segment(#name, #value).map_err(Error::InvalidRequest)?
            };
            changed = true;
            self.rewritten += 1;
        }
        if changed {
            mac.tokens = args.to_token_stream();
        }
    }
}

/// Rewrites the builders' input messages; returns how many.
pub fn describe_inputs(file: &mut syn::File, doc: &OpenAPI) -> usize {
    let Some(builder) = crate::syntax::module_items(file, "builder") else {
        return 0;
    };
    let mut rewriter = Messages { doc, rewritten: 0 };
    for item in builder.iter_mut() {
        rewriter.visit_item_mut(item);
    }
    rewriter.rewritten
}

struct Messages<'a> {
    doc: &'a OpenAPI,
    rewritten: usize,
}

impl VisitMut for Messages<'_> {
    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        if let Some(text) = input_message(self.doc, &lit.value()) {
            *lit = syn::LitStr::new(&text, lit.span());
            self.rewritten += 1;
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        // `format!("conversion to `X` for body failed: {}", s)`
        if !mac.path.is_ident("format") {
            return;
        }
        let Ok(mut args) = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) else {
            return;
        };
        if let Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        })) = args.first_mut()
        {
            let value = lit.value();
            if let Some(text) = value
                .strip_suffix(": {}")
                .and_then(|head| input_message(self.doc, head))
            {
                *lit = syn::LitStr::new(&format!("{text}: {{}}"), lit.span());
                mac.tokens = args.to_token_stream();
                self.rewritten += 1;
            }
        }
    }
}

/// "`field` rule" for progenitor's "conversion to `T` for field failed" and "field was not
/// initialized"; `None` for any other text.
fn input_message(doc: &OpenAPI, text: &str) -> Option<String> {
    if let Some(field) = text.strip_suffix(" was not initialized") {
        return is_field(field).then(|| format!("`{field}` is required"));
    }
    let rest = text.strip_prefix("conversion to `")?;
    let (ty, rest) = rest.split_once("` for ")?;
    let field = rest.strip_suffix(" failed")?;
    is_field(field).then(|| format!("`{field}` {}", type_rule(doc, &ty.replace(' ', ""))))
}

fn is_field(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What a value of the Rust type `ty` (tokens without spaces) must be, in words.
fn type_rule(doc: &OpenAPI, ty: &str) -> String {
    let bare = ty.rsplit("::").next().unwrap_or(ty);
    match bare {
        "NonZeroU32" | "NonZeroU64" => return "must be a whole number of at least 1".into(),
        "f64" | "f32" => return "must be a number".into(),
        "i64" | "i32" | "u64" | "u32" => return "must be a whole number".into(),
        "String" => return "must be text".into(),
        _ => {}
    }
    if ty.contains("DateTime<") {
        return "must be a date-time".into();
    }
    if ty.starts_with("::std::vec::Vec<") {
        return "must be a list of the documented items".into();
    }
    if ty.starts_with("crate::") {
        return "must be one of the documented values".into();
    }
    schema_rule(doc, bare).unwrap_or_else(|| format!("is not a valid `{bare}`"))
}

/// The documented rule of the component schema `name`, when it is a constrained string or array.
fn schema_rule(doc: &OpenAPI, name: &str) -> Option<String> {
    let schema = doc.components.as_ref()?.schemas.get(name)?;
    let ReferenceOr::Item(schema) = schema else {
        return None;
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            let mut rules = Vec::new();
            if matches!(&s.format, openapiv3::VariantOrUnknownOrEmpty::Unknown(f) if f == "email") {
                rules.push("must be an email address (name@domain.tld)".to_owned());
            }
            if let Some(pattern) = &s.pattern {
                rules.push(format!("must match the pattern `{pattern}`"));
            }
            let values: Vec<String> = s.enumeration.iter().flatten().cloned().collect();
            if !values.is_empty() {
                rules.push(format!("must be one of `{}`", values.join("`, `")));
            }
            if let Some(n) = s.min_length {
                rules.push(format!("must be at least {n} characters"));
            }
            if let Some(n) = s.max_length {
                rules.push(format!("must be at most {n} characters"));
            }
            (!rules.is_empty()).then(|| rules.join(" and "))
        }
        SchemaKind::Type(Type::Array(a)) => {
            let mut rules = Vec::new();
            if let Some(n) = a.min_items {
                rules.push(format!("must hold at least {n} items"));
            }
            if let Some(n) = a.max_items {
                rules.push(format!("must hold at most {n} items"));
            }
            (!rules.is_empty()).then(|| rules.join(" and "))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    ZipCode: {type: string, pattern: '^[0-9]{5}$'}
    Email: {type: string, format: email}
"#;

    #[test]
    fn conversion_messages_name_the_field_and_the_rule() {
        let doc = crate::parse(std::path::Path::new("t.yaml"), SPEC).unwrap();
        let said = |text: &str| input_message(&doc, text);
        assert_eq!(
            said("conversion to `:: std :: num :: NonZeroU32` for limit failed").as_deref(),
            Some("`limit` must be a whole number of at least 1")
        );
        assert_eq!(
            said("conversion to `ZipCode` for zip_code failed").as_deref(),
            Some("`zip_code` must match the pattern `^[0-9]{5}$`")
        );
        assert_eq!(
            said("conversion to `Email` for email failed").as_deref(),
            Some("`email` must be an email address (name@domain.tld)")
        );
        assert_eq!(
            said("destination_id was not initialized").as_deref(),
            Some("`destination_id` is required")
        );
        assert_eq!(said("something else"), None);
    }
}
