//! Accounts and tokens: sign-up, sign-in, refresh rotation, sign-out, and token checks.
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::email;
use crate::helpers::{PASSWORD, TestApp, code, now, sign, sign_with};
use crate::ws_client::{Protocol, WsClient};

const SIGN_UP: &str =
    "mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken user { id email } } }";
const SIGN_IN: &str =
    "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { accessToken refreshToken } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";
const ME: &str = "{ me { user { id email } profile { email subscriptionTier } deliveryPreference { deliveryTime maxDraftsPerDelivery } subscription { subscriptionStatus } contentDrafts { totalCount } } }";

async fn rows_of(app: &TestApp, table: &str, user: Uuid) -> i64 {
    app.test_db.count(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1"), vec![user.into()]).await
}

#[tokio::test]
async fn sign_up_creates_the_user_profile_preferences_and_a_free_subscription() {
    let app = TestApp::spawn().await;

    let user = app.sign_up("New.Creator@Example.com").await;

    let me = app.gql_as(Some(&user.token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["email"], "new.creator@example.com", "{me}");
    assert_eq!(me["data"]["me"]["profile"]["subscriptionTier"], "FREE");
    assert_eq!(me["data"]["me"]["deliveryPreference"]["deliveryTime"], "08:00:00", "the seed's defaults: {me}");
    assert_eq!(me["data"]["me"]["deliveryPreference"]["maxDraftsPerDelivery"], 5);
    assert_eq!(me["data"]["me"]["subscription"]["subscriptionStatus"], "ACTIVE");
    assert_eq!(me["data"]["me"]["contentDrafts"]["totalCount"], 0);
    for table in ["creator_profiles", "delivery_preferences", "subscription_billing"] {
        assert_eq!(rows_of(&app, table, user.id).await, 1, "{table}");
    }
    let billing = app
        .gql_as(
            Some(&user.token),
            "{ subscriptionBillings { edges { node { creditBalance monthlyCreditLimit subscriptionStatus } } } }",
            json!({}),
        )
        .await;
    let node = &billing["data"]["subscriptionBillings"]["edges"][0]["node"];
    assert_eq!(node["subscriptionStatus"], "ACTIVE", "{billing}");
    let decimal =
        |v: &Value| v.as_str().and_then(|s| s.parse::<rust_decimal::Decimal>().ok()).expect("a decimal string");
    assert_eq!(decimal(&node["creditBalance"]), decimal(&node["monthlyCreditLimit"]));
    assert_eq!(decimal(&node["monthlyCreditLimit"]), rust_decimal::Decimal::from(50));
}

#[tokio::test]
async fn sign_up_refuses_weak_passwords_and_bad_emails_with_a_reason() {
    let app = TestApp::spawn().await;

    let weak = app.gql(SIGN_UP, json!({ "e": email(), "p": "short1" })).await;
    let letters = app.gql(SIGN_UP, json!({ "e": email(), "p": "onlyletterslong" })).await;
    let bad_email = app.gql(SIGN_UP, json!({ "e": "not-an-email", "p": PASSWORD })).await;

    assert_eq!(code(&weak), "BAD_USER_INPUT");
    assert_eq!(weak["errors"][0]["extensions"]["field"], "password");
    assert!(weak["errors"][0]["message"].as_str().unwrap_or_default().contains("at least 10"), "{weak}");
    assert_eq!(code(&letters), "BAD_USER_INPUT");
    assert_eq!(bad_email["errors"][0]["extensions"]["field"], "email");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM users", vec![]).await, 0);
}

#[tokio::test]
async fn an_email_can_sign_up_once_whatever_its_case_and_nothing_partial_is_left() {
    let app = TestApp::spawn().await;
    let first = email();
    app.sign_up(&first).await;

    let again = app.gql(SIGN_UP, json!({ "e": first.to_uppercase(), "p": PASSWORD })).await;

    assert_eq!(code(&again), "CONFLICT", "{again}");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM users", vec![]).await, 1);
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM creator_profiles", vec![]).await, 1);
}

#[tokio::test]
async fn a_wrong_email_and_a_wrong_password_answer_identically() {
    let app = TestApp::spawn().await;
    let known = email();
    app.sign_up(&known).await;

    let wrong_password = app.gql(SIGN_IN, json!({ "e": known, "p": "wrong password 1" })).await;
    let wrong_email = app.gql(SIGN_IN, json!({ "e": email(), "p": PASSWORD })).await;
    let right = app.gql(SIGN_IN, json!({ "e": known.to_uppercase(), "p": PASSWORD })).await;

    assert_eq!(code(&wrong_password), "UNAUTHENTICATED");
    assert_eq!(wrong_password, wrong_email);
    assert!(right["data"]["signIn"]["accessToken"].is_string(), "{right}");
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let user = app.sign_up(&email()).await;

    let first = app.gql(REFRESH, json!({ "t": user.refresh_token })).await;
    let second_token = first["data"]["refreshSession"]["refreshToken"].as_str().expect("rotated token").to_owned();
    let reused = app.gql(REFRESH, json!({ "t": user.refresh_token })).await;
    let after_reuse = app.gql(REFRESH, json!({ "t": second_token })).await;

    assert_ne!(second_token, user.refresh_token);
    assert_eq!(code(&reused), "UNAUTHENTICATED");
    assert_eq!(code(&after_reuse), "UNAUTHENTICATED", "the whole session is revoked: {after_reuse}");
    let stored = app
        .test_db
        .count("SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = $1", vec![user.refresh_token.into()])
        .await;
    assert_eq!(stored, 0, "only hashes are stored");
}

#[tokio::test]
async fn sign_out_revokes_the_session() {
    let app = TestApp::spawn().await;
    let user = app.sign_up(&email()).await;

    let out = app.gql_as(Some(&user.token), "mutation { signOut }", json!({})).await;
    let refresh = app.gql(REFRESH, json!({ "t": user.refresh_token })).await;

    assert_eq!(out["data"]["signOut"], true, "{out}");
    assert_eq!(code(&refresh), "UNAUTHENTICATED");
}

#[tokio::test]
async fn the_anonymous_caller_reaches_nothing_but_the_account_mutations() {
    let app = TestApp::spawn().await;

    let me = app.gql(ME, json!({})).await;
    let drafts = app.gql("{ contentDrafts { totalCount } }", json!({})).await;
    let sign_out = app.gql("mutation { signOut }", json!({})).await;

    assert_eq!(code(&me), "UNAUTHENTICATED");
    assert_eq!(code(&drafts), "UNAUTHENTICATED");
    assert_eq!(code(&sign_out), "UNAUTHENTICATED");
}

async fn with_token(app: &TestApp, token: &str) -> reqwest::Response {
    app.client.post(app.url("/graphql")).bearer_auth(token).json(&json!({ "query": ME })).send().await.expect("sent")
}

#[tokio::test]
async fn every_bad_token_is_unauthenticated_never_anonymous() {
    let app = TestApp::spawn().await;
    let user = app.sign_up(&email()).await;
    let claims = |exp: i64, aud: &str, role: &str| json!({ "sub": user.id.to_string(), "role": role, "aud": aud, "exp": exp, "iat": now() });
    let expired = sign(&claims(now() - 120, "authenticated", "authenticated"));
    let wrong_audience = sign(&claims(now() + 600, "somebody-else", "authenticated"));
    let wrong_signature = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims(now() + 600, "authenticated", "authenticated"),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!"),
    )
    .expect("sign");
    let b64 = |v: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims(now() + 600, "authenticated", "service_role"))
    );
    // A user's real token with its role edited to service_role, signature kept.
    let parts: Vec<&str> = user.token.split('.').collect();
    let mut payload: Value = {
        use base64::Engine as _;
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).expect("b64"))
            .expect("json")
    };
    payload["role"] = json!("service_role");
    let escalated = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);

    for (name, token) in [
        ("expired", expired),
        ("wrong audience", wrong_audience),
        ("wrong signature", wrong_signature),
        ("alg none", alg_none),
        ("edited role", escalated),
        ("garbage", "not.a.token".to_owned()),
    ] {
        let response = with_token(&app, &token).await;
        assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED, "{name}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{name}: {body}");
    }
    let good = app.gql_as(Some(&user.token), ME, json!({})).await;
    assert_eq!(good["data"]["me"]["user"]["id"], user.id.to_string());
}

