//! Every item of a cursor-paginated list, as a stream.
//!
//! Each list operation the specs mark with `x-pagination` has `stream()` on its request
//! builder: it sends the request as built, yields the page's items, then asks for the next page
//! with the cursor the answer gave, until a page has no cursor (or an empty one). The stream
//! ends early, with the error as its last item, when a page fails (after the transport's own
//! retries); a server that repeats a cursor, or answers an empty page with a cursor, ends it
//! without an error. [`MAX_PAGES`] bounds it in any case: a list that would go on past it ends
//! with [`Error::ListTooLong`], so a list cut short never looks whole. Pages are fetched one at a time,
//! as the stream is read: nothing is fetched ahead. [`collect_at_most`] collects a list into
//! memory with a bound on its length.
//!
//! ```no_run
//! # #[cfg(feature = "activation")]
//! # async fn run() -> Result<(), liveramp::Error> {
//! use futures::TryStreamExt;
//!
//! let activation = liveramp::Config::from_env()?.activation()?;
//! let mut destinations = activation.list_destinations().limit(100).stream();
//! while let Some(destination) = destinations.try_next().await? {
//!     println!("{} {}", destination.id, destination.name);
//! }
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;

use futures::Stream;
use futures::future::BoxFuture;

use crate::Error;

/// Pages followed at most by one stream.
pub const MAX_PAGES: usize = 100_000;

/// A bound on the items of a list collected into memory ([`collect_at_most`]) that no list of
/// the APIs comes near: the consent listing's, and the CLI's.
pub const MAX_COLLECTED_ITEMS: usize = 1_000_000;

/// A bound on what a list collected into memory weighs as JSON ([`collect_at_most`]): huge
/// items fill the memory long before [`MAX_COLLECTED_ITEMS`].
pub const MAX_COLLECTED_BYTES: usize = 256 * 1024 * 1024;

/// The stream `stream()` returns: every item, or the error that ended it.
pub type Items<'a, T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'a>>;

/// Every item of `items`, in order, or the error that ended them; [`Error::ListTooLong`] when
/// there are more than `max_items`, or when they weigh more than `max_bytes` written as JSON (a
/// server answering pages of new items for ever, or of huge ones, would otherwise fill the
/// memory long before [`MAX_PAGES`] ends the list).
///
/// ```no_run
/// # #[cfg(feature = "activation")]
/// # async fn run() -> Result<(), liveramp::Error> {
/// let activation = liveramp::Config::from_env()?.activation()?;
/// let all = activation.list_destinations().limit(100).stream();
/// let destinations = liveramp::paginate::collect_at_most(all, 10_000, 64 << 20).await?;
/// # Ok(()) }
/// ```
pub async fn collect_at_most<T: serde::Serialize>(
    items: impl Stream<Item = Result<T, Error>>,
    max_items: usize,
    max_bytes: usize,
) -> Result<Vec<T>, Error> {
    use futures::StreamExt;
    let mut items = std::pin::pin!(items);
    let mut all = Vec::new();
    let mut bytes = 0usize;
    while let Some(item) = items.next().await {
        let item = item?;
        if all.len() == max_items {
            return Err(Error::ListTooLong {
                max: max_items,
                unit: "items",
            });
        }
        bytes = bytes.saturating_add(json_len(&item));
        if bytes > max_bytes {
            return Err(Error::ListTooLong {
                max: max_bytes,
                unit: "bytes of items (as JSON)",
            });
        }
        all.push(item);
    }
    Ok(all)
}

