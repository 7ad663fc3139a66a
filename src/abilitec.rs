//! The generated `abilitec` client: [`Client`], its request builders and [`types`].
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/abilitec.rs"));
crate::transport::impl_client_hooks!(Client);

/// Typed httpmock helpers for this API's operations, for your own tests (see [`crate::consent::mock`]).
#[cfg(feature = "httpmock")]
#[cfg_attr(docsrs, doc(cfg(feature = "httpmock")))]
#[allow(clippy::all)]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/abilitec_httpmock.rs"));
}

impl types::BatchResult {
    /// The error of `item`, whose result this is, as the crate's
    /// [`ApiError`](crate::error::ApiError), when it failed; the item's `code` is its HTTP
    /// status. The item's query values (an email, a name) are removed from the error's text:
    /// AbiliTec messages quote them.
    pub fn api_error(&self, item: &crate::bulk::BatchItem) -> Option<crate::error::ApiError> {
        self.api_error_redacted(&crate::redact::Redactor::new(item.query_values()))
    }

    /// The error of this result, `redactor`'s values removed from its text.
    pub(crate) fn api_error_redacted(
        &self,
        redactor: &crate::redact::Redactor,
    ) -> Option<crate::error::ApiError> {
        let detail = self.document.error.as_ref()?;
        let status = crate::error::item_status(i64::from(self.code));
        Some(crate::error::ApiError::abilitec_item(
            status,
            Some(&detail.code),
            Some(&detail.message),
            detail.request_id.as_deref(),
            redactor,
        ))
    }
}

#[cfg(test)]
mod tests {
    /// A match item for `email`, as a batch call sends it.
    fn item(email: &str) -> crate::bulk::BatchItem {
        let client = super::Client::new("https://api.example.com", Default::default());
        client.match_people().email(email).batch_item().unwrap()
    }

    #[test]
    fn a_failed_batch_item_is_the_same_api_error_as_a_single_call() {
        let result: super::types::BatchResult = serde_json::from_value(serde_json::json!({
            "code": 404,
            "document": {"error": {"code": "600-0117", "message": "opted out", "requestId": "r-9"}}
        }))
        .unwrap();
        let error = result.api_error(&item("jane@example.com")).unwrap();
        assert_eq!(error.status.as_u16(), 404);
        assert_eq!(
            error.code.as_deref(),
            Some(crate::error::abilitec::OPTED_OUT)
        );
        assert_eq!(error.meaning(), Some("opted-out entity"));
        assert_eq!(error.request_id.as_deref(), Some("r-9"));
        let ok: super::types::BatchResult =
            serde_json::from_value(serde_json::json!({"code": 200, "document": {}})).unwrap();
        assert!(ok.api_error(&item("jane@example.com")).is_none());
    }

    #[test]
    fn a_failed_batch_item_does_not_quote_what_the_item_sent() {
        let result: super::types::BatchResult = serde_json::from_value(serde_json::json!({
            "code": 400,
            "document": {"error": {"code": "600-0001", "message": "invalid email: jane.doe@example.com"}}
        }))
        .unwrap();
        let error = result.api_error(&item("jane.doe@example.com")).unwrap();
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("invalid email"), "{shown}");
        assert!(!shown.contains("jane.doe@example.com"), "{shown}");
    }
}
