//! Cursor pagination as LiveRamp's v2 APIs do it: `limit` (1..=100, default 10), an opaque
//! `after` cursor and `{"<collection key>": [...], "_pagination": {after, total}}`.
//!
//! The cursor names the insertion sequence number of the last item returned, so a walk sees
//! every item exactly once even when items are added or removed between pages.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::signing::{b64, unb64};

/// An item that has an ID.
pub(crate) trait Identified {
    /// The item's ID.
    fn id(&self) -> &str;
}

/// Items in insertion order.
#[derive(Debug)]
pub(crate) struct Collection<T> {
    items: BTreeMap<u64, T>,
    next_seq: u64,
}

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Self {
            items: BTreeMap::new(),
            next_seq: 0,
        }
    }
}

impl<T: Identified> Collection<T> {
    /// Appends `item`.
    pub(crate) fn insert(&mut self, item: T) {
        self.items.insert(self.next_seq, item);
        self.next_seq += 1;
    }

    /// The item with `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&T> {
        self.items.values().find(|i| i.id() == id)
    }

    /// The item with `id`, to change.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.items.values_mut().find(|i| i.id() == id)
    }

    /// Removes and returns the item with `id`.
    pub(crate) fn remove(&mut self, id: &str) -> Option<T> {
        let seq = *self.items.iter().find(|(_, i)| i.id() == id)?.0;
        self.items.remove(&seq)
    }

    /// Every item, in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.values()
    }

    /// The page of the items passing `keep` selected by `params`.
    pub(crate) fn page(&self, params: &PageParams, keep: impl Fn(&T) -> bool) -> Page<&T> {
        let selected: Vec<(u64, &T)> = self
            .items
            .iter()
            .filter(|(_, i)| keep(i))
            .map(|(s, i)| (*s, i))
            .collect();
        let total = selected.len();
        let rest: Vec<(u64, &T)> = selected
            .into_iter()
            .filter(|(s, _)| params.after.is_none_or(|a| *s > a))
            .collect();
        let more = rest.len() > params.limit;
        let items: Vec<(u64, &T)> = rest.into_iter().take(params.limit).collect();
        let after = if more {
            items.last().map(|(s, _)| encode_cursor(*s))
        } else {
            None
        };
        Page {
            items: items.into_iter().map(|(_, i)| i).collect(),
            after,
            total,
        }
    }
}

/// The validated `limit` and `after` of a list call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageParams {
    limit: usize,
    after: Option<u64>,
}

impl PageParams {
    /// Reads `limit` and `after` from the query; the error says which one is wrong.
    pub(crate) fn from_query(query: &Query) -> Result<Self, String> {
        let limit = match query.first("limit") {
            None => 10,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => return Err("limit must be an integer between 1 and 100".into()),
            },
        };
        let after = match query.first("after") {
            None | Some("") => None,
            Some(cursor) => Some(
                decode_cursor(cursor).ok_or_else(|| "after is not a valid cursor".to_string())?,
            ),
        };
        Ok(Self { limit, after })
    }
}

/// One page of a list.
#[derive(Debug)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) after: Option<String>,
    pub(crate) total: usize,
}

impl<T> Page<T> {
    /// The same page with each item changed by `f`.
    pub(crate) fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            after: self.after,
            total: self.total,
        }
    }
}

impl<T: Serialize> Page<T> {
    /// `{"<key>": [...], "_pagination": {"after", "total"}}`.
    pub(crate) fn to_body(&self, key: &str) -> Value {
        json!({ key: self.items, "_pagination": { "after": self.after, "total": self.total } })
    }
}

fn encode_cursor(seq: u64) -> String {
    b64(format!("seq:{seq}").as_bytes())
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let text = String::from_utf8(unb64(cursor)?).ok()?;
    text.strip_prefix("seq:")?.parse().ok()
}

/// A query string's parameters, repeated keys kept (`segmentIDs=a&segmentIDs=b`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// Parses a raw query string.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `key`.
    pub(crate) fn first(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key` (also accepts `key[]`).
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        let bracketed = format!("{key}[]");
        self.0
            .iter()
            .filter(|(k, _)| k == key || *k == bracketed)
            .flat_map(|(_, v)| v.split(','))
            .filter(|v| !v.is_empty())
            .collect()
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Query {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::parse(parts.uri.query()))
    }
}
