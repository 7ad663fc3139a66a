//! Open enums: a string enum of the spec becomes a Rust enum with one variant per documented
//! value and `Unknown(String)` for any value the server adds later, so that a new value never
//! fails a whole response.

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// A named string enum of a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenEnum {
    /// The component schema's name.
    pub name: String,
    /// The schema's description, if any.
    pub description: Option<String>,
    /// The documented values, in spec order.
    pub values: Vec<String>,
}

/// The Rust variant name for an enum value: `CUSTOM_ID` -> `CustomId`, `600` -> `V600`.
pub(crate) fn variant_name(value: &str) -> String {
    let name = value.to_upper_camel_case();
    match name.chars().next() {
        None => "Empty".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("V{name}"),
        Some(_) => name,
    }
}

impl OpenEnum {
    /// A string enum named `name` with the documented `values`, in spec order.
    pub fn new(name: impl Into<String>, values: Vec<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
            values,
        }
    }

    /// Whether the enum can be generated: every value needs a Rust variant name of its own,
    /// and none may be `Unknown`; the error says which value collides.
    pub fn check(&self) -> Result<(), String> {
        self.tokens().map(|_| ())
    }

    /// The Rust type name.
    pub(crate) fn rust_name(&self) -> String {
        self.name.to_upper_camel_case()
    }

    /// The type's definition and trait impls, or why it cannot be generated.
    pub(crate) fn tokens(&self) -> Result<TokenStream, String> {
        let ident = format_ident!("{}", self.rust_name());
        let mut seen = std::collections::BTreeSet::new();
        let mut variants = Vec::new();
        for value in &self.values {
            let variant = variant_name(value);
            if variant == "Unknown" || !seen.insert(variant.clone()) {
                return Err(format!(
                    "enum {}: value {value:?} maps to the variant name {variant}, which is taken",
                    self.name
                ));
            }
            variants.push(format_ident!("{variant}"));
        }
        let values = &self.values;
        let name = &self.name;
        let doc = self
            .description
            .clone()
            .unwrap_or_else(|| format!("The `{name}` values of the API."));
        let variant_docs = values.iter().map(|v| format!("`{v}`"));
        let variant_names = variants.iter().map(|v| v.to_string());
        Ok(quote! {
            #[doc = #doc]
            ///
            /// Open: a value this version of the crate does not know decodes into `Unknown`, which
            /// keeps the string and sends it back unchanged. A later version may name such a
            /// value with a variant of its own: match with a wildcard arm. `Debug` shows at
            /// most 64 characters of an `Unknown` value (the server's text).
            #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub enum #ident {
                #(#[doc = #variant_docs] #variants,)*
                /// A value not documented when this crate was generated.
                Unknown(::std::string::String),
            }

            impl #ident {
                /// Every documented value, in spec order.
                pub const KNOWN: &'static [Self] = &[#(Self::#variants),*];

                /// The value as the API spells it.
                pub fn as_str(&self) -> &str {
                    match self {
                        #(Self::#variants => #values,)*
                        Self::Unknown(other) => other.as_str(),
                    }
                }
            }

            impl ::std::convert::From<&str> for #ident {
                fn from(value: &str) -> Self {
                    match value {
                        #(#values => Self::#variants,)*
                        other => Self::Unknown(other.to_owned()),
                    }
                }
            }

            impl ::std::convert::From<::std::string::String> for #ident {
                fn from(value: ::std::string::String) -> Self {
                    Self::from(value.as_str())
                }
            }

            impl ::std::str::FromStr for #ident {
                type Err = ::std::convert::Infallible;
                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                    Ok(Self::from(value))
                }
            }

            impl ::std::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self {
                        #(Self::#variants => f.write_str(#variant_names),)*
                        Self::Unknown(other) => {
                            let shown: ::std::string::String = other.chars().take(64).collect();
                            let cut = match other.chars().nth(64) {
                                Some(_) => "…",
                                None => "",
                            };
                            write!(f, "Unknown({shown:?}{cut})")
                        }
                    }
                }
            }

            impl ::std::fmt::Display for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::serde::Serialize for #ident {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #ident {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(Self::from(value.as_ref()))
                }
            }

        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_are_upper_camel_case() {
        assert_eq!(variant_name("CUSTOM_ID"), "CustomId");
        assert_eq!(variant_name("RAMP_ID"), "RampId");
        assert_eq!(variant_name("oauth_not_applicable"), "OauthNotApplicable");
        assert_eq!(variant_name("NotApplicable"), "NotApplicable");
        assert_eq!(variant_name("600"), "V600");
        assert_eq!(variant_name(""), "Empty");
    }

    #[test]
    fn an_open_enum_can_gain_variants() {
        let e = OpenEnum::new("Status", vec!["DONE".into()]);
        let code = e.tokens().unwrap().to_string();
        assert!(
            code.contains("# [non_exhaustive] pub enum Status"),
            "{code}"
        );
    }

    #[test]
    fn colliding_values_are_refused() {
        let e = OpenEnum {
            name: "Clash".into(),
            description: None,
            values: vec!["a_b".into(), "A_B".into()],
        };
        assert!(e.tokens().unwrap_err().contains("taken"));
        let unknown = OpenEnum {
            name: "Clash".into(),
            description: None,
            values: vec!["UNKNOWN".into()],
        };
        assert!(unknown.tokens().is_err());
    }
}