#[tokio::test]
async fn a_supabase_minted_token_with_the_same_secret_works_unchanged() {
    let app =
        TestApp::spawn_with(|c| c.jwt_external_issuers = vec!["https://project.supabase.co/auth/v1/".into()]).await;
    let user = app.sign_up(&email()).await;
    // The claims a Supabase project puts in a user's access token.
    let supabase = sign(&json!({
        "aud": "authenticated", "exp": now() + 600, "iat": now(), "iss": "https://project.supabase.co/auth/v1",
        "sub": user.id.to_string(), "email": "x@example.com", "phone": "", "app_metadata": { "provider": "email" },
        "user_metadata": {}, "role": "authenticated", "aal": "aal1", "amr": [{ "method": "password", "timestamp": now() }],
        "session_id": Uuid::new_v4().to_string(), "is_anonymous": false
    }));
    let service_key =
        sign(&json!({ "iss": "supabase", "ref": "project", "role": "service_role", "iat": now(), "exp": now() + 600 }));

    let me = app.gql_as(Some(&supabase), ME, json!({})).await;
    let all = app.gql_as(Some(&service_key), "{ contentDrafts { totalCount } }", json!({})).await;

    assert_eq!(me["data"]["me"]["user"]["id"], user.id.to_string(), "{me}");
    assert_eq!(all["data"]["contentDrafts"]["totalCount"], 0, "{all}");
}

