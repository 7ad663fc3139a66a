//! progenitor calls `RequestBuilder::query` for every optional query parameter of a request, set
//! or not. An unset one serializes to nothing, yet reqwest still takes the URL's query apart and
//! puts it back for it. [`skip_unset_queries`] sends each optional parameter through
//! `crate::transport::OptionalQuery::optional_query`, which leaves the builder alone for `None`.
//!
//! progenitor's httpmock matcher for an array query parameter calls `to_string()` on the whole
//! `Vec`, which does not compile; [`match_array_items`] matches each item as its own
//! `name=value` pair instead, which is how the clients send arrays (exploded form).

use std::collections::{HashMap, HashSet};

use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// Rewrites `.query(&progenitor_client::QueryParam::new("name", &field))` into
/// `.optional_query("name", &field)` wherever `field` is an optional parameter of the
/// operation's builder (`Result<Option<T>, String>`), importing the trait that provides it;
/// returns how many.
pub fn skip_unset_queries(file: &mut syn::File) -> usize {
    let Some(builder) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|c| &mut c.1),
        _ => None,
    }) else {
        return 0;
    };
    let optional: HashMap<String, HashSet<String>> = builder
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some((s.ident.to_string(), optional_fields(s))),
            _ => None,
        })
        .collect();
    let mut rewriter = Rewriter {
        optional: HashSet::new(),
        rewritten: 0,
    };
    for item in builder.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(ty) = &*block.self_ty else {
            continue;
        };
        let Some(name) = ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        if let Some(fields) = optional.get(&name) {
            rewriter.optional = fields.clone();
            rewriter.visit_item_impl_mut(block);
        }
    }
    if rewriter.rewritten > 0 {
        builder.insert(
            0,
            syn::parse_quote!(
                use crate::transport::OptionalQuery as _;
            ),
        );
    }
    rewriter.rewritten
}

/// The fields typed `Result<Option<_>, _>`: the builder's optional parameters.
fn optional_fields(s: &syn::ItemStruct) -> HashSet<String> {
    s.fields
        .iter()
        .filter(|f| {
            f.ty.to_token_stream()
                .to_string()
                .replace(' ', "")
                .starts_with("Result<Option<")
        })
        .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
        .collect()
}

struct Rewriter {
    optional: HashSet<String>,
    rewritten: usize,
}

impl VisitMut for Rewriter {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method != "query" || call.args.len() != 1 {
            return;
        }
        let Some((name, field)) = query_param(&call.args[0]) else {
            return;
        };
        if !self.optional.contains(&field.to_string()) {
            return;
        }
        let receiver = &call.receiver;
        *expr = syn::parse_quote!(#receiver.optional_query(#name, &#field));
        self.rewritten += 1;
    }
}

/// `&progenitor_client::QueryParam::new("name", &field)`: the name and the field.
fn query_param(arg: &syn::Expr) -> Option<(syn::LitStr, syn::Ident)> {
    let syn::Expr::Reference(reference) = arg else {
        return None;
    };
    let syn::Expr::Call(call) = &*reference.expr else {
        return None;
    };
    if !crate::syntax::calls(call, &["QueryParam", "new"]) || call.args.len() != 2 {
        return None;
    }
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(name),
        ..
    }) = &call.args[0]
    else {
        return None;
    };
    let syn::Expr::Reference(value) = &call.args[1] else {
        return None;
    };
    let syn::Expr::Path(value) = &*value.expr else {
        return None;
    };
    Some((name.clone(), value.path.get_ident()?.clone()))
}

/// Rewrites `self.0.query_param("name", value.to_string())` into a fold that matches each item,
/// in every httpmock matcher method whose `value` is a `Vec`; returns how many.
pub fn match_array_items(file: &mut syn::File) -> usize {
    let mut rewriter = ArrayItems { rewritten: 0 };
    rewriter.visit_file_mut(file);
    rewriter.rewritten
}

struct ArrayItems {
    rewritten: usize,
}

impl VisitMut for ArrayItems {
    fn visit_impl_item_fn_mut(&mut self, method: &mut syn::ImplItemFn) {
        let takes_vec = method
            .sig
            .to_token_stream()
            .to_string()
            .replace(' ', "")
            .contains("::std::vec::Vec<");
        if takes_vec {
            syn::visit_mut::visit_impl_item_fn_mut(self, method);
        }
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        let tokens = |expr: &syn::Expr| expr.to_token_stream().to_string();
        if call.method != "query_param"
            || call.args.len() != 2
            || tokens(&call.receiver) != "self . 0"
            || tokens(&call.args[1]) != "value . to_string ()"
        {
            return;
        }
        let name = &call.args[0];
        *expr = syn::parse_quote!(
            value.iter().fold(self.0, |when, item| when.query_param(#name, item.to_string()))
        );
        self.rewritten += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILDER: &str = r#"
        pub mod builder {
            pub struct List<'a> {
                client: &'a super::Client,
                after: Result<Option<::std::string::String>, String>,
                kind: Result<::std::string::String, String>,
            }
            impl<'a> List<'a> {
                pub async fn send(self) {
                    let request = client
                        .client
                        .get(url)
                        .query(&progenitor_client::QueryParam::new("after", &after))
                        .query(&progenitor_client::QueryParam::new("kind", &kind))
                        .build()?;
                }
            }
        }
    "#;

    #[test]
    fn optional_parameters_go_through_optional_query() {
        let mut file: syn::File = syn::parse_str(BUILDER).unwrap();
        assert_eq!(skip_unset_queries(&mut file), 1);
        let code = prettyplease::unparse(&file).replace([' ', '\n'], "");
        assert!(
            code.contains(r#".get(url).optional_query("after",&after).query(&progenitor_client::QueryParam::new("kind",&kind))"#),
            "{code}"
        );
        assert!(
            code.contains("usecrate::transport::OptionalQueryas_;"),
            "{code}"
        );
    }

    #[test]
    fn code_without_a_builder_module_is_left_alone() {
        let mut file: syn::File = syn::parse_str("fn f() { b.query(&x); }").unwrap();
        assert_eq!(skip_unset_queries(&mut file), 0);
    }

    #[test]
    fn array_matchers_match_each_item() {
        let mut file: syn::File = syn::parse_str(
            r#"
            impl ListWhen {
                pub fn ids<'a, T>(self, value: T) -> Self
                where
                    T: Into<Option<&'a ::std::vec::Vec<::std::string::String>>>,
                {
                    if let Some(value) = value.into() {
                        Self(self.0.query_param("segmentIDs", value.to_string()))
                    } else {
                        Self(self.0.query_param_missing("segmentIDs"))
                    }
                }
                pub fn after<'a, T>(self, value: T) -> Self
                where
                    T: Into<Option<&'a str>>,
                {
                    Self(self.0.query_param("after", value.to_string()))
                }
            }
            "#,
        )
        .unwrap();
        assert_eq!(match_array_items(&mut file), 1);
        let code = prettyplease::unparse(&file).replace([' ', '\n'], "");
        assert!(
            code.contains(r#"Self(value.iter().fold(self.0,|when,item|when.query_param("segmentIDs",item.to_string()),"#),
            "{code}"
        );
        assert!(
            code.contains(r#"Self(self.0.query_param("after",value.to_string()))"#),
            "{code}"
        );
    }
}
