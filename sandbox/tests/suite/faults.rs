//! Fault injection from Rust and through the admin endpoint.

use crate::common;

use std::time::Duration;

use liveramp_sandbox::{FaultAction, FaultRule, RouteMatch};
use serde_json::{Value, json};

#[tokio::test]
async fn fail_next_n_then_success() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    sandbox.faults().fail_next_retry_after(
        RouteMatch::path("/activation/v2/destinations").method("GET"),
        2,
        503,
        7,
    );
    for _ in 0..2 {
        let response = common::activation(
            &sandbox,
            &http,
            &token,
            reqwest::Method::GET,
            "/v2/destinations",
        )
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "7");
    }
    common::activation_json(&sandbox, &http, &token, "/v2/destinations", 200).await;
    assert!(
        sandbox.faults().rules().is_empty(),
        "spent rules are removed"
    );
}

#[tokio::test]
async fn faults_match_by_operation_and_leave_other_routes_alone() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    sandbox
        .faults()
        .fail_next(RouteMatch::operation("get_destination"), 1, 500);
    common::activation_json(&sandbox, &http, &token, "/v2/destinations", 200).await;
    common::activation_json(&sandbox, &http, &token, "/v2/destinations/101", 500).await;
    common::activation_json(&sandbox, &http, &token, "/v2/destinations/101", 200).await;
    assert!(
        sandbox
            .operations()
            .iter()
            .any(|(name, method, _)| *name == "get_destination" && method == "GET")
    );
}

#[tokio::test]
async fn the_admin_endpoint_adds_lists_and_clears_faults() {
    let (sandbox, http) = common::start().await;
    let admin = format!("{}/_admin/faults", sandbox.url());
    let rule = json!({
        "match": { "method": "POST", "pathPrefix": "/sso/" },
        "times": 1,
        "action": { "kind": "fail", "status": 429, "body": { "error": "slow_down" }, "retryAfter": 2 },
    });
    assert_eq!(
        http.post(&admin).json(&rule).send().await.unwrap().status(),
        201
    );
    let listed: Vec<FaultRule> = http.get(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].action,
        FaultAction::Fail {
            status: 429,
            body: Some(json!({ "error": "slow_down" })),
            retry_after: Some(2)
        }
    );
    let token = http
        .post(sandbox.service_account_token_url())
        .form(&common::password_form(&sandbox))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 429);
    assert_eq!(token.headers()["retry-after"], "2");
    assert_eq!(
        token.json::<Value>().await.unwrap(),
        json!({ "error": "slow_down" })
    );

    let forever = json!([{ "match": { "operation": "list_destinations" }, "action": { "kind": "fail", "status": 502 } }]);
    http.post(&admin).json(&forever).send().await.unwrap();
    assert_eq!(sandbox.faults().rules().len(), 1);
    assert_eq!(http.delete(&admin).send().await.unwrap().status(), 204);
    assert!(sandbox.faults().rules().is_empty());
}

#[tokio::test]
async fn drop_mid_body_sends_headers_and_part_of_the_body() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    sandbox.faults().add(
        FaultRule::new(
            RouteMatch::operation("list_destinations"),
            FaultAction::DropMidBody {
                after_bytes: Some(20),
            },
        )
        .times(1),
    );
    let response = common::activation(
        &sandbox,
        &http,
        &token,
        reqwest::Method::GET,
        "/v2/destinations",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let announced = response.content_length().unwrap();
    assert!(announced > 20);
    assert!(response.bytes().await.is_err());
    common::activation_json(&sandbox, &http, &token, "/v2/destinations", 200).await;
}

#[tokio::test(start_paused = true)]
async fn a_delay_holds_the_answer_on_the_tokio_clock() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    sandbox.faults().delay(
        RouteMatch::operation("list_destinations"),
        Duration::from_secs(90),
    );
    let started = tokio::time::Instant::now();
    common::activation_json(&sandbox, &http, &token, "/v2/destinations", 200).await;
    assert!(started.elapsed() >= Duration::from_secs(90));
    let started = tokio::time::Instant::now();
    common::activation_json(&sandbox, &http, &token, "/v2/segments", 200).await;
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "other routes are not delayed"
    );
}