/// How long `value` is written as JSON, counted without writing it anywhere.
fn json_len(value: &impl serde::Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(bytes.len());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

/// A page of a list: its items and the cursor of the next page. Generated for each page type.
pub trait Page {
    /// One item of the list.
    type Item;
    /// The items, and the cursor of the next page (`None` on the last page).
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

struct State<B> {
    next: Option<B>,
    /// A keyed hash of each cursor followed: eight bytes a page however long the server makes
    /// its cursors, and a collision the server cannot aim for.
    cursors: HashSet<u64>,
    hasher: RandomState,
    pages: usize,
    /// The pages it may follow.
    max_pages: usize,
    /// Whether a cursor was left unfollowed at `max_pages`: the list ends with an error.
    cut: bool,
}

/// The items of every page: `first` is the first page's request, `send` sends one request and
/// `with_cursor` makes the next page's request out of the first one and a cursor.
pub(crate) fn items<'a, B, P>(
    first: B,
    send: fn(B) -> BoxFuture<'a, Result<P, Error>>,
    with_cursor: fn(B, String) -> B,
) -> Items<'a, P::Item>
where
    B: Clone + Send + 'a,
    P: Page + Send + 'a,
    P::Item: Send + 'a,
{
    items_within(first, send, with_cursor, MAX_PAGES)
}

/// [`items`], following at most `max_pages` pages.
fn items_within<'a, B, P>(
    first: B,
    send: fn(B) -> BoxFuture<'a, Result<P, Error>>,
    with_cursor: fn(B, String) -> B,
    max_pages: usize,
) -> Items<'a, P::Item>
where
    B: Clone + Send + 'a,
    P: Page + Send + 'a,
    P::Item: Send + 'a,
{
    use futures::StreamExt;
    let template = first.clone();
    let state = State {
        next: Some(first),
        cursors: HashSet::new(),
        hasher: RandomState::new(),
        pages: 0,
        max_pages,
        cut: false,
    };
    let pages = futures::stream::unfold(state, move |mut state| {
        let template = template.clone();
        async move {
            let Some(request) = state.next.take() else {
                let cut = std::mem::take(&mut state.cut);
                let error = Error::ListTooLong {
                    max: state.max_pages,
                    unit: "pages",
                };
                return cut.then_some((Err(error), state));
            };
            state.pages += 1;
            match send(request).await {
                Err(error) => Some((Err(error), state)),
                Ok(page) => {
                    let (items, cursor) = page.into_parts();
                    let cursor = cursor.filter(|c| !c.is_empty() && !items.is_empty());
                    if cursor.is_some() && state.pages >= state.max_pages {
                        state.cut = true;
                    } else if let Some(cursor) = cursor {
                        if state.cursors.insert(state.hasher.hash_one(&cursor)) {
                            state.next = Some(with_cursor(template, cursor));
                        } else {
                            tracing::warn!(
                                pages = state.pages,
                                "the API repeated a page cursor: the list ends here"
                            );
                        }
                    }
                    Some((Ok(items), state))
                }
            }
        }
    });
    Box::pin(pages.flat_map(|page| {
        futures::stream::iter(match page {
            Ok(items) => items.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(error) => vec![Err(error)],
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of one item whose cursor names the next page, for ever.
    struct Endless(u32);

    impl Page for Endless {
        type Item = u32;
        fn into_parts(self) -> (Vec<u32>, Option<String>) {
            (vec![self.0], Some(format!("page-{}", self.0 + 1)))
        }
    }

    fn endless(page: u32) -> BoxFuture<'static, Result<Endless, Error>> {
        Box::pin(async move { Ok(Endless(page)) })
    }

    fn at_cursor(_: u32, cursor: String) -> u32 {
        cursor
            .strip_prefix("page-")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn a_list_cut_at_its_page_bound_ends_with_an_error() {
        // Found by review: the list ended quietly at the bound, and looked whole.
        use futures::StreamExt;
        let items: Vec<_> = items_within(0, endless, at_cursor, 3).collect().await;
        assert_eq!(items.len(), 4, "{items:?}");
        assert!(items[..3].iter().all(Result::is_ok));
        assert!(matches!(
            items[3],
            Err(Error::ListTooLong {
                max: 3,
                unit: "pages"
            })
        ));
    }

    fn list(items: Vec<Result<u32, Error>>) -> impl Stream<Item = Result<u32, Error>> {
        futures::stream::iter(items)
    }

    #[tokio::test]
    async fn collect_at_most_keeps_up_to_its_bound_and_refuses_more() {
        let three = || (0..3).map(Ok).collect::<Vec<_>>();
        assert_eq!(
            collect_at_most(list(three()), 3, usize::MAX).await.unwrap(),
            [0, 1, 2]
        );
        assert!(matches!(
            collect_at_most(list(three()), 2, usize::MAX).await,
            Err(Error::ListTooLong { max: 2, .. })
        ));
        assert!(
            collect_at_most(list(Vec::new()), 0, 0)
                .await
                .unwrap()
                .is_empty()
        );
        // Bytes as JSON: `0`, `1` and `2` weigh a byte each.
        assert!(collect_at_most(list(three()), 3, 3).await.is_ok());
        assert!(matches!(
            collect_at_most(list(three()), 3, 2).await,
            Err(Error::ListTooLong { max: 2, .. })
        ));
        // The error that ends a list is the list's, not the bound's.
        let failed = vec![Ok(0), Err(Error::Other("page 2".into()))];
        assert!(matches!(
            collect_at_most(list(failed), 1, usize::MAX).await,
            Err(Error::Other(m)) if m == "page 2"
        ));
    }
}
