//! Typed batch items: an operation marked `x-batch-item: true` (an AbiliTec single match or
//! lookup) gets `batch_item()` on its request builder. It builds the request exactly as
//! `send()` would, with the same generated code (so every field is encoded the same way
//! whatever characters it holds), checks it against the operation's documented constraints, and
//! hands back its path and query for a batch call: `crate::bulk::BatchItem`.
//!
//! The generated `send_generated` is split at the statement that names the operation
//! (`let info = OperationInfo { .. }`): everything before it builds the request.

use quote::ToTokens;

/// The `operationId`s of `doc` marked `x-batch-item: true`.
pub fn batch_operations(doc: &openapiv3::OpenAPI) -> Vec<String> {
    doc.paths
        .iter()
        .filter_map(|(_, item)| item.as_item())
        .flat_map(|item| item.iter().map(|(_, op)| op))
        .filter(|op| {
            op.extensions
                .get("x-batch-item")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        })
        .filter_map(|op| op.operation_id.clone())
        .collect()
}

/// Adds `build_request` and `batch_item` to the builders of `operations`; `Err` names one whose
/// generated `send` does not have the expected shape.
pub fn add_batch_items(file: &mut syn::File, operations: &[String]) -> Result<usize, String> {
    let Some(builder) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|c| &mut c.1),
        _ => None,
    }) else {
        return Ok(0);
    };
    let mut added = 0;
    for operation_id in operations {
        let name = heck::ToUpperCamelCase::to_upper_camel_case(operation_id.as_str());
        let block = builder
            .iter_mut()
            .find_map(|item| {
                match item {
                syn::Item::Impl(block)
                    if block.trait_.is_none()
                        && crate::syntax::impl_name(block).is_some_and(|n| n == name)
                        && block.items.iter().any(|i| {
                            matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "send_generated")
                        }) =>
                {
                    Some(block)
                }
                _ => None,
            }
            })
            .ok_or_else(|| format!("{operation_id}: no builder with send_generated"))?;
        let send = block
            .items
            .iter()
            .find_map(|i| match i {
                syn::ImplItem::Fn(f) if f.sig.ident == "send_generated" => Some(f.clone()),
                _ => None,
            })
            .ok_or_else(|| format!("{operation_id}: no send_generated"))?;
        let error_ty = crate::syntax::result_arg(&send.sig.output, 1)
            .ok_or_else(|| format!("{operation_id}: send_generated has no Result<_, E>"))?;
        let cut = send
            .block
            .stmts
            .iter()
            .position(|stmt| {
                matches!(stmt, syn::Stmt::Local(local)
                    if local.pat.to_token_stream().to_string() == "info")
            })
            .ok_or_else(|| format!("{operation_id}: send_generated names no OperationInfo"))?;
        let building = &send.block.stmts[..cut];
        let op = operation_id.as_str();
        let build: syn::ImplItem = syn::parse_quote! {
            /// Builds the request `send` would send, without sending it.
            fn build_request(self) -> ::std::result::Result<::reqwest::Request, #error_ty> {
                #(#building)*
                ::std::result::Result::Ok(request)
            }
        };
        let item: syn::ImplItem = syn::parse_quote! {
            /// This call as one item of a batch call (see [`crate::bulk`]): the request `send`
            /// would send, checked against the spec as `send` checks it, as a path and query.
            pub fn batch_item(self) -> ::std::result::Result<crate::bulk::BatchItem, crate::Error> {
                let base = self.client.baseurl.clone();
                let request = self.build_request()?;
                crate::bulk::BatchItem::from_request(&super::OPERATION_SPECS, #op, &base, &request)
            }
        };
        block.items.push(build);
        block.items.push(item);
        let param = param_setter(operation_id, block, &send)?;
        block.items.push(param);
        added += 1;
    }
    Ok(added)
}

/// `param(name, value)`: sets the query parameter with that wire name from text, for callers
/// that read the fields by name (a CSV header). Wire names come from the `QueryText::optional`
/// calls of `send`; each value is parsed into its setter's type with `FromStr`.
fn param_setter(
    operation_id: &str,
    block: &syn::ItemImpl,
    send: &syn::ImplItemFn,
) -> Result<syn::ImplItem, String> {
    let mut wire = Vec::new();
    let mut finder = QueryNames(&mut wire);
    syn::visit::Visit::visit_block(&mut finder, &send.block);
    if wire.is_empty() {
        return Err(format!(
            "{operation_id}: no `QueryText::optional` call in send_generated to make `param` of"
        ));
    }
    // The unknown name is not quoted: read from data (a CSV without a header), it can be a
    // person's email or name.
    let unknown = format!(
        "a parameter name given is not one of {operation_id}'s ({})",
        wire.iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut arms: Vec<syn::Arm> = Vec::new();
    for (name, field) in wire {
        let target = block
            .items
            .iter()
            .find_map(|item| match item {
                syn::ImplItem::Fn(f) if f.sig.ident == field => setter_target(f),
                _ => None,
            })
            .ok_or_else(|| format!("{operation_id}: no setter `{field}` for `{name}`"))?;
        let setter = syn::Ident::new(&field, proc_macro2::Span::call_site());
        arms.push(syn::parse_quote! {
            #name => value
                .parse::<#target>()
                .map(|parsed| self.#setter(parsed))
                .map_err(|_| crate::Error::InvalidField {
                    field: #name.to_owned(),
                    reason: "is not a valid value for this parameter".to_owned(),
                }),
        });
    }
    Ok(syn::parse_quote! {
        /// Sets the query parameter whose documented (wire) name is `name` from `value`, for
        /// callers that read fields by name; an unknown name (`Error::InvalidRequest`, which does
        /// not quote it) or an unparsable value (`Error::InvalidField`) is refused.
        pub fn param(self, name: &str, value: &str) -> ::std::result::Result<Self, crate::Error> {
            match name {
                #(#arms)*
                _ => ::std::result::Result::Err(crate::Error::InvalidRequest(#unknown.to_owned())),
            }
        }
    })
}

/// `T` of a setter `fn f<V>(mut self, value: V) where V: TryInto<T>`.
fn setter_target(f: &syn::ImplItemFn) -> Option<syn::Type> {
    let clause = f.sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|p| {
        let syn::WherePredicate::Type(t) = p else {
            return None;
        };
        t.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(tr) = b else {
                return None;
            };
            let last = tr.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            match args.args.first()? {
                syn::GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            }
        })
    })
}

/// Collects `(wire name, field)` of every `.optional("name", &field)` call (`QueryText`'s).
struct QueryNames<'a>(&'a mut Vec<(String, String)>);

impl<'ast> syn::visit::Visit<'ast> for QueryNames<'_> {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "optional" && call.args.len() == 2 {
            let name = match call.args.first() {
                Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                })) => Some(s.value()),
                _ => None,
            };
            let field = call
                .args
                .iter()
                .nth(1)
                .map(|a| a.to_token_stream().to_string().replace(['&', ' '], ""));
            if let (Some(name), Some(field)) = (name, field) {
                self.0.push((name, field));
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}
