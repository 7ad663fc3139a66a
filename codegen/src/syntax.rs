//! Reading types and calls out of generated code, for the passes that rewrite it.

/// The type arguments of `ty` when it is `wrapper<..>` (its last path segment), in order.
pub(crate) fn type_args(ty: &syn::Type, wrapper: &str) -> Vec<syn::Type> {
    let syn::Type::Path(path) = ty else {
        return Vec::new();
    };
    let Some(last) = path.path.segments.last().filter(|s| s.ident == wrapper) else {
        return Vec::new();
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|arg| match arg {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The `n`th type argument of the `Result` a function returns.
pub(crate) fn result_arg(output: &syn::ReturnType, n: usize) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    type_args(ty, "Result").into_iter().nth(n)
}

/// Whether `call` calls a function whose path ends with `tail` (`QueryParam::new` matches
/// `progenitor_client::QueryParam::new` too).
pub(crate) fn calls(call: &syn::ExprCall, tail: &[&str]) -> bool {
    let syn::Expr::Path(func) = &*call.func else {
        return false;
    };
    let segments = &func.path.segments;
    segments.len() >= tail.len()
        && segments
            .iter()
            .skip(segments.len() - tail.len())
            .zip(tail)
            .all(|(segment, name)| segment.ident == name)
}
