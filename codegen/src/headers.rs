//! progenitor adds `api-version: <the spec's info.version>` to every request it generates; none
//! of the four APIs defines that header. [`drop_api_version`] removes it from the generated code,
//! so no call builds it, merges it into the request and has it stripped again before sending;
//! a header map left empty goes too, with its merge into the request.

use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// Removes every `header_map.append(.. "api-version" ..)` statement from `file` and lowers the
/// `HeaderMap::with_capacity(n)` of its block by as many, or, when nothing else is added to the
/// map, removes the map and its `.headers(header_map)`; returns how many headers were removed.
pub fn drop_api_version(file: &mut syn::File) -> usize {
    let mut dropper = Dropper { removed: 0 };
    dropper.visit_file_mut(file);
    dropper.removed
}

struct Dropper {
    removed: usize,
}

impl VisitMut for Dropper {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|stmt| !is_api_version_append(stmt));
        let removed = before - block.stmts.len();
        if removed > 0 {
            self.removed += removed;
            let still_added_to = block.stmts.iter().any(|stmt| {
                let tokens = stmt.to_token_stream().to_string();
                tokens.contains("header_map . append") || tokens.contains("header_map . insert")
            });
            if still_added_to {
                for stmt in &mut block.stmts {
                    lower_capacity(stmt, removed);
                }
            } else {
                block.stmts.retain(|stmt| !is_header_map(stmt));
                MergeDropper.visit_block_mut(block);
            }
        }
        syn::visit_mut::visit_block_mut(self, block);
    }
}

/// Replaces each `receiver.headers(header_map)` by its receiver.
struct MergeDropper;

impl VisitMut for MergeDropper {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "headers"
            && call.args.len() == 1
            && call.args[0].to_token_stream().to_string() == "header_map"
        {
            *expr = (*call.receiver).clone();
        }
    }
}

/// `let mut header_map = ..;`
fn is_header_map(stmt: &syn::Stmt) -> bool {
    matches!(stmt, syn::Stmt::Local(local)
        if local.pat.to_token_stream().to_string() == "mut header_map")
}

/// `header_map.append(HeaderName::from_static("api-version"), ..);`
fn is_api_version_append(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), Some(_)) = stmt else {
        return false;
    };
    call.method == "append"
        && call.receiver.to_token_stream().to_string() == "header_map"
        && call.args.first().is_some_and(|name| {
            name.to_token_stream()
                .to_string()
                .contains("\"api-version\"")
        })
}

/// `let mut header_map = ..::with_capacity(n);` becomes `with_capacity(n - removed)`.
fn lower_capacity(stmt: &mut syn::Stmt, removed: usize) {
    if !is_header_map(stmt) {
        return;
    }
    let syn::Stmt::Local(local) = stmt else {
        return;
    };
    let Some(init) = &mut local.init else { return };
    let syn::Expr::Call(call) = &mut *init.expr else {
        return;
    };
    let Some(syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(capacity),
        ..
    })) = call.args.first_mut()
    else {
        return;
    };
    if let Ok(n) = capacity.base10_parse::<usize>() {
        let lowered = n.saturating_sub(removed);
        *capacity = syn::LitInt::new(&format!("{lowered}usize"), capacity.span());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dropped(code: &str) -> (usize, String) {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        let removed = drop_api_version(&mut file);
        (removed, prettyplease::unparse(&file))
    }

    #[test]
    fn the_api_version_header_and_its_capacity_go() {
        let (removed, code) = dropped(
            r#"fn send() {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
                header_map.append(
                    ::reqwest::header::HeaderName::from_static("api-version"),
                    ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
                );
                header_map.append("x-trace", value);
                let request = client.get(url).headers(header_map).build();
            }"#,
        );
        assert_eq!(removed, 1);
        assert!(!code.contains("api-version"), "{code}");
        assert!(code.contains("with_capacity(1usize)"), "{code}");
        assert!(
            code.contains(r#"header_map.append("x-trace", value);"#),
            "{code}"
        );
    }

    #[test]
    fn a_map_left_empty_goes_with_its_merge() {
        let (removed, code) = dropped(
            r#"fn send() {
                let mut header_map = HeaderMap::with_capacity(1usize);
                header_map.append(HeaderName::from_static("api-version"), v);
                let request = client.get(url).header(ACCEPT, json).headers(header_map).build();
            }"#,
        );
        assert_eq!(removed, 1);
        assert!(!code.contains("header_map"), "{code}");
        assert!(
            code.contains("let request = client.get(url).header(ACCEPT, json).build();"),
            "{code}"
        );
    }

    #[test]
    fn other_code_is_left_alone() {
        let source = r#"fn f() {
            let mut header_map = HeaderMap::with_capacity(1usize);
            header_map.append("api-key", value);
            other.append(HeaderName::from_static("api-version"), v);
        }"#;
        let (removed, code) = dropped(source);
        assert_eq!(removed, 0);
        let original: syn::File = syn::parse_str(source).unwrap();
        assert_eq!(code, prettyplease::unparse(&original));
    }
}