#[tokio::test]
async fn the_admin_clock_moves_time_forward() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let moved = http
        .post(format!("{}/_admin/clock", sandbox.url()))
        .json(&json!({ "advanceSeconds": 601 }))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    common::activation_json(&sandbox, &http, &token, "/v2/destinations", 401).await;
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let (sandbox, http) = common::start().await;
    let url = sandbox.url().to_owned();
    sandbox.shutdown().await.unwrap();
    assert!(
        http.get(format!("{url}/_admin/faults"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_request_naming_another_host_or_sent_by_another_origin_is_refused() {
    // Found by review: any web page could drive the sandbox (a plain POST needs no
    // preflight), and a rebound name could read its answers.
    let (sandbox, http) = common::start().await;
    let faults = format!("{}/_admin/faults", sandbox.url());
    let rule = json!({"match": {}, "action": {"kind": "fail", "status": 500}});
    let rebound = http
        .get(&faults)
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let cross_site = http
        .post(&faults)
        .header("origin", "http://evil.example")
        .header("content-type", "text/plain")
        .body(rule.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert!(sandbox.faults().rules().is_empty(), "nothing was added");
    let local = http.get(&faults).send().await.unwrap();
    assert_eq!(local.status(), 200);
}

#[tokio::test]
async fn shutdown_ends_within_its_grace_whatever_is_in_flight() {
    // Found by review: a request held by a delay fault kept the shutdown (and `liveramp
    // sandbox`'s Ctrl-C) waiting for ever.
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    sandbox.faults().add(FaultRule::new(
        RouteMatch::operation("list_destinations"),
        FaultAction::Delay { millis: u64::MAX },
    ));
    let request = common::activation(
        &sandbox,
        &http,
        &token,
        reqwest::Method::GET,
        "/v2/destinations",
    );
    let held = tokio::spawn(request.send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    tokio::time::timeout(
        liveramp_sandbox::SHUTDOWN_GRACE + Duration::from_secs(5),
        sandbox.shutdown(),
    )
    .await
    .expect("the shutdown ends")
    .unwrap();
    // The held request ended with it (found by review: aborting the server left it running).
    let answered = tokio::time::timeout(Duration::from_secs(2), held)
        .await
        .expect("the held request ended");
    assert_eq!(answered.unwrap().unwrap().status(), 200);
}

#[tokio::test]
async fn a_connection_from_another_machine_is_refused() {
    // Found by review: the Host check alone let a machine on the network in, naming
    // 127.0.0.1, when the sandbox listened on every address.
    let Some(outward) = outward_address() else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sandbox = liveramp_sandbox::Sandbox::serve(listener).unwrap();
    // Straight to the sandbox, whatever proxy the environment names.
    let http = liveramp::http::client_builder().no_proxy().build().unwrap();
    let faults = |host: std::net::IpAddr| {
        format!(
            "http://{}/_admin/faults",
            std::net::SocketAddr::new(host, port)
        )
    };
    let from_network = http
        .get(faults(outward))
        .header("host", format!("127.0.0.1:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(from_network.status(), 403);
    let from_here = http
        .get(faults(std::net::Ipv4Addr::LOCALHOST.into()))
        .send()
        .await
        .unwrap();
    assert_eq!(from_here.status(), 200);
    sandbox.shutdown().await.unwrap();
}

/// This machine's address on its network (none sent: a UDP socket only picks its route), if it
/// has one.
fn outward_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("8.8.8.8:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn a_sandbox_on_every_address_serves_its_own_clients() {
    // Found by review: on a dual-stack listener, IPv4 clients of this machine come as
    // `::ffff:127.0.0.1`, which the peer check refused.
    let Ok(listener) = tokio::net::TcpListener::bind("[::]:0").await else {
        return;
    };
    let sandbox = liveramp_sandbox::Sandbox::serve(listener).unwrap();
    let http = liveramp::http::client_builder().no_proxy().build().unwrap();
    let faults = http
        .get(format!("{}/_admin/faults", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);
    sandbox.shutdown().await.unwrap();
}
