//! httpmock answers in sequence: the n-th matching request gets the n-th scripted answer.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use httpmock::MockServer;
use httpmock::{HttpMockRequest, Mock};
use serde_json::Value;

/// One scripted answer: a status, a JSON body and an optional `Retry-After`.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<&'static str>,
}

impl Answer {
    /// A 200 with `body`.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            retry_after: None,
        }
    }

    /// A 503, with `Retry-After` when given.
    pub fn unavailable(retry_after: Option<&'static str>) -> Self {
        Self {
            status: 503,
            body: serde_json::json!({"httpStatus": 503, "errorCode": "UNAVAILABLE", "message": "try later"}),
            retry_after,
        }
    }
}

/// Requests of `method` on `path` answered from `answers` in order, the last one repeated.
pub struct Script<'s> {
    _mocks: Vec<Mock<'s>>,
    seen: Arc<AtomicUsize>,
}

impl Script<'_> {
    /// How many requests the script has answered.
    pub fn requests(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

/// Installs the script. Mocks are matched in creation order, so the first mock's matcher runs
/// once for every request of `method` on `path`: it counts the request and picks its answer.
pub async fn script<'s>(
    server: &'s MockServer,
    method: &str,
    path: &str,
    answers: Vec<Answer>,
) -> Script<'s> {
    let seen = Arc::new(AtomicUsize::new(0));
    let chosen = Arc::new(AtomicUsize::new(0));
    let last = answers.len() - 1;
    let mut mocks = Vec::new();
    for (index, answer) in answers.into_iter().enumerate() {
        let (seen, chosen) = (Arc::clone(&seen), Arc::clone(&chosen));
        let (method_str, path_owned) = (method.to_string(), path.to_owned());
        let mock = server
            .mock_async(|when, then| {
                when.method(method)
                    .path(path)
                    .is_true(move |req: &HttpMockRequest| {
                        if index == 0 {
                            if req.method_str() != method_str || req.uri().path() != path_owned {
                                return false;
                            }
                            let n = seen.fetch_add(1, Ordering::SeqCst);
                            chosen.store(n.min(last), Ordering::SeqCst);
                        }
                        chosen.load(Ordering::SeqCst) == index
                    });
                let then = then.status(answer.status).json_body(answer.body.clone());
                if let Some(retry_after) = answer.retry_after {
                    then.header("retry-after", retry_after);
                }
            })
            .await;
        mocks.push(mock);
    }
    Script {
        _mocks: mocks,
        seen,
    }
}
