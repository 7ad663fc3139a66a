//! AbiliTec: deterministic answers, batch order, error documents.

use crate::common;

use liveramp_sandbox::Sandbox;
use serde_json::{Value, json};

async fn call(
    sandbox: &Sandbox,
    http: &reqwest::Client,
    token: &str,
    path_and_query: &str,
) -> (u16, Value) {
    let response = http
        .post(format!("{}{path_and_query}", sandbox.abilitec_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn both_documented_token_methods_and_the_role_are_accepted() {
    let (sandbox, http) = common::start().await;
    let query = "/people/match?name=Jane%20Doe&email=jane@example.com&role=abilitec-standard";
    // Client credentials as HTTP Basic, only grant_type in the body.
    let answer: Value = http
        .post(sandbox.abilitec_token_url())
        .basic_auth(
            sandbox.abilitec_client_id(),
            Some(sandbox.abilitec_client_secret()),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let basic = answer["access_token"].as_str().expect("a token").to_owned();
    assert_eq!(call(&sandbox, &http, &basic, query).await.0, 200);
    let wrong = http
        .post(sandbox.abilitec_token_url())
        .basic_auth(sandbox.abilitec_client_id(), Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 400);
    // The service account's password grant (AbiliTec v1.1).
    let service = common::service_token(&sandbox, &http).await;
    assert_eq!(call(&sandbox, &http, &service, query).await.0, 200);
    assert_eq!(call(&sandbox, &http, "not-a-token", query).await.0, 401);
}

#[tokio::test]
async fn the_same_input_gives_the_same_links_in_every_sandbox() {
    let (sandbox, http) = common::start().await;
    let other = Sandbox::start().await.unwrap();
    let query = "/people/match?name=Jane%20Doe&streetAddress=1%20Main%20St&zipCode=72201&email=jane@example.com";
    let token = common::abilitec_token(&sandbox, &http).await;
    let (status, first) = call(&sandbox, &http, &token, query).await;
    assert_eq!(status, 200);
    let (_, again) = call(&sandbox, &http, &token, query).await;
    let other_token = common::abilitec_token(&other, &http).await;
    let (_, elsewhere) = call(&other, &http, &other_token, query).await;
    assert_eq!(first, again);
    assert_eq!(first, elsewhere);
    let links = &first["person"]["abilitec"];
    for key in ["consumerLink", "addressLink", "householdLink"] {
        assert_eq!(links[key].as_str().unwrap().len(), 16, "{key}");
    }
    let (_, someone_else) = call(
        &sandbox,
        &http,
        &token,
        "/people/match?name=John%20Roe&email=john@example.com",
    )
    .await;
    assert_ne!(
        someone_else["person"]["abilitec"]["consumerLink"],
        links["consumerLink"]
    );
    // Case and spacing do not change the match.
    let (_, shouted) = call(&sandbox, &http, &token, "/people/match?name=JANE%20%20DOE&streetAddress=1%20main%20st&zipCode=72201&email=JANE@example.com").await;
    assert_eq!(shouted["person"]["abilitec"], first["person"]["abilitec"]);
}

#[tokio::test]
async fn invalid_parameters_get_the_error_document() {
    let (sandbox, http) = common::start().await;
    let token = common::abilitec_token(&sandbox, &http).await;
    let (status, body) = call(
        &sandbox,
        &http,
        &token,
        "/people/match?name=Jane&zipCode=1234",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "600-0043");
    assert!(body["error"]["message"].is_string());
    assert!(body["error"]["requestId"].is_string());
    let (status, body) = call(&sandbox, &http, &token, "/people/match?email=nodomain@x").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("600-0043"))
    );
    // The crate's table of documented codes is the one the sandbox answers by.
    let (status, body) = call(
        &sandbox,
        &http,
        &token,
        "/people/match?name=Jane&matchLevel=loose",
    )
    .await;
    let code = body["error"]["code"].as_str().unwrap_or_default();
    assert_eq!(
        (status, code),
        (400, liveramp::error::abilitec::INVALID_REQUEST_VALUE)
    );
    assert_eq!(
        liveramp::error::abilitec::meaning(code),
        Some("invalid request value")
    );
    assert_eq!(liveramp::error::abilitec::status(code), Some(400));
    let (status, _) = call(&sandbox, &http, &token, "/martians/match?name=X").await;
    assert_eq!(status, 404);
    let (status, body) = call(
        &sandbox,
        &http,
        "expired-or-made-up",
        "/people/match?name=Jane",
    )
    .await;
    assert_eq!(status, 401);
    assert!(body["error"]["code"].is_string());
}

#[tokio::test]
async fn batches_answer_in_request_order_with_200_even_when_items_fail() {
    let (sandbox, http) = common::start().await;
    let token = common::abilitec_token(&sandbox, &http).await;
    let items = json!([
        "/people/match?name=Jane%20Doe&email=jane@example.com",
        "/people/match?name=Jane&zipCode=12",
        "/people/match?name=John%20Roe&phone=5015550100",
    ]);
    let response = http
        .post(format!("{}/batch/match", sandbox.abilitec_url()))
        .bearer_auth(&token)
        .json(&items)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answers: Vec<Value> = response.json().await.unwrap();
    let codes: Vec<u64> = answers
        .iter()
        .map(|a| a["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, vec![200, 400, 200]);
    assert_eq!(answers[1]["document"]["error"]["code"], "600-0043");
    for (i, item) in [0, 2].into_iter().zip([
        "/people/match?name=Jane%20Doe&email=jane@example.com",
        "/people/match?name=John%20Roe&phone=5015550100",
    ]) {
        let (_, single) = call(&sandbox, &http, &token, item).await;
        assert_eq!(
            answers[i]["document"], single,
            "batch item {i} equals the single answer"
        );
    }
    let lookups = json!([
        "/people/sha256?key=".to_owned() + &"a".repeat(64),
        "/people/md5?key=short"
    ]);
    let answers: Vec<Value> = http
        .post(format!("{}/batch/lookup", sandbox.abilitec_url()))
        .bearer_auth(&token)
        .json(&lookups)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answers[0]["code"], 200);
    assert_eq!(answers[1]["code"], 400);
    assert_eq!(answers[1]["document"]["error"]["code"], "600-0031");
}

#[tokio::test]
async fn unknown_identities_answer_404_no_document_found() {
    let (sandbox, http) = common::start().await;
    let token = common::abilitec_token(&sandbox, &http).await;
    let misses = [
        "/people/match?name=Nobody%20Known&email=not-found@example.com".to_owned(),
        format!("/people/sha256?key={}", "0".repeat(64)),
        format!("/households/md5?key={}", "0".repeat(32)),
        format!("/places/sha1?key={}", "0".repeat(40)),
        "/entities/er?key=0".to_owned(),
        "/people/abilitec?key=0000000000000000".to_owned(),
        // A link the sandbox never issues: its links all start with `XY`.
        "/people/abilitec?key=003YUS0209B0QRPZ".to_owned(),
    ];
    for miss in &misses {
        let (status, body) = call(&sandbox, &http, &token, miss).await;
        assert_eq!(status, 404, "{miss}");
        assert_eq!(body["error"]["code"], "600-0030", "{miss}");
        assert!(body["error"]["requestId"].is_string(), "{miss}");
    }
    // A link the sandbox issued is found again.
    let (_, matched) = call(
        &sandbox,
        &http,
        &token,
        "/people/match?name=Jane%20Doe&email=jane@example.com",
    )
    .await;
    let link = matched["person"]["abilitec"]["consumerLink"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, found) = call(
        &sandbox,
        &http,
        &token,
        &format!("/people/abilitec?key={link}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found["person"]["abilitec"]["consumerLink"], link.as_str());
    // In a batch, a miss is one item answered 404 among found ones.
    let answers: Vec<Value> = http
        .post(format!("{}/batch/lookup", sandbox.abilitec_url()))
        .bearer_auth(&token)
        .json(&json!([
            format!("/people/sha256?key={}", "0".repeat(64)),
            format!("/people/sha256?key={}", "a".repeat(64)),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answers[0]["code"], 404);
    assert_eq!(answers[0]["document"]["error"]["code"], "600-0030");
    assert_eq!(answers[1]["code"], 200);
}

#[tokio::test]
async fn a_wrong_method_gets_the_405_error_document() {
    let (sandbox, http) = common::start().await;
    let token = common::abilitec_token(&sandbox, &http).await;
    let wrong = [
        (reqwest::Method::PUT, "/people/match?name=Jane%20Doe"),
        (reqwest::Method::DELETE, "/people/sha256?key=ab"),
        (reqwest::Method::GET, "/batch/match"),
        (reqwest::Method::PATCH, "/martians/match"),
    ];
    for (method, path) in wrong {
        let response = http
            .request(method.clone(), format!("{}{path}", sandbox.abilitec_url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert!(
            response.headers().contains_key("allow"),
            "{method} {path} says which methods are allowed"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "600-0052", "{method} {path}");
        assert!(body["error"]["message"].is_string());
        assert!(body["error"]["requestId"].is_string());
    }
}

/// Single matches of distinct names, `in_flight` at a time; how many failed.
async fn many_matches(config: &liveramp::Config, count: usize, in_flight: usize) -> usize {
    use futures_util::StreamExt;
    let client = config.abilitec().unwrap();
    futures_util::stream::iter(0..count)
        .map(|i| {
            let client = client.clone();
            async move {
                client
                    .match_people()
                    .email(format!("person{i}@example.com").as_str())
                    .send()
                    .await
            }
        })
        .buffer_unordered(in_flight)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await
}

#[tokio::test]
async fn client_side_limits_keep_the_sandbox_from_refusing() {
    // The sandbox allows 120 single calls per minute, a minute lasting a second.
    let sandbox = Sandbox::builder()
        .abilitec_limits(Some(120), None, 60.0)
        .start()
        .await
        .unwrap();
    // Unpaced, 300 calls at once get refused.
    let unpaced = sandbox
        .config()
        .unwrap()
        .with_rate_limits(liveramp::limit::RateLimits::none());
    let failed = many_matches(
        &unpaced.with_retry_policy(liveramp::retry::RetryPolicy::no_retry()),
        300,
        16,
    )
    .await;
    assert!(failed > 0 && sandbox.rate_limited() > 0, "{failed}");
    // Paced a little under the sandbox's rate (real seconds: 108 per second), none is.
    let sandbox = Sandbox::builder()
        .abilitec_limits(Some(120), None, 60.0)
        .start()
        .await
        .unwrap();
    let paced = sandbox.config().unwrap().with_rate_limits(
        liveramp::limit::RateLimits::none()
            .with_abilitec(std::num::NonZeroU32::new(108 * 60), None),
    );
    let failed = many_matches(&paced, 300, 16).await;
    assert_eq!((failed, sandbox.rate_limited()), (0, 0));
}

#[tokio::test]
async fn a_429_slows_every_client_of_the_config_down() {
    // Two single calls per second at most.
    let sandbox = Sandbox::builder()
        .abilitec_limits(Some(2), None, 60.0)
        .start()
        .await
        .unwrap();
    // Client-side pacing far above the sandbox's: only the server's 429 slows the clients.
    let config = sandbox.config().unwrap().with_rate_limits(
        liveramp::limit::RateLimits::none()
            .with_abilitec(std::num::NonZeroU32::new(1_000_000), None),
    );
    let first = config.abilitec().unwrap();
    let second = config.clone().abilitec().unwrap();
    for i in 0..2 {
        first
            .match_people()
            .email(format!("a{i}@example.com").as_str())
            .send()
            .await
            .unwrap();
    }
    // The third call is refused once, waits out Retry-After and succeeds.
    let retried = first.match_people().email("a2@example.com").send();
    let other = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        second.match_people().email("b@example.com").send().await
    };
    let (retried, other) = tokio::join!(retried, other);
    retried.unwrap();
    other.unwrap();
    // The other client waited with it instead of being refused too.
    assert_eq!(sandbox.rate_limited(), 1);
}

#[tokio::test]
async fn thousands_of_items_resolve_in_input_order_through_batches() {
    use futures_util::TryStreamExt;
    let sandbox = Sandbox::start().await.unwrap();
    let config = sandbox.config().unwrap();
    let client = config.abilitec().unwrap();
    let emails: Vec<String> = (0..2_500)
        .map(|i| {
            if i % 500 == 7 {
                "opted-out@example.com".to_owned()
            } else {
                format!("person{i}@example.com")
            }
        })
        .collect();
    let items: Vec<_> = emails
        .iter()
        .map(|email| {
            client
                .match_people()
                .email(email.as_str())
                .batch_item()
                .unwrap()
        })
        .collect();
    let resolved: Vec<_> = client
        .resolve(
            futures_util::stream::iter(items),
            liveramp::bulk::BulkOptions::default().in_flight(2),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(resolved.len(), 2_500);
    for (i, item) in resolved.iter().enumerate() {
        assert_eq!(item.index, i);
        if i % 500 == 7 {
            let error = item.result.as_ref().unwrap_err();
            assert_eq!(
                error.code.as_deref(),
                Some(liveramp::error::abilitec::OPTED_OUT)
            );
        } else {
            let document = item.result.as_ref().unwrap();
            assert!(document.person.is_some(), "{i}");
        }
    }
    // The same email resolves to the same link through a batch as through a single call.
    let single = client
        .match_people()
        .email("person3@example.com")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        serde_json::to_value(&single.person.abilitec).unwrap(),
        serde_json::to_value(
            &resolved[3]
                .result
                .as_ref()
                .unwrap()
                .person
                .as_ref()
                .unwrap()
                .abilitec
        )
        .unwrap()
    );
}
