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

/// A page of another origin: a server of its own on another port.
async fn other_origin() -> String {
    let page = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::response::Html("<!doctype html><title>web app</title><p>a web app</p>") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, page).await.expect("page server") });
    format!("http://{addr}")
}

/// A script that POSTs `query` with a bearer token from the page and answers the JSON text, or
/// `blocked: <error>` when the browser refuses.
fn cross_origin_fetch(api: &str, token: &str, query: &str) -> String {
    let body = json!({ "query": query }).to_string();
    format!(
        "fetch({api:?}, {{ method: 'POST', headers: {{ 'content-type': 'application/json', authorization: 'Bearer {token}' }}, body: {body:?} }})
           .then(r => r.text(), e => 'blocked: ' + e.name)"
    )
}

#[tokio::test]
async fn a_page_on_an_allowed_origin_calls_the_api_from_a_real_browser_and_another_is_blocked() {
    let Some(mut browser) = crate::chromium::Browser::start().await else { return };
    let origin = other_origin().await;
    let allowing = TestApp::spawn_with(|c| c.cors_allowed_origins = vec![origin.clone()]).await;
    let closed = TestApp::spawn().await;
    let ann = allowing.sign_up(&crate::fixtures::email()).await;
    let bob = closed.sign_up(&crate::fixtures::email()).await;
    let page = browser.page().await;
    browser.open(&page, &format!("{origin}/")).await;

    let allowed =
        browser.eval(&page, &cross_origin_fetch(&allowing.url("/graphql"), &ann.token, "{ me { user { id } } }")).await;
    let blocked =
        browser.eval(&page, &cross_origin_fetch(&closed.url("/graphql"), &bob.token, "{ me { user { id } } }")).await;

    let allowed: serde_json::Value =
        serde_json::from_str(allowed.expect("evaluated").as_str().expect("text")).expect("the API's JSON");
    assert_eq!(allowed["data"]["me"]["user"]["id"], ann.id.to_string(), "{allowed}");
    // The `authorization` header makes the browser send a preflight first: the answer is only
    // read because the preflight passed.
    assert_eq!(blocked, Ok(json!("blocked: TypeError")), "the browser refuses an origin not configured");
}

/// Sets the text of the GraphiQL editor that `selector` finds.
fn set_editor(selector: &str, text: &str) -> String {
    format!("document.querySelector({selector:?}).CodeMirror.setValue({text:?})")
}

/// Puts `query` into GraphiQL's editor and runs it with the execute button, as a person would:
/// the editor parses its text a moment after a change, which decides the transport.
async fn run_in_graphiql(browser: &mut crate::chromium::Browser, page: &crate::chromium::Page, query: &str) {
    browser.eval(page, &set_editor(".graphiql-query-editor .CodeMirror", query)).await.expect("query set");
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    browser.eval(page, "document.querySelector('.graphiql-execute-button').click()").await.expect("run");
}

const RESULT: &str = "(document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() || '')";

#[tokio::test]
async fn graphiql_renders_and_runs_queries_offline_with_the_token_in_the_headers_tab() {
    let Some(mut browser) = crate::chromium::Browser::start().await else { return };
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&crate::fixtures::email()).await;
    let page = browser.page().await;
    browser.open(&page, &app.url("/graphql")).await;
    browser.wait_for(&page, "document.querySelector('.graphiql-execute-button')").await;

    browser.wait_for(&page, "document.querySelector('.graphiql-query-editor .CodeMirror')").await;
    let hint =
        browser.eval(&page, "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()").await;
    run_in_graphiql(&mut browser, &page, "{ __typename }").await;
    browser.wait_for(&page, &format!("{RESULT}.includes('\"__typename\": \"Query\"')")).await;

    let headers = format!("{{\"Authorization\": \"Bearer {}\"}}", ann.token);
    let headers_editor = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";
    browser.wait_for(&page, &format!("document.querySelector({headers_editor:?})")).await;
    browser.eval(&page, &set_editor(headers_editor, &headers)).await.expect("headers set");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    run_in_graphiql(&mut browser, &page, "{ me { user { id } } }").await;
    browser.wait_for(&page, &format!("{RESULT}.includes({:?})", ann.id.to_string())).await;
    // A subscription over WebSocket, with the same headers as its connection parameters.
    let receivers = app.state.events.receivers();
    let subscription = "subscription { contentDraftEvents { kind node { content } } }";
    run_in_graphiql(&mut browser, &page, subscription).await;
    // The connection listens, and the subscription once it runs.
    crate::helpers::wait_for_receivers(&app.state, receivers + 2).await;
    let draft = "mutation { createContentDraft(input: { platform: TWITTER, contentType: THREAD, content: \"seen live in GraphiQL\" }) { id } }";
    let created = app.gql_as(Some(&ann.token), draft, json!({})).await;
    assert!(created["errors"].is_null(), "{created}");
    browser.wait_for(&page, &format!("{RESULT}.includes('seen live in GraphiQL')")).await;

    let hint = hint.expect("the editor's text");
    assert!(hint.as_str().is_some_and(|h| h.contains("Headers tab") && h.contains("Bearer")), "{hint}");
    let (base, ws_base) = (format!("http://{}/", app.addr), format!("ws://{}/", app.addr));
    let requested = browser.requested(&page);
    assert!(requested.iter().any(|url| url.contains("/graphiql/graphiql-3.8.3.min.js")), "{requested:?}");
    assert!(requested.contains(&format!("{ws_base}graphql")), "the subscription's WebSocket: {requested:?}");
    let elsewhere: Vec<&String> = requested
        .iter()
        .filter(|url| !url.starts_with(&base) && !url.starts_with(&ws_base) && !url.starts_with("data:"))
        .collect();
    assert!(elsewhere.is_empty(), "no request leaves the server: {elsewhere:?}");
    assert_eq!(browser.errors(&page), Vec::<String>::new(), "the page runs without errors");
}
