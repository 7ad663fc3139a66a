//! progenitor's `Client::new(baseurl, inner)` builds its HTTP client from
//! `reqwest::ClientBuilder::new()`: it follows redirects to any origin, with every header but
//! `Authorization` and `Cookie` (an API key among them) and a 307/308's body, and sends a
//! `Referer`. [`crate_http_client`] has it start from `crate::http::client_builder()` instead:
//! the crate's TLS, redirects only within the origin, no `Referer`.

/// Rewrites every `reqwest::ClientBuilder::new()` into `crate::http::client_builder()`;
/// returns how many.
pub fn crate_http_client(file: &mut syn::File) -> usize {
    crate::syntax::rename_calls(
        file,
        &["reqwest", "ClientBuilder", "new"],
        syn::parse_quote!(crate::http::client_builder),
    )
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
