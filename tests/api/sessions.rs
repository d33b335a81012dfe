//! An access token is worth only as much as its session: once the session ends (sign-out, a
//! reused refresh token, a deleted account) the token is refused over HTTP and WebSocket, on
//! every instance.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::helpers::{PASSWORD, TestApp, TestUser, code, now, sign};
use crate::ws_client::{Protocol, WsClient};

const CREATE_DRAFT: &str =
    r#"mutation { createContentDraft(input: { platform: TWITTER, contentType: THREAD, content: "hi" }) { id } }"#;
const MY_DRAFTS: &str = "{ contentDrafts { totalCount } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";

async fn gql_at(addr: SocketAddr, token: &str, query: &str) -> Json {
    reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a JSON body")
}

/// The token is refused everywhere: reads, writes and a new live connection.
async fn assert_refused(app: &TestApp, user: &TestUser) {
    for query in [MY_DRAFTS, CREATE_DRAFT] {
        let body = gql_at(app.addr, &user.token, query).await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{query}: {body}");
    }
    let drafts = app.test_db.count("SELECT COUNT(*) FROM content_drafts", vec![]).await;
    assert_eq!(drafts, 0, "a refused write wrote nothing");
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let mut ws = WsClient::connect(app.addr, protocol, None).await;
        ws.init(Some(&user.token)).await;
        assert_eq!(ws.expect_close().await.0, 4401, "{protocol:?}");
    }
}

/// The other user's token goes on working.
async fn assert_accepted(app: &TestApp, user: &TestUser) {
    let body = gql_at(app.addr, &user.token, MY_DRAFTS).await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn a_signed_out_access_token_is_refused_over_http_and_websocket() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up("ann@example.com").await, app.sign_up("bob@example.com").await);
    assert_accepted(&app, &ann).await;
    let out = gql_at(app.addr, &ann.token, "mutation { signOut }").await;
    assert_eq!(out["data"]["signOut"], true, "{out}");
    assert_refused(&app, &ann).await;
    assert_accepted(&app, &bob).await;
}

#[tokio::test]
async fn a_reused_refresh_token_ends_the_access_tokens_of_its_session() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up("ann@example.com").await, app.sign_up("bob@example.com").await);
    let first = app.gql(REFRESH, json!({ "t": ann.refresh_token })).await;
    let rotated = TestUser {
        id: ann.id,
        token: first["data"]["refreshSession"]["accessToken"].as_str().expect("access token").to_owned(),
        refresh_token: first["data"]["refreshSession"]["refreshToken"].as_str().expect("refresh").to_owned(),
    };
    assert_accepted(&app, &rotated).await;
    let reused = app.gql(REFRESH, json!({ "t": ann.refresh_token })).await;
    assert_eq!(code(&reused), "UNAUTHENTICATED", "{reused}");
    assert_refused(&app, &rotated).await;
    assert_refused(&app, &ann).await;
    assert_accepted(&app, &bob).await;
}

#[tokio::test]
async fn a_deleted_accounts_access_token_is_refused() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up("ann@example.com").await, app.sign_up("bob@example.com").await);
    // A token without a session, as `creatorpulse token --sub` mints, is also the account's.
    let sessionless = TestUser {
        id: ann.id,
        token: sign(
            &json!({ "sub": ann.id, "role": "authenticated", "aud": "authenticated", "exp": now() + 600, "iat": now() }),
        ),
        refresh_token: String::new(),
    };
    assert_accepted(&app, &sessionless).await;
    let deleted = app
        .gql_as(Some(&ann.token), "mutation($p: String) { deleteMyAccount(password: $p) }", json!({ "p": PASSWORD }))
        .await;
    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");
    assert_refused(&app, &ann).await;
    assert_refused(&app, &sessionless).await;
    assert_accepted(&app, &bob).await;
}

#[tokio::test]
async fn a_session_id_this_server_never_issued_is_refused_unless_a_configured_issuer_owns_it() {
    const ISSUER: &str = "https://project-ref.supabase.co/auth/v1";
    let app = TestApp::spawn_with(|c| c.jwt_external_issuers = vec![ISSUER.into()]).await;
    let ann = app.sign_up("ann@example.com").await;
    let claims = |sub: uuid::Uuid, iss: Option<&str>| {
        let mut claims = json!({ "sub": sub, "role": "authenticated", "aud": "authenticated", "exp": now() + 600,
                "iat": now(), "session_id": uuid::Uuid::new_v4() });
        if let Some(iss) = iss {
            claims["iss"] = iss.into();
        }
        claims
    };

    let external = sign(&claims(ann.id, Some(ISSUER)));
    let body = gql_at(app.addr, &external, MY_DRAFTS).await;
    assert!(body["errors"].is_null(), "the configured issuer's token works over HTTP: {body}");
    let mut ws = WsClient::connect(app.addr, Protocol::TransportWs, None).await;
    ws.init(Some(&external)).await;
    ws.expect_ack().await;

    let ours_unknown_session = sign(&claims(ann.id, None));
    assert_eq!(code(&gql_at(app.addr, &ours_unknown_session, MY_DRAFTS).await), "UNAUTHENTICATED");
    let mut ws = WsClient::connect(app.addr, Protocol::TransportWs, None).await;
    ws.init(Some(&ours_unknown_session)).await;
    assert_eq!(ws.expect_close().await.0, 4401, "a session this server never issued is not taken for one");

    let unknown_issuer = sign(&claims(ann.id, Some("https://other.example/auth")));
    assert_eq!(code(&gql_at(app.addr, &unknown_issuer, MY_DRAFTS).await), "UNAUTHENTICATED");
    let stranger = sign(&claims(uuid::Uuid::new_v4(), Some(ISSUER)));
    assert_eq!(code(&gql_at(app.addr, &stranger, MY_DRAFTS).await), "UNAUTHENTICATED", "no such account");
}

#[tokio::test]
async fn a_sign_out_on_one_instance_ends_the_token_on_another_within_a_second() {
    let app = TestApp::spawn().await;
    if !app.test_db.is_postgres() {
        return; // Instances share events only through PostgreSQL.
    }
    let peer = app.spawn_peer().await;
    let (ann, bob) = (app.sign_up("ann@example.com").await, app.sign_up("bob@example.com").await);
    // The peer has seen the session alive, and remembers it.
    for _ in 0..2 {
        let body = gql_at(peer.addr, &ann.token, MY_DRAFTS).await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let out = gql_at(app.addr, &ann.token, "mutation { signOut }").await;
    assert_eq!(out["data"]["signOut"], true, "{out}");
    let ended = Instant::now();
    loop {
        let body = gql_at(peer.addr, &ann.token, MY_DRAFTS).await;
        if code(&body) == "UNAUTHENTICATED" {
            break;
        }
        assert!(ended.elapsed() < Duration::from_secs(1), "the peer still accepts a signed-out token: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let body = gql_at(peer.addr, &bob.token, MY_DRAFTS).await;
    assert!(body["errors"].is_null(), "{body}");
}
