//! What browsers and proxies need: CORS for configured origins (preflight included), the same
//! origins for WebSocket upgrades, compressed responses and compressed request bodies.
use std::io::Write;

use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::TestApp;
use crate::ws_client::{Protocol, WsClient};

const ALLOWED: &str = "http://localhost:5173";

async fn app() -> TestApp {
    TestApp::spawn_with(|c| c.cors_allowed_origins = vec![ALLOWED.into()]).await
}

#[tokio::test]
async fn a_configured_origin_gets_its_preflight_and_cors_headers_and_another_gets_none() {
    let app = app().await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let allowed = preflight(ALLOWED).await.expect("preflight");
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], ALLOWED);
    let methods = allowed.headers()["access-control-allow-methods"].to_str().expect("text").to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let headers = allowed.headers()["access-control-allow-headers"].to_str().expect("text").to_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    assert!(allowed.headers().get("access-control-allow-credentials").is_none());

    let foreign = preflight("http://evil.example").await.expect("preflight");
    assert!(foreign.headers().get("access-control-allow-origin").is_none());

    let post = client
        .post(app.url("/graphql"))
        .header("origin", ALLOWED)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("post");
    assert_eq!(post.headers()["access-control-allow-origin"], ALLOWED);

    let unconfigured = TestApp::spawn().await;
    let none = reqwest::Client::new()
        .post(unconfigured.url("/graphql"))
        .header("origin", ALLOWED)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("post");
    assert!(none.headers().get("access-control-allow-origin").is_none(), "no origin is allowed by default");
}

#[tokio::test]
async fn a_websocket_from_a_foreign_origin_is_refused_and_the_same_or_a_configured_one_connects() {
    let app = app().await;
    let open = |origin: Option<String>| {
        let mut request = format!("ws://{}/graphql", app.addr).into_client_request().expect("request");
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", origin.parse().expect("header"));
        }
        tokio_tungstenite::connect_async(request)
    };
    assert!(open(Some("http://evil.example".into())).await.is_err(), "a foreign page cannot connect");
    assert!(open(Some(ALLOWED.into())).await.is_ok());
    assert!(open(Some(format!("http://{}", app.addr))).await.is_ok(), "GraphiQL's own page");
    assert!(open(None).await.is_ok(), "not a browser");
}

#[tokio::test]
async fn responses_are_compressed_as_asked_and_compressed_requests_are_read() {
    let app = app().await;
    let user = app.sign_up(&crate::fixtures::email()).await;
    let big = "{ __schema { types { name fields { name description } } } }";
    let client = reqwest::Client::new();
    for encoding in ["gzip", "br", "zstd"] {
        let response = client
            .post(app.url("/graphql"))
            .bearer_auth(&user.token)
            .header("accept-encoding", encoding)
            .json(&json!({ "query": big }))
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-encoding"], encoding);
    }
    let plain = client.post(app.url("/graphql")).json(&json!({ "query": big })).send().await.expect("post");
    assert!(plain.headers().get("content-encoding").is_none());

    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(json!({ "query": "{ __typename }" }).to_string().as_bytes()).expect("gzip");
    let body = gzip.finish().expect("gzip");
    let inflated = client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await
        .expect("post");
    let answer: serde_json::Value = inflated.json().await.expect("json");
    assert_eq!(answer["data"]["__typename"], "Query", "{answer}");
}

#[tokio::test]
async fn graphql_ws_clients_may_pass_the_token_in_the_shapes_they_use() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up("shapes@example.com").await;
    let bearer = format!("Bearer {}", ann.token);
    let shapes = [
        json!({ "Authorization": bearer }),
        json!({ "authorization": bearer }),
        json!({ "headers": { "Authorization": bearer } }),
        json!({ "headers": { "authorization": bearer } }),
        json!({ "authToken": ann.token }),
        json!({ "token": ann.token }),
        json!({ "accessToken": bearer }),
    ];
    for payload in shapes {
        let mut ws = WsClient::connect(app.addr, Protocol::TransportWs, None).await;
        ws.send(json!({ "type": "connection_init", "payload": payload })).await;
        ws.expect_ack().await;
        ws.subscribe("1", "{ me { user { email } } }", json!({})).await;
        let result = ws.next_result("1").await;
        assert_eq!(result["data"]["me"]["user"]["email"], "shapes@example.com", "{payload}: {result}");
    }
    let mut ws = WsClient::connect(app.addr, Protocol::TransportWs, None).await;
    ws.send(json!({ "type": "connection_init", "payload": { "headers": { "Authorization": "Bearer forged" } } })).await;
    assert_eq!(ws.expect_close().await.0, 4401);
}
