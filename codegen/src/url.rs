//! progenitor builds each request's URL with `format!("{}/path/{}", client.baseurl, segment)`,
//! which runs the formatting machinery and grows its string as it writes. [`join_url_parts`]
//! joins the same parts with `crate::transport::url_text`, which sizes the string once, with
//! room for the query.

use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// Rewrites every `let url = format!("..{}..", parts..);` whose literal has only `{}`
/// placeholders, one per argument, into
/// `let url = crate::transport::url_text(&[literal pieces and AsRef::<str>::as_ref(&part)..]);`
/// (the arguments, text, are evaluated in the same order); returns how many.
pub fn join_url_parts(file: &mut syn::File) -> usize {
    let mut joiner = Joiner { joined: 0 };
    joiner.visit_file_mut(file);
    joiner.joined
}

struct Joiner {
    joined: usize,
}

impl VisitMut for Joiner {
    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        syn::visit_mut::visit_local_mut(self, local);
        if local.pat.to_token_stream().to_string() != "url" {
            return;
        }
        let Some(init) = &mut local.init else {
            return;
        };
        let syn::Expr::Macro(mac) = &*init.expr else {
            return;
        };
        if !mac.mac.path.is_ident("format") {
            return;
        }
        if let Some(joined) = joined_parts(&mac.mac) {
            *init.expr = joined;
            self.joined += 1;
        }
    }
}

/// `crate::transport::url_text(&[..])` for a `format!` of `{}` placeholders only.
fn joined_parts(mac: &syn::Macro) -> Option<syn::Expr> {
    let args = mac
        .parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let mut args = args.into_iter();
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(literal),
        ..
    }) = args.next()?
    else {
        return None;
    };
    let text = literal.value();
    let pieces: Vec<&str> = text.split("{}").collect();
    let values: Vec<syn::Expr> = args.collect();
    let plain = |piece: &&str| !piece.contains(['{', '}']);
    if pieces.len() != values.len() + 1 || !pieces.iter().all(plain) {
        return None;
    }
    let mut parts: Vec<syn::Expr> = Vec::new();
    for (piece, value) in pieces.iter().zip(values.iter().map(Some).chain([None])) {
        if !piece.is_empty() {
            parts.push(syn::parse_quote!(#piece));
        }
        if let Some(value) = value {
            parts.push(syn::parse_quote!(::std::convert::AsRef::<str>::as_ref(&(#value))));
        }
    }
    Some(syn::parse_quote!(crate::transport::url_text(&[#(#parts),*])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(code: &str) -> (usize, String) {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        let count = join_url_parts(&mut file);
        (count, prettyplease::unparse(&file).replace([' ', '\n'], ""))
    }

    #[test]
    fn placeholders_and_pieces_are_joined_in_order() {
        let (count, code) = joined(
            r#"fn send() {
                let url = format!("{}/v2/things/{}/parts", client.baseurl, segment(&id)?,);
                let other = format!("{}/x", a);
            }"#,
        );
        assert_eq!(count, 1);
        assert!(
            code.contains(concat!(
                r#"leturl=crate::transport::url_text(&[::std::convert::AsRef::<str>::as_ref(&(client.baseurl)),"#,
                r#""/v2/things/",::std::convert::AsRef::<str>::as_ref(&(segment(&id)?)),"/parts",],);"#,
            )),
            "{code}"
        );
        assert!(code.contains(r#"letother=format!("{}/x",a);"#), "{code}");
    }

    #[test]
    fn other_formats_are_left_alone() {
        for code in [
            r#"fn f() { let url = format!("{0}/x/{0}", a); }"#,
            r#"fn f() { let url = format!("{}/x/{{y}}", a); }"#,
            r#"fn f() { let url = format!("{}/x/{}", a); }"#,
            r#"fn f() { let url = format!("{a}/x"); }"#,
            r#"fn f() { let url = format!(PATH, a); }"#,
        ] {
            assert_eq!(joined(code).0, 0, "{code}");
        }
    }
}
