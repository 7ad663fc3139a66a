//! The generated `consent` client: [`Client`], its request builders and [`types`]; the
//! download of a consent file's body ([`download`]); and the job Consent Files exists for,
//! applying every opt-out and deletion file once ([`sync`]).
#![allow(missing_docs)]

pub mod download;
pub mod store;
pub mod sync;

pub use download::{ConsentFileBody, DownloadError, Framing};
pub use store::{Claim, DirStore, SyncStore, SyncedFile};
pub use sync::{SyncError, SyncObserver, SyncReport, Syncer};

include!(concat!(env!("OUT_DIR"), "/consent.rs"));
crate::transport::impl_client_hooks!(Client);

/// Typed httpmock helpers for this API's operations, for your own tests.
///
/// ```
/// use httpmock::MockServer;
/// use liveramp::consent::mock::MockServerExt;
/// use liveramp::consent::types::{ConsentFileList, Pagination};
///
/// let server = MockServer::start();
/// // Generated types are built with their builders (they are `#[non_exhaustive]`).
/// let page: ConsentFileList = ConsentFileList::builder()
///     .v2_consent_files(vec![])
///     .pagination(Some(Pagination::builder().total(Some(0)).try_into()?))
///     .try_into()?;
/// let mock = server.list_consent_files(|when, then| {
///     when.limit(std::num::NonZeroU32::new(5).unwrap());
///     then.ok(&page);
/// });
/// # drop(mock);
/// # Ok::<(), liveramp::Error>(())
/// ```
#[cfg(feature = "httpmock")]
#[cfg_attr(docsrs, doc(cfg(feature = "httpmock")))]
#[allow(clippy::all)]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/consent_httpmock.rs"));
}
