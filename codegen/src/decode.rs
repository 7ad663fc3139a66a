//! progenitor decodes a JSON answer with `ResponseValue::from_response(response)`, which clones
//! the answer's header map and reads its body a second time. The transport has read the body
//! already and keeps it beside the response, so [`decode_buffered`] sends every such call
//! through `crate::transport::typed_response`, which moves the headers and decodes those bytes.

use syn::visit_mut::VisitMut;

/// Rewrites every `ResponseValue::from_response(..)` into
/// `crate::transport::typed_response(..)`; returns how many.
pub fn decode_buffered(file: &mut syn::File) -> usize {
    let mut rewriter = Rewriter(0);
    rewriter.visit_file_mut(file);
    rewriter.0
}

struct Rewriter(usize);

impl VisitMut for Rewriter {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        if crate::syntax::calls(call, &["ResponseValue", "from_response"]) {
            *call.func = syn::parse_quote!(crate::transport::typed_response);
            self.0 += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    #[test]
    fn every_from_response_decodes_the_buffered_body() {
        let mut file: syn::File = syn::parse_quote! {
            async fn send() -> Result<ResponseValue<T>, Error<E>> {
                match response.status().as_u16() {
                    200u16 => ResponseValue::from_response(response).await,
                    401u16 => Err(Error::ErrorResponse(
                        progenitor_client::ResponseValue::from_response(response).await?,
                    )),
                    204u16 => Ok(ResponseValue::empty(response)),
                    _ => Err(Error::UnexpectedResponse(response)),
                }
            }
        };
        assert_eq!(super::decode_buffered(&mut file), 2);
        let code = file.to_token_stream().to_string();
        assert_eq!(
            code.matches("crate :: transport :: typed_response (response)")
                .count(),
            2
        );
        assert!(!code.contains("from_response"), "{code}");
        assert!(code.contains("ResponseValue :: empty (response)"), "{code}");
    }
}
