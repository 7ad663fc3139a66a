//! The retry rounds of a batch's items (AbiliTec batch calls, segment configs): each round
//! sends again the items whose own result was retryable, after the client's backoff, while the
//! retry budget allows, as the transport retries a call.

use std::collections::HashMap;
use std::hash::Hash;

use crate::transport::Transport;

/// The rounds of one batch of items keyed by `K`, whose results are `R`.
pub(crate) struct ItemRetries<'t, K, R> {
    transport: &'t Transport,
    /// What the rounds took from the retry budget: given back when no item ends retryable,
    /// as a call's retries are when it succeeds.
    spent: u32,
    /// The last result of each item to be sent again: its result if no round is left.
    last: HashMap<K, R>,
}

impl<'t, K: Eq + Hash, R> ItemRetries<'t, K, R> {
    /// The rounds of a batch sent through `transport`.
    pub(crate) fn new(transport: &'t Transport) -> Self {
        Self {
            transport,
            spent: 0,
            last: HashMap::new(),
        }
    }

    /// Readies round `round` (1 for the first, sent at once): takes a retry from the budget
    /// and waits the backoff. `false` when the budget has none left: the items to be sent
    /// again then keep their last results ([`take_last`](Self::take_last)).
    pub(crate) async fn begin(&mut self, round: u32) -> bool {
        if round <= 1 {
            return true;
        }
        match self.transport.spend_retry() {
            Some(cost) => {
                self.spent = self.spent.saturating_add(cost);
                self.transport.wait_before_retry(round - 1).await;
                true
            }
            None => false,
        }
    }

    /// Keeps `result` of item `key`, which is to be sent again.
    pub(crate) fn send_again(&mut self, key: K, result: R) {
        self.last.insert(key, result);
    }

    /// The last result of item `key`, which no round is left to send again.
    pub(crate) fn take_last(&mut self, key: &K) -> Option<R> {
        self.last.remove(key)
    }

    /// Ends the rounds; `settled` when no item ended with a retryable result: the budget then
    /// gets back what the rounds took.
    pub(crate) fn finish(self, settled: bool) {
        if settled && self.spent > 0 {
            self.transport.refund_retries(self.spent);
        }
    }
}

/// Whether an item's result is worth sending it again for (429, 5xx).
pub(crate) fn retryable<T>(result: &Result<T, crate::error::ApiError>) -> bool {
    matches!(result, Err(e) if crate::retry::is_retryable_status(e.status))
}
