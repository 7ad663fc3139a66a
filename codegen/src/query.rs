//! progenitor adds each query parameter to a request with `RequestBuilder::query`, after the URL
//! is parsed: reqwest takes the parsed URL's query apart, serializes the parameter through
//! serde_urlencoded into it and puts it back, for an unset optional parameter too. [`query_in_url`]
//! writes the parameters into the URL's text before it is parsed instead, through
//! `crate::transport::QueryText`, which leaves an unset one out and writes a scalar value
//! directly, with the same text serde_urlencoded would make.
//!
//! progenitor's httpmock matcher for an array query parameter calls `to_string()` on the whole
//! `Vec`, which does not compile; [`match_array_items`] matches each item as its own
//! `name=value` pair instead, which is how the clients send arrays (exploded form).

use std::collections::{HashMap, HashSet};

use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// In every operation of the `builder` module, takes each
/// `.query(&progenitor_client::QueryParam::new("name", &field))` out of the request's builder
/// chain and appends the parameter to the text of its URL instead:
///
/// ```text
/// let url = crate::transport::QueryText::new(format!(..))
///     .optional("name", &field)  // `required` for a parameter that is not optional
///     .finish()
///     .map_err(Error::InvalidRequest)?;
/// ```
///
/// Returns how many parameters moved, or why one could not (an operation with query parameters
/// but no `let url = ..;`).
pub fn query_in_url(file: &mut syn::File) -> Result<usize, String> {
    let Some(builder) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|c| &mut c.1),
        _ => None,
    }) else {
        return Ok(0);
    };
    let optional: HashMap<String, HashSet<String>> = builder
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some((s.ident.to_string(), optional_fields(s))),
            _ => None,
        })
        .collect();
    let mut moved = 0;
    for item in builder.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let Some(name) = crate::syntax::impl_name(block) else {
            continue;
        };
        let no_fields = HashSet::new();
        let fields = optional.get(&name).unwrap_or(&no_fields);
        for member in &mut block.items {
            if let syn::ImplItem::Fn(method) = member {
                moved += move_into_url(&mut method.block, fields)
                    .map_err(|why| format!("{name}::{}: {why}", method.sig.ident))?;
            }
        }
    }
    Ok(moved)
}

/// Moves the query parameters of the chain in `block` into its `let url = ..;`.
fn move_into_url(block: &mut syn::Block, optional: &HashSet<String>) -> Result<usize, String> {
    let mut taken = TakeQueries::default();
    taken.visit_block_mut(block);
    if taken.params.is_empty() {
        return Ok(0);
    }
    let url = block
        .stmts
        .iter_mut()
        .find_map(|stmt| match stmt {
            syn::Stmt::Local(local) if local.pat.to_token_stream().to_string() == "url" => {
                local.init.as_mut()
            }
            _ => None,
        })
        .ok_or("it has query parameters but no `let url = ..;`")?;
    let mut text: syn::Expr = {
        let formatted = &url.expr;
        syn::parse_quote!(crate::transport::QueryText::new(#formatted))
    };
    for (name, field) in &taken.params {
        text = if optional.contains(&field.to_string()) {
            syn::parse_quote!(#text.optional(#name, &#field))
        } else {
            syn::parse_quote!(#text.required(#name, &#field))
        };
    }
    *url.expr = syn::parse_quote!(#text.finish().map_err(Error::InvalidRequest)?);
    Ok(taken.params.len())
}

/// Replaces each `receiver.query(&QueryParam::new("name", &field))` by its receiver and keeps
/// `(name, field)`, in the order of the chain.
#[derive(Default)]
struct TakeQueries {
    params: Vec<(syn::LitStr, syn::Ident)>,
}

impl VisitMut for TakeQueries {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method != "query" || call.args.len() != 1 {
            return;
        }
        let Some(param) = query_param(&call.args[0]) else {
            return;
        };
        self.params.push(param);
        *expr = (*call.receiver).clone();
    }
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
                    let url = format!("{}/things", client.baseurl,);
                    let request = client
                        .client
                        .get(url)
                        .header(ACCEPT, json)
                        .query(&progenitor_client::QueryParam::new("after", &after))
                        .query(&progenitor_client::QueryParam::new("kind", &kind))
                        .build()?;
                }
                pub async fn other(self) {
                    let url = format!("{}/other", client.baseurl,);
                    let request = client.client.get(url).build()?;
                }
            }
        }
    "#;

    #[test]
    fn query_parameters_move_into_the_url_text_in_order() {
        let mut file: syn::File = syn::parse_str(BUILDER).unwrap();
        assert_eq!(query_in_url(&mut file), Ok(2));
        let code = prettyplease::unparse(&file).replace([' ', '\n'], "");
        assert!(
            code.contains(concat!(
                r#"leturl=crate::transport::QueryText::new(format!("{}/things",client.baseurl,),)"#,
                r#".optional("after",&after).required("kind",&kind).finish()"#,
                r#".map_err(Error::InvalidRequest)?;"#,
                r#"letrequest=client.client.get(url).header(ACCEPT,json).build()?;"#,
            )),
            "{code}"
        );
        assert!(
            code.contains(r#"leturl=format!("{}/other",client.baseurl,);"#),
            "{code}"
        );
    }

    #[test]
    fn query_parameters_without_a_url_statement_are_refused() {
        let mut file: syn::File = syn::parse_str(&BUILDER.replace("let url =", "let u =")).unwrap();
        let refused = query_in_url(&mut file).unwrap_err();
        assert!(refused.contains("List::send"), "{refused}");
    }

    #[test]
    fn code_without_a_builder_module_is_left_alone() {
        let mut file: syn::File = syn::parse_str("fn f() { b.query(&x); }").unwrap();
        assert_eq!(query_in_url(&mut file), Ok(0));
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
