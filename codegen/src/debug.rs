//! The request builders (the `builder` module) hold what a call will send: its query values and
//! body, personal data among them (an AbiliTec match's name, email and address). Their `Debug`
//! names the builder only, as the crate's own types that hold a request's values do.
//! [`redact_request_builders`] does it.
//!
//! The types of schemas marked `x-personal-data: true` (an email address, a ZIP code, a batch's
//! URLs, a server's message that may quote them) are a person's data too:
//! [`redact_personal_types`] gives them a `Debug` that shows their name and `[redacted]`, and
//! takes away the `Display` typify writes for a plain string. Their value is read with `Deref`
//! (`as_str()`).

/// Replaces the derived `Debug` of every struct of the `builder` module of `file` with one
/// that shows its name only; returns how many it replaced.
pub fn redact_request_builders(file: &mut syn::File) -> usize {
    let Some(items) = crate::syntax::module_items(file, "builder") else {
        return 0;
    };
    let mut impls: Vec<syn::Item> = Vec::new();
    for item in items.iter_mut() {
        let syn::Item::Struct(s) = item else {
            continue;
        };
        if !drop_derive(&mut s.attrs, "Debug") {
            continue;
        }
        let name = &s.ident;
        let shown = name.to_string();
        let (impl_generics, type_generics, where_clause) = s.generics.split_for_impl();
        impls.push(syn::parse_quote! {
            impl #impl_generics ::std::fmt::Debug for #name #type_generics #where_clause {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct(#shown).finish_non_exhaustive()
                }
            }
        });
    }
    let replaced = impls.len();
    items.extend(impls);
    replaced
}

/// Replaces the derived `Debug` of the `types` module's structs named in `personal` with one
/// that shows the type's name and `[redacted]`, and removes their `Display` (typify writes one
/// for a plain string), so that `format!("{}")` of one does not compile; the names of
/// `personal` not found there.
pub fn redact_personal_types(file: &mut syn::File, personal: &[String]) -> Vec<String> {
    let mut missing: Vec<String> = personal.to_vec();
    let Some(items) = crate::syntax::module_items(file, "types") else {
        return missing;
    };
    let mut impls: Vec<syn::Item> = Vec::new();
    for item in items.iter_mut() {
        let syn::Item::Struct(s) = item else {
            continue;
        };
        let name = &s.ident;
        let Some(at) = missing.iter().position(|p| name == p) else {
            continue;
        };
        if !drop_derive(&mut s.attrs, "Debug") {
            continue;
        }
        missing.swap_remove(at);
        let shown = format!("{name}([redacted])");
        impls.push(syn::parse_quote! {
            impl ::std::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(#shown)
                }
            }
        });
    }
    items.retain(|item| !is_personal_display(item, personal));
    // A plain string's type (a server's text) is built from a `&str` as the `String` field it
    // replaces was: typify writes `From<String>` only.
    let from_string: Vec<syn::Ident> = items
        .iter()
        .filter_map(|item| from_string_of(item, personal))
        .collect();
    for name in from_string {
        impls.push(syn::parse_quote! {
            impl ::std::convert::From<&str> for #name {
                fn from(value: &str) -> Self {
                    Self(value.to_owned())
                }
            }
        });
    }
    items.extend(impls);
    missing
}

/// The trait `item` implements (its path's last segment) and the type it implements it for,
/// when `item` is an impl of a trait for a type named in `personal`.
fn personal_impl<'a>(
    item: &'a syn::Item,
    personal: &[String],
) -> Option<(&'a syn::PathSegment, syn::Ident)> {
    let syn::Item::Impl(block) = item else {
        return None;
    };
    let name = crate::syntax::impl_name(block).filter(|name| personal.contains(name))?;
    let (path, _) = block.trait_.as_ref()?;
    Some((path.segments.last()?, quote::format_ident!("{name}")))
}

