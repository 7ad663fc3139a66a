//! progenitor's operations send through `ClientHooks` (`pre`, `exec`, `post`) and read the
//! `reqwest::Response` that `exec` returns: `ResponseValue::from_response` clones its header map
//! and reads its body a second time. The transport reads every answer whole already, so
//! [`read_buffered`] has each operation take the transport's `Answer` instead:
//!
//! - `client.exec(request, &info)` becomes `client.send_buffered(request, &info)`, and the
//!   `pre`/`post` hooks, which the crate leaves empty, are dropped;
//! - `ResponseValue::from_response(response).await` becomes
//!   `crate::transport::typed_response(response)`, which decodes the buffered body and moves the
//!   headers;
//! - `ResponseValue::empty(response)` becomes `crate::transport::empty_response(response)`;
//! - `Error::UnexpectedResponse(response)` gets `response.into_response()`.

use syn::visit_mut::VisitMut;

/// What [`read_buffered`] rewrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rewrites {
    /// `exec` calls now `send_buffered`.
    pub sends: usize,
    /// `pre` and `post` hook calls dropped.
    pub hooks: usize,
    /// Decodes, empty answers and undocumented answers now taking an `Answer`.
    pub reads: usize,
    /// Other `ResponseValue` constructors left as they were (`stream`, `upgrade`, ...): they take
    /// a `reqwest::Response`, which the operations no longer have.
    pub unknown: usize,
}

/// Rewrites every operation of `file` to read the transport's buffered answer (see the module
/// docs).
pub fn read_buffered(file: &mut syn::File) -> Rewrites {
    let mut rewriter = Rewriter::default();
    rewriter.0.reads = crate::syntax::rename_calls(
        file,
        &["ResponseValue", "empty"],
        syn::parse_quote!(crate::transport::empty_response),
    );
    rewriter.visit_file_mut(file);
    rewriter.0
}

#[derive(Default)]
struct Rewriter(Rewrites);

/// Whether `call` is `client.<method>(..)` for one of `methods`.
fn on_client(call: &syn::ExprMethodCall, methods: &[&str]) -> bool {
    methods.iter().any(|m| call.method == m)
        && matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("client"))
}

/// Whether `expr` (under any `?` and `.await`) calls `client.<method>(..)` for one of `methods`.
fn calls_client(expr: &syn::Expr, methods: &[&str]) -> bool {
    match expr {
        syn::Expr::Try(e) => calls_client(&e.expr, methods),
        syn::Expr::Await(e) => calls_client(&e.base, methods),
        syn::Expr::MethodCall(call) => on_client(call, methods),
        _ => false,
    }
}

/// Whether `call` is `ResponseValue::<name>(..)` for a name other than `new`.
fn constructs_response_value(call: &syn::ExprCall) -> bool {
    matches!(crate::syntax::call_path(call).as_slice(),
        [.., owner, name] if *owner == "ResponseValue" && *name != "new")
}

impl VisitMut for Rewriter {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|stmt| {
            !matches!(stmt, syn::Stmt::Expr(e, Some(_)) if calls_client(e, &["pre", "post"]))
        });
        self.0.hooks += before - block.stmts.len();
        syn::visit_mut::visit_block_mut(self, block);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Await(awaited) = expr
            && let syn::Expr::Call(call) = &*awaited.base
            && crate::syntax::calls(call, &["ResponseValue", "from_response"])
        {
            let args = &call.args;
            *expr = syn::parse_quote!(crate::transport::typed_response(#args));
            self.0.reads += 1;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        syn::visit_mut::visit_expr_method_call_mut(self, call);
        if on_client(call, &["exec"]) {
            call.method = syn::parse_quote!(send_buffered);
            self.0.sends += 1;
        }
    }

    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        if constructs_response_value(call) {
            self.0.unknown += 1;
        } else if crate::syntax::calls(call, &["Error", "UnexpectedResponse"])
            && let Some(arg) = call.args.first_mut()
        {
            *arg = syn::parse_quote!(#arg.into_response());
            self.0.reads += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    #[test]
    fn every_operation_reads_the_buffered_answer() {
        let mut file: syn::File = syn::parse_quote! {
            async fn send() -> Result<ResponseValue<T>, Error<E>> {
                client.pre(&mut request, &info).await?;
                let result = client.exec(request, &info).await;
                client.post(&result, &info).await?;
                let response = result?;
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
        let rewrites = super::read_buffered(&mut file);
        assert_eq!(
            rewrites,
            super::Rewrites {
                sends: 1,
                hooks: 2,
                reads: 4,
                unknown: 0,
            }
        );
        let code = file.to_token_stream().to_string();
        for expected in [
            "let result = client . send_buffered (request , & info) . await ;",
            "200u16 => crate :: transport :: typed_response (response) ,",
            "Error :: ErrorResponse (crate :: transport :: typed_response (response) ? ,)",
            "Ok (crate :: transport :: empty_response (response))",
            "Error :: UnexpectedResponse (response . into_response ())",
        ] {
            assert!(code.contains(expected), "{expected} in {code}");
        }
        for gone in ["from_response", "client . pre", "client . post", ". exec ("] {
            assert!(!code.contains(gone), "{gone} in {code}");
        }
    }

    #[test]
    fn a_response_value_it_cannot_rewrite_is_counted() {
        let mut file: syn::File = syn::parse_quote! {
            async fn send() {
                match response.status().as_u16() {
                    200u16 => Ok(ResponseValue::stream(response)),
                    _ => Ok(ResponseValue::new((), status, headers)),
                }
            }
        };
        assert_eq!(super::read_buffered(&mut file).unknown, 1);
    }
}
