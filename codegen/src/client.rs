//! progenitor's `Client::new(baseurl, inner)` builds its HTTP client from
//! `reqwest::ClientBuilder::new()`: it follows redirects to any origin, with every header but
//! `Authorization` and `Cookie` (an API key among them) and a 307/308's body, and sends a
//! `Referer`; it also gives it a 15-second timeout, shorter than the retry policy's attempt
//! timeout, which it would cut short. [`crate_http_client`] has `new` use
//! `crate::http::client()` instead: the crate's TLS, redirects only within the origin, no
//! `Referer`, no timeout but the transport's.

/// Replaces the body of every `Client::new(baseurl, inner)` (whose HTTP client progenitor
/// builds from `reqwest::ClientBuilder::new()`) with one on `crate::http::client()`; returns
/// how many.
pub fn crate_http_client(file: &mut syn::File) -> usize {
    let mut replaced = 0;
    for item in &mut file.items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for member in &mut block.items {
            let syn::ImplItem::Fn(f) = member else {
                continue;
            };
            let progenitors = f.sig.ident == "new"
                && crate::syntax::block_calls(&f.block, &["reqwest", "ClientBuilder", "new"]);
            if progenitors {
                f.attrs.push(syn::parse_quote! {
                    #[doc = "\n\n# Panics\n\nWhen the HTTP client cannot be built (no TLS backend), as `reqwest::Client::new` does; `new_with_client` takes one you built."]
                });
                f.block = syn::parse_quote! {{
                    let client = crate::http::client()
                        .expect("the HTTP client builds (a TLS backend is available)");
                    Self::new_with_client(baseurl, client, inner)
                }};
                replaced += 1;
            }
        }
    }
    replaced
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
        assert_eq!(super::crate_http_client(&mut file), 1);
        let code = file.to_token_stream().to_string();
        assert!(!code.contains("ClientBuilder :: new"), "{code}");
        assert!(
            !code.contains("timeout"),
            "no timeout but the transport's: {code}"
        );
        assert!(!code.contains("unwrap"), "{code}");
        assert_eq!(
            code.matches("crate :: http :: client ()").count(),
            1,
            "{code}"
        );
        assert!(code.contains("# Panics"), "{code}");
    }
}