#[tokio::test]
async fn the_supabase_anon_key_is_the_anonymous_caller_on_both_transports() {
    let app = TestApp::spawn().await;
    // What supabase-js sends as the bearer while nobody is signed in.
    let anon_key =
        sign(&json!({ "iss": "supabase", "ref": "project", "role": "anon", "iat": now(), "exp": now() + 600 }));

    let typename = app.gql_as(Some(&anon_key), "{ __typename }", json!({})).await;
    let signed_up = app.gql_as(Some(&anon_key), SIGN_UP, json!({ "e": "anon-key@example.com", "p": PASSWORD })).await;
    let drafts = app.gql_as(Some(&anon_key), "{ contentDrafts { totalCount } }", json!({})).await;
    let forged = sign_with(b"not-the-project-secret-0123456789abcdef", &json!({ "role": "anon", "exp": now() + 600 }));
    let refused = app.gql_as(Some(&forged), "{ __typename }", json!({})).await;
    let mut ws = WsClient::connect(app.addr, Protocol::TransportWs, None).await;
    ws.init(Some(&anon_key)).await;
    ws.expect_ack().await;

    assert_eq!(typename["data"]["__typename"], "Query", "{typename}");
    assert_eq!(signed_up["data"]["signUp"]["user"]["email"], "anon-key@example.com", "{signed_up}");
    assert_eq!(code(&drafts), "UNAUTHENTICATED", "the anonymous caller reads nothing: {drafts}");
    assert_eq!(code(&refused), "UNAUTHENTICATED", "an anon key of another project is refused");
}

#[tokio::test]
async fn a_token_expired_within_the_leeway_still_works() {
    let app = TestApp::spawn().await;
    let user = app.sign_up(&email()).await;
    let token = sign(
        &json!({ "sub": user.id.to_string(), "role": "authenticated", "aud": "authenticated", "exp": now() - 5, "iat": now() - 60 }),
    );

    let me = app.gql_as(Some(&token), ME, json!({})).await;

    assert_eq!(me["data"]["me"]["user"]["id"], user.id.to_string(), "{me}");
}

#[test]
fn a_secret_under_32_bytes_is_refused() {
    assert!(creatorpulse::auth::jwt::JwtKeys::new(b"too-short", None).is_err());
    assert!(creatorpulse::auth::jwt::JwtKeys::new(&[7u8; 32], None).is_ok());
}

#[tokio::test]
async fn the_cli_mints_service_and_user_tokens_the_server_accepts() {
    let app = TestApp::spawn().await;
    let user = app.sign_up(&email()).await;
    let mint = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_creatorpulse"))
            .arg("token")
            .args(args)
            .env("JWT_SECRET", crate::helpers::JWT_SECRET)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("utf-8").trim().to_owned()
    };

    let service = mint(&["--role", "service_role"]);
    let as_user = mint(&["--sub", &user.id.to_string()]);

    let all = app.gql_as(Some(&service), "{ contentDrafts { totalCount } }", json!({})).await;
    let me = app.gql_as(Some(&as_user), ME, json!({})).await;
    assert!(all["data"]["contentDrafts"]["totalCount"].is_number(), "{all}");
    assert_eq!(me["data"]["me"]["user"]["id"], user.id.to_string(), "{me}");
}

const PUBLIC_PEM: &str = include_str!("../fixtures/es256-public.pem");
const PRIVATE_PEM: &str = include_str!("../fixtures/es256-private.pem");

#[tokio::test]
async fn a_configured_public_key_verifies_es256_tokens_and_cannot_be_used_as_an_hmac_secret() {
    let app = TestApp::spawn_with(|c| c.jwt_public_key = Some(creatorpulse::config::Secret::new(PUBLIC_PEM))).await;
    let user = app.sign_up(&email()).await;
    let claims = json!({ "sub": user.id.to_string(), "role": "authenticated", "aud": "authenticated", "exp": now() + 600, "iat": now() });
    let es256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_pem(PRIVATE_PEM.as_bytes()).expect("key"),
    )
    .expect("sign");
    // The algorithm-confusion attack: HS256 keyed with the public key's PEM text.
    let confused = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(PUBLIC_PEM.as_bytes()),
    )
    .expect("sign");

    let accepted = app.gql_as(Some(&es256), ME, json!({})).await;
    let refused = with_token(&app, &confused).await;

    assert_eq!(accepted["data"]["me"]["user"]["id"], user.id.to_string(), "{accepted}");
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
}
