//! Follows an API's `after` cursor through every page of a list.

use std::collections::HashSet;
use std::future::Future;

/// How many items one list call asks for.
pub const PAGE_SIZE: u32 = 100;
/// How many pages are followed at most, against a server whose cursor never ends.
const MAX_PAGES: usize = 100_000;

/// Every item of a paginated list: `fetch(after)` returns one page's items and the next
/// cursor. Stops at the last page, on an empty page, or when a cursor repeats.
pub async fn all_pages<T, E, F, Fut>(mut fetch: F) -> Result<Vec<T>, E>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), E>>,
{
    let mut items = Vec::new();
    let mut cursors = HashSet::new();
    let mut after = None;
    for _ in 0..MAX_PAGES {
        let (page, next) = fetch(after.take()).await?;
        let empty = page.is_empty();
        items.extend(page);
        match next {
            Some(cursor) if !empty && cursors.insert(cursor.clone()) => after = Some(cursor),
            _ => break,
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_page_is_followed_and_a_repeated_cursor_stops() {
        let pages = all_pages(|after| async move {
            Ok::<_, ()>(match after.as_deref() {
                None => (vec![1, 2], Some("a".to_owned())),
                Some("a") => (vec![3], Some("b".to_owned())),
                _ => (vec![4], None),
            })
        })
        .await;
        assert_eq!(pages, Ok(vec![1, 2, 3, 4]));

        let mut calls = 0;
        let looping = all_pages(|_| {
            calls += 1;
            async { Ok::<_, ()>((vec![0], Some("same".to_owned()))) }
        })
        .await;
        assert_eq!(looping, Ok(vec![0, 0]));
        assert_eq!(calls, 2);
    }
}
