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
                        && matches!(&*block.self_ty, syn::Type::Path(p)
                            if p.path.segments.last().is_some_and(|s| s.ident == name))
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
        let error_ty = error_type(&send.sig.output)
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
        added += 1;
    }
    Ok(added)
}

/// `E` of `-> Result<T, E>`.
fn error_type(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let syn::Type::Path(path) = &**ty else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.iter().nth(1)? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}
