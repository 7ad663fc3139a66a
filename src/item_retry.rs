//! The retry rounds of a batch's items (AbiliTec batch calls, segment configs): each round
//! sends again the items whose own result was retryable, after the client's backoff, while the
//! retry budget allows, as the transport retries a call.

use crate::transport::Transport;

/// An item's result, as far as the rounds need to know it.
pub(crate) trait ItemResult {
    /// Whether the item is worth sending again for its result (408, 429, 500, 502, 503, 504).
    fn retryable(&self) -> bool;
}

impl<T> ItemResult for Result<T, crate::error::ApiError> {
    fn retryable(&self) -> bool {
        matches!(self, Err(e) if crate::retry::is_retryable_status(e.status))
    }
}

/// The rounds of one batch of items `I`, whose results are `R`. Each item has a place, its
/// position in the batch; its last result is kept at that place, so an item that no round is
/// left to send again (attempts used up, budget spent) ends with it.
pub(crate) struct ItemRetries<'t, I, R> {
    transport: &'t Transport,
    /// Rounds the items may have, the first included.
    attempts: u32,
    /// Rounds begun so far.
    round: u32,
    /// What the rounds took from the retry budget: given back when no item ends retryable,
    /// as a call's retries are when it succeeds.
    spent: u32,
    /// Each item's last result, by place.
    results: Vec<Option<R>>,
    /// The items of the next round, with their places.
    pending: Vec<(usize, I)>,
}

impl<'t, I, R: ItemResult> ItemRetries<'t, I, R> {
    /// The rounds of `items` sent through `transport`, each at most `attempts` times.
    pub(crate) fn new(transport: &'t Transport, items: Vec<I>, attempts: u32) -> Self {
        let results = std::iter::repeat_with(|| None).take(items.len()).collect();
        Self {
            transport,
            attempts,
            round: 0,
            spent: 0,
            results,
            pending: items.into_iter().enumerate().collect(),
        }
    }

    /// The items of the next round, with their places: at once for the first; for the others,
    /// after taking a retry from the budget and waiting the backoff. `None` when no item is to
    /// be sent again, the attempts are used up or the budget has no retry left.
    pub(crate) async fn next_round(&mut self) -> Option<Vec<(usize, I)>> {
        if self.pending.is_empty() || self.round >= self.attempts {
            return None;
        }
        if self.round >= 1 {
            let cost = self.transport.spend_retry()?;
            self.spent = self.spent.saturating_add(cost);
            self.transport.wait_before_retry(self.round).await;
        }
        self.round += 1;
        Some(std::mem::take(&mut self.pending))
    }

    /// Keeps `result` of `item` at `place`; the item goes into the next round when the result
    /// is retryable and a round is left.
    pub(crate) fn answered(&mut self, place: usize, item: I, result: R) {
        if self.round < self.attempts && result.retryable() {
            self.pending.push((place, item));
        }
        if let Some(slot) = self.results.get_mut(place) {
            *slot = Some(result);
        }
    }

    /// Ends the rounds with the items' last results, in place order. When no item ended
    /// retryable, the budget gets back what the rounds took.
    pub(crate) fn finish(self) -> Vec<R> {
        let (transport, spent) = (self.transport, self.spent);
        let results = self.stopped();
        if spent > 0 && !results.iter().any(ItemResult::retryable) {
            transport.refund_retries(spent);
        }
        results
    }

    /// Ends the rounds early (a call failed as a whole), with the last results so far.
    pub(crate) fn stopped(self) -> Vec<R> {
        self.results.into_iter().flatten().collect()
    }
}
