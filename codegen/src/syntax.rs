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

/// The names of the path `call` calls (`[progenitor_client, QueryParam, new]`); empty when it
/// calls something other than a path.
pub(crate) fn call_path(call: &syn::ExprCall) -> Vec<&syn::Ident> {
    match &*call.func {
        syn::Expr::Path(func) => func.path.segments.iter().map(|s| &s.ident).collect(),
        _ => Vec::new(),
    }
}

/// Whether `call` calls a function whose path ends with `tail` (`QueryParam::new` matches
/// `progenitor_client::QueryParam::new` too).
pub(crate) fn calls(call: &syn::ExprCall, tail: &[&str]) -> bool {
    let path = call_path(call);
    path.len() >= tail.len()
        && path[path.len() - tail.len()..]
            .iter()
            .zip(tail)
            .all(|(ident, name)| *ident == name)
}

/// The items of the inline module `name` of `file` (progenitor's `types`).
pub(crate) fn module_items<'f>(
    file: &'f mut syn::File,
    name: &str,
) -> Option<&'f mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|c| &mut c.1),
        _ => None,
    })
}

/// Whether `block` calls a function whose path ends with `tail`.
pub(crate) fn block_calls(block: &syn::Block, tail: &[&str]) -> bool {
    struct Find<'a> {
        tail: &'a [&'a str],
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Find<'_> {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            self.found |= calls(call, self.tail);
            syn::visit::visit_expr_call(self, call);
        }
    }
    let mut find = Find { tail, found: false };
    syn::visit::Visit::visit_block(&mut find, block);
    find.found
}

/// Makes every call of a function whose path ends with `tail` call `to` instead, with the same
/// arguments; returns how many.
pub(crate) fn rename_calls(file: &mut syn::File, tail: &[&str], to: syn::Path) -> usize {
    struct Rename<'a> {
        tail: &'a [&'a str],
        to: syn::Path,
        count: usize,
    }
    impl syn::visit_mut::VisitMut for Rename<'_> {
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            syn::visit_mut::visit_expr_call_mut(self, call);
            if calls(call, self.tail) {
                let to = &self.to;
                *call.func = syn::parse_quote!(#to);
                self.count += 1;
            }
        }
    }
    let mut rename = Rename { tail, to, count: 0 };
    syn::visit_mut::VisitMut::visit_file_mut(&mut rename, file);
    rename.count
}

/// The name of the type an impl block is for (the last segment of its path), if it is a path.
pub(crate) fn impl_name(block: &syn::ItemImpl) -> Option<String> {
    match &*block.self_ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}