/// The type `item` is typify's `From<String>` for, when that type is named in `personal`.
fn from_string_of(item: &syn::Item, personal: &[String]) -> Option<syn::Ident> {
    let (trait_, name) = personal_impl(item, personal)?;
    let syn::PathArguments::AngleBracketed(args) = &trait_.arguments else {
        return None;
    };
    let from_string = trait_.ident == "From"
        && matches!(
            args.args.first(),
            Some(syn::GenericArgument::Type(syn::Type::Path(arg)))
                if arg.path.segments.last().is_some_and(|s| s.ident == "String")
        );
    from_string.then_some(name)
}

/// Whether `item` is typify's `Display` of a type named in `personal` (a plain string's shows
/// its value).
fn is_personal_display(item: &syn::Item, personal: &[String]) -> bool {
    personal_impl(item, personal).is_some_and(|(trait_, _)| trait_.ident == "Display")
}

/// Takes `name` out of the `#[derive(..)]` of `attrs`; whether it was there.
fn drop_derive(attrs: &mut [syn::Attribute], name: &str) -> bool {
    use syn::punctuated::Punctuated;
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(derived) =
            attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        else {
            continue;
        };
        if !derived.iter().any(|path| path.is_ident(name)) {
            continue;
        }
        let kept = derived.iter().filter(|path| !path.is_ident(name));
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_request_builder_shows_its_name_only() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                #[derive(Debug, Clone)]
                pub struct MatchPeople<'a> {
                    client: &'a super::Client,
                    email: Result<Option<String>, String>,
                }
            }
            pub mod types {
                #[derive(Debug, Clone)]
                pub struct Kept(String);
            }
        };
        assert_eq!(super::redact_request_builders(&mut file), 1);
        let code = quote::ToTokens::to_token_stream(&file).to_string();
        assert!(code.contains("derive (Clone)"), "{code}");
        assert!(
            code.contains("impl < 'a > :: std :: fmt :: Debug for MatchPeople < 'a >"),
            "{code}"
        );
        assert!(
            code.contains("debug_struct (\"MatchPeople\") . finish_non_exhaustive ()"),
            "{code}"
        );
        assert!(
            code.contains("derive (Debug , Clone)"),
            "types are left alone: {code}"
        );
    }

    #[test]
    fn a_personal_type_shows_its_name_only() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                #[derive(Clone, Debug, PartialEq)]
                pub struct EmailAddress(String);
                impl ::std::convert::From<::std::string::String> for ServerText {
                    fn from(value: ::std::string::String) -> Self {
                        Self(value)
                    }
                }
                #[derive(Debug)]
                pub struct ServerText(pub String);
                impl ::std::fmt::Display for EmailAddress {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        self.0.fmt(f)
                    }
                }
                #[derive(Clone, Debug)]
                pub struct Kept(String);
                impl ::std::fmt::Display for Kept {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        self.0.fmt(f)
                    }
                }
            }
        };
        let personal = ["EmailAddress", "ServerText", "Gone"].map(String::from);
        let missing = super::redact_personal_types(&mut file, &personal);
        assert_eq!(missing, ["Gone"]);
        let code = quote::ToTokens::to_token_stream(&file).to_string();
        assert!(code.contains("derive (Clone , PartialEq)"), "{code}");
        assert!(
            code.contains("impl :: std :: fmt :: Debug for EmailAddress"),
            "{code}"
        );
        assert!(code.contains("\"EmailAddress([redacted])\""), "{code}");
        assert!(code.contains("derive (Clone , Debug)"), "{code}");
        assert_eq!(
            code.matches("self . 0 . fmt (f)").count(),
            1,
            "Kept's only: {code}"
        );
        assert!(code.contains("Display for Kept"), "{code}");
        assert!(!code.contains("Display for EmailAddress"), "{code}");
        assert!(
            code.contains("impl :: std :: convert :: From < & str > for ServerText"),
            "{code}"
        );
        assert!(!code.contains("From < & str > for EmailAddress"), "{code}");
    }
}
