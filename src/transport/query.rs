//! The text of a generated request's URL: joined from its parts ([`url_text`], in place of
//! progenitor's `format!`), then its query written into it before the URL is parsed
//! ([`QueryText`], in place of progenitor's `RequestBuilder::query` calls, which rebuild the
//! parsed URL once per parameter).
//!
//! The text is what progenitor's `QueryParam` and serde_urlencoded make of each value: a scalar
//! (text, a whole number, a boolean, an enum's variant, a date) is written directly; anything
//! else (an array, a decimal number) goes through serde_urlencoded itself.

use serde::Serialize;
use serde::ser::{self, Impossible};
use url::form_urlencoded;

/// The room a URL's text is made with for the query appended to it.
const QUERY_ROOM: usize = 64;

/// A request's URL text, `parts` joined (codegen's `url` pass puts it in place of progenitor's
/// `format!`): sized once, with room for a query.
pub(crate) fn url_text(parts: &[&str]) -> String {
    let len: usize = parts.iter().map(|part| part.len()).sum();
    let mut url = String::with_capacity(len + QUERY_ROOM);
    for part in parts {
        url.push_str(part);
    }
    url
}

/// A URL's text with query parameters appended to it, in the order they are added. (No
/// `Debug`: the query holds personal data.)
pub(crate) struct QueryText {
    url: String,
    /// Where the query's pairs start (just after its `?`), once it has one.
    pairs_start: Option<usize>,
    /// A fragment of the URL, put back after the query.
    fragment: Option<String>,
    /// The name of the first parameter whose value cannot be a query value.
    refused: Option<String>,
}

impl QueryText {
    /// The text of `url`, to append parameters to (after its query, if it has one).
    pub(crate) fn new(mut url: String) -> Self {
        // One scan for the common URL, which has neither.
        let (pairs_start, fragment) = match memchr::memchr2(b'?', b'#', url.as_bytes()) {
            None => (None, None),
            Some(at) => {
                let fragment = url[at..].find('#').map(|from| url.split_off(at + from));
                (url.find('?').map(|query| query + 1), fragment)
            }
        };
        Self {
            url,
            pairs_start,
            fragment,
            refused: None,
        }
    }

    /// Appends `name=value` unless `value` is `None`.
    #[inline]
    pub(crate) fn optional<T: Serialize>(self, name: &str, value: &Option<T>) -> Self {
        match value {
            Some(value) => self.required(name, value),
            None => self,
        }
    }

    /// Appends `name=value` (several pairs for an array, none for an empty one).
    pub(crate) fn required<T: Serialize>(mut self, name: &str, value: &T) -> Self {
        if self.refused.is_some() {
            return self;
        }
        let before = self.url.len();
        let pairs_start = match self.pairs_start {
            Some(start) => start,
            None => {
                self.url.push('?');
                before + 1
            }
        };
        if self.url.len() > pairs_start {
            self.url.push('&');
        }
        self.url
            .extend(form_urlencoded::byte_serialize(name.as_bytes()));
        self.url.push('=');
        let wrote = match value.serialize(Scalar(&mut self.url)) {
            Ok(wrote) => wrote,
            Err(NotScalar) => {
                // Back to where the pair began, the query's `?` kept.
                self.url.truncate(before.max(pairs_start));
                self.serialized(pairs_start, name, value)
            }
        };
        if wrote {
            self.pairs_start = Some(pairs_start);
        } else {
            self.url.truncate(before);
        }
        self
    }

    /// Appends `value` through serde_urlencoded, as reqwest's `RequestBuilder::query` would;
    /// whether it wrote anything.
    fn serialized<T: Serialize>(&mut self, pairs_start: usize, name: &str, value: &T) -> bool {
        let before = self.url.len();
        let mut pairs = form_urlencoded::Serializer::for_suffix(&mut self.url, pairs_start);
        let query = progenitor_client::QueryParam::new(name, value);
        if query
            .serialize(serde_urlencoded::Serializer::new(&mut pairs))
            .is_err()
        {
            self.refused = Some(name.to_owned());
        }
        self.url.len() > before
    }

    /// The URL's text, or why a parameter could not be written (its name, never its value).
    pub(crate) fn finish(self) -> Result<String, String> {
        if let Some(name) = self.refused {
            return Err(format!(
                "the query parameter `{name}` has a value that cannot be sent in a URL's query"
            ));
        }
        let mut url = self.url;
        if let Some(fragment) = self.fragment {
            url.push_str(&fragment);
        }
        Ok(url)
    }
}

/// Writes a scalar value form-encoded, as serde_urlencoded would, and says whether it wrote
/// one (`None` writes nothing); anything else is [`NotScalar`].
struct Scalar<'a>(&'a mut String);

impl Scalar<'_> {
    fn text(self, text: &str) -> Result<bool, NotScalar> {
        self.0
            .extend(form_urlencoded::byte_serialize(text.as_bytes()));
        Ok(true)
    }

    fn integer(self, value: impl itoa::Integer) -> Result<bool, NotScalar> {
        self.0.push_str(itoa::Buffer::new().format(value));
        Ok(true)
    }
}

/// A value [`Scalar`] does not write.
#[derive(Debug)]
struct NotScalar;

impl std::fmt::Display for NotScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a scalar query value")
    }
}

impl std::error::Error for NotScalar {}

impl ser::Error for NotScalar {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotScalar
    }
}

/// `Serializer` methods that write a whole number with `Scalar::integer`.
macro_rules! integers {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<bool, NotScalar> {
            self.integer(v)
        })*
    };
}

impl ser::Serializer for Scalar<'_> {
    type Ok = bool;
    type Error = NotScalar;
    type SerializeSeq = Impossible<bool, NotScalar>;
    type SerializeTuple = Impossible<bool, NotScalar>;
    type SerializeTupleStruct = Impossible<bool, NotScalar>;
    type SerializeTupleVariant = Impossible<bool, NotScalar>;
    type SerializeMap = Impossible<bool, NotScalar>;
    type SerializeStruct = Impossible<bool, NotScalar>;
    type SerializeStructVariant = Impossible<bool, NotScalar>;

    fn serialize_bool(self, v: bool) -> Result<bool, NotScalar> {
        self.text(if v { "true" } else { "false" })
    }
    integers!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
    );
    fn serialize_f32(self, _: f32) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_f64(self, _: f64) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_char(self, v: char) -> Result<bool, NotScalar> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<bool, NotScalar> {
        self.text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_none(self) -> Result<bool, NotScalar> {
        Ok(false)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<bool, NotScalar> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<bool, NotScalar> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotScalar> {
        Err(NotScalar)
    }
}

#[cfg(test)]
mod tests;
