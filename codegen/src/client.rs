//! progenitor's `Client::new(baseurl, inner)` builds its HTTP client from
//! `reqwest::ClientBuilder::new()`: it follows redirects to any origin, with every header but
//! `Authorization` and `Cookie` (an API key among them) and a 307/308's body, and sends a
//! `Referer`. [`crate_http_client`] has it start from `crate::http::client_builder()` instead:
//! the crate's TLS, redirects only within the origin, no `Referer`.

use syn::visit_mut::VisitMut;

/// Rewrites every `reqwest::ClientBuilder::new()` into `crate::http::client_builder()`;
/// returns how many.
pub fn crate_http_client(file: &mut syn::File) -> usize {
    let mut rewriter = Rewriter(0);
    rewriter.visit_file_mut(file);
    rewriter.0
}

struct Rewriter(usize);

impl VisitMut for Rewriter {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        if crate::syntax::calls(call, &["reqwest", "ClientBuilder", "new"]) {
            *call.func = syn::parse_quote!(crate::http::client_builder);
            self.0 += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    #[test]
    fn the_generated_client_starts_from_the_crates_builder() {
        let mut file: syn::File = syn::parse_quote! {
            impl Client {
                pub fn new(baseurl: &str, inner: T) -> Self {
                    #[cfg(not(target_arch = "wasm32"))]
                    let client = {
                        let dur = ::std::time::Duration::from_secs(15u64);
                        reqwest::ClientBuilder::new().connect_timeout(dur).timeout(dur)
                    };
                    #[cfg(target_arch = "wasm32")]
                    let client = reqwest::ClientBuilder::new();
                    Self::new_with_client(baseurl, client.build().unwrap(), inner)
                }
            }
        };
        assert_eq!(super::crate_http_client(&mut file), 2);
        let code = file.to_token_stream().to_string();
        assert!(!code.contains("ClientBuilder :: new"), "{code}");
        assert_eq!(
            code.matches("crate :: http :: client_builder ()").count(),
            2,
            "{code}"
        );
    }
}
