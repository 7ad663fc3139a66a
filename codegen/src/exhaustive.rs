//! Generated structs with named fields are `#[non_exhaustive]` outside the crate: a member
//! LiveRamp adds to a document becomes a field without breaking code that builds or matches
//! the type. Code outside the crate builds them with their builders
//! (`types::ConsentFile::builder().id(..)`, then `try_into()`, or a request's `body_map`) and
//! reads their fields as before; a builder missing a required field converts into
//! `liveramp::Error::InvalidRequest`, so `?` works in code returning the crate's error.
//! [`mark_structs`] does both.

/// Marks every public struct with named fields of the `types` module of `file`
/// `#[non_exhaustive]` (not its `builder` module's, whose fields are private) and, when it
/// marked any, converts the builders' `types::error::ConversionError` into `crate::Error`;
/// returns how many it marked.
pub fn mark_structs(file: &mut syn::File) -> usize {
    let Some(items) = crate::syntax::module_items(file, "types") else {
        return 0;
    };
    let has_conversion_error = items
        .iter()
        .any(|item| matches!(item, syn::Item::Mod(m) if m.ident == "error"));
    let mut marked = 0;
    for item in items.iter_mut() {
        if let syn::Item::Struct(s) = item
            && matches!(s.vis, syn::Visibility::Public(_))
            && matches!(s.fields, syn::Fields::Named(_))
            && !s.attrs.iter().any(|a| a.path().is_ident("non_exhaustive"))
        {
            s.attrs.push(syn::parse_quote!(#[non_exhaustive]));
            marked += 1;
        }
    }
    if marked > 0 && has_conversion_error {
        file.items.push(syn::parse_quote! {
            /// A builder that could not become its type (a required field missing, a value out
            /// of its constraints): nothing was sent. The text names the field, not its value.
            impl ::std::convert::From<types::error::ConversionError> for crate::Error {
                fn from(error: types::error::ConversionError) -> Self {
                    crate::Error::InvalidRequest(error.to_string())
                }
            }
        });
    }
    marked
}

/// Whether `doc` names an object schema with properties, which progenitor generates as a
/// struct with named fields.
pub fn has_object_schemas(doc: &openapiv3::OpenAPI) -> bool {
    let Some(components) = &doc.components else {
        return false;
    };
    components.schemas.values().any(|schema| {
        matches!(
            schema,
            openapiv3::ReferenceOr::Item(openapiv3::Schema {
                schema_kind: openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)),
                ..
            }) if !object.properties.is_empty()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_structs_of_types_are_marked_and_nothing_else() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Person { pub email: String }
                pub struct Email(pub String);
                struct Hidden { a: u8 }
                #[non_exhaustive]
                pub struct Marked { pub a: u8 }
                pub enum Kind { A }
                pub mod builder { pub struct Person { email: String } }
                pub mod error { pub struct ConversionError(String); }
            }
            pub struct Client { baseurl: String }
        };
        assert_eq!(mark_structs(&mut file), 1);
        let code = quote::ToTokens::to_token_stream(&file).to_string();
        assert_eq!(code.matches("# [non_exhaustive]").count(), 2, "{code}");
        assert!(
            code.contains("# [non_exhaustive] pub struct Person { pub email"),
            "{code}"
        );
        assert!(
            code.contains("From < types :: error :: ConversionError > for crate :: Error"),
            "{code}"
        );
    }
}
