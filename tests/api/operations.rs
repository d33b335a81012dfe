//! Operating it safely: admins from `user_roles` (bootstrapped by `ADMIN_EMAILS`), the audit
//! log, and rate limits that hold across instances and restarts.
use std::net::SocketAddr;

use creatorpulse::config::Rate;
use creatorpulse::jobs;
use serde_json::{Value, json};

use crate::fixtures::{draft, email};
use crate::helpers::{PASSWORD, TestApp, TestUser, code};

const SIGN_IN: &str =
    "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { accessToken user { id } } }";
const SET_ROLE: &str = "mutation($u: UUID!, $r: Role!) { setUserRole(userId: $u, role: $r) }";
const AUDIT: &str = "query($f: AuditLogFilter) { auditLogs(filter: $f, first: 100) { totalCount edges { node { id action actorKind actorId subjectUserId subjectPseudonym tableName before after requestId clientAddress } } } }";
const DRAFTS: &str = "{ contentDrafts(first: 100) { totalCount } }";

/// An app whose first user (by email) is bootstrapped as admin.
async fn with_admin() -> (TestApp, TestUser, String) {
    let admin_email = email();
    let listed = admin_email.clone();
    let app = TestApp::spawn_with(move |c| c.admin_emails = vec![listed]).await;
    let admin = app.sign_up(&admin_email).await;
    (app, admin, admin_email)
}

async fn sign_in_from(addr: SocketAddr, from: &str, email: &str, password: &str) -> Value {
    reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .header("x-forwarded-for", from)
        .json(&json!({ "query": SIGN_IN, "variables": { "e": email, "p": password } }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

fn entries(body: &Value) -> Vec<Value> {
    body["data"]["auditLogs"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("audit entries: {body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn an_admin_email_becomes_admin_and_leaving_the_list_takes_nothing_away() {
    let (app, admin, admin_email) = with_admin().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    draft(&app, &ann, json!({})).await;

    let as_admin = app.gql_as(Some(&admin.token), DRAFTS, json!({})).await;
    let as_bob = app.gql_as(Some(&bob.token), DRAFTS, json!({})).await;
    assert_eq!(as_admin["data"]["contentDrafts"]["totalCount"], 1, "{as_admin}");
    assert_eq!(as_bob["data"]["contentDrafts"]["totalCount"], 0, "{as_bob}");

    // Another instance without the list: the table decides.
    let peer = app.spawn_peer_with(|c| c.admin_emails = vec![]).await;
    let signed_in = peer.gql_as(None, SIGN_IN, json!({ "e": admin_email, "p": PASSWORD })).await;
    let token = signed_in["data"]["signIn"]["accessToken"].as_str().expect("signed in").to_owned();
    let still = peer.gql_as(Some(&token), DRAFTS, json!({})).await;
    assert_eq!(still["data"]["contentDrafts"]["totalCount"], 1, "{still}");
    let roles =
        peer.gql_as(Some(&token), "{ userRoles { edges { node { userId role grantedBy } } } }", json!({})).await;
    assert_eq!(roles["data"]["userRoles"]["edges"][0]["node"]["role"], "ADMIN", "{roles}");
    let bootstrap =
        entries(&app.gql_as(Some(&token), AUDIT, json!({ "f": { "action": { "eq": "role.bootstrap" } } })).await);
    assert_eq!(bootstrap.len(), 1);
    assert_eq!(bootstrap[0]["actorKind"], "SYSTEM");
}

#[tokio::test]
async fn an_admin_change_to_another_users_profile_is_audited_with_before_and_after() {
    let (app, admin, _) = with_admin().await;
    let ann = app.sign_up(&email()).await;
    let profile = app.gql_as(Some(&ann.token), "{ me { profile { id fullName } } }", json!({})).await;
    let id = profile["data"]["me"]["profile"]["id"].clone();

    let changed = app
        .gql_as(
            Some(&admin.token),
            "mutation($id: UUID!) { updateCreatorProfile(id: $id, input: { fullName: \"Ann Admin-Fixed\" }) { fullName } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(changed["data"]["updateCreatorProfile"]["fullName"], "Ann Admin-Fixed", "{changed}");

    let log =
        entries(&app.gql_as(Some(&admin.token), AUDIT, json!({ "f": { "action": { "eq": "profile.update" } } })).await);
    assert_eq!(log.len(), 1, "{log:?}");
    let entry = &log[0];
    assert_eq!(entry["actorKind"], "ADMIN");
    assert_eq!(entry["actorId"], admin.id.to_string());
    assert_eq!(entry["subjectUserId"], ann.id.to_string());
    assert_eq!(entry["tableName"], "creator_profiles");
    assert_eq!(entry["before"], json!({ "full_name": null }));
    assert_eq!(entry["after"], json!({ "full_name": "Ann Admin-Fixed" }));
    assert!(entry["requestId"].is_string(), "{entry}");
    assert_eq!(entry["clientAddress"], "127.0.0.1");

    // An admin still cannot write a user's drafts.
    let theirs = draft(&app, &ann, json!({})).await;
    let refused = app
        .gql_as(
            Some(&admin.token),
            "mutation($id: UUID!) { updateContentDraft(id: $id, input: { content: \"mine now\" }) { id } }",
            json!({ "id": theirs }),
        )
        .await;
    assert_eq!(code(&refused), "NOT_FOUND", "{refused}");
}

#[tokio::test]
async fn a_user_reads_the_audit_entries_about_their_own_account_only() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let anns = entries(&app.gql_as(Some(&ann.token), AUDIT, json!({})).await);
    let bobs = entries(&app.gql_as(Some(&bob.token), AUDIT, json!({})).await);

    assert!(!anns.is_empty());
    assert!(anns.iter().all(|e| e["subjectUserId"] == ann.id.to_string()), "{anns:?}");
    assert!(bobs.iter().all(|e| e["subjectUserId"] == bob.id.to_string()), "{bobs:?}");
    let one = app
        .gql_as(Some(&bob.token), "query($id: UUID!) { auditLog(id: $id) { id } }", json!({ "id": anns[0]["id"] }))
        .await;
    assert_eq!(code(&one), "NOT_FOUND", "{one}");
    let roles = app.gql_as(Some(&bob.token), SET_ROLE, json!({ "u": bob.id, "r": "ADMIN" })).await;
    assert_eq!(code(&roles), "FORBIDDEN", "{roles}");
    // No field writes the log.
    let schema = app.gql_as(None, "{ __schema { mutationType { fields { name } } } }", json!({})).await;
    let names = schema["data"]["__schema"]["mutationType"]["fields"].to_string();
    assert!(!names.contains("AuditLog"), "{names}");
}

#[tokio::test]
async fn roles_change_at_once_and_the_last_admin_stays() {
    let (app, admin, _) = with_admin().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    draft(&app, &bob, json!({})).await;

    let alone = app.gql_as(Some(&admin.token), SET_ROLE, json!({ "u": admin.id, "r": "MEMBER" })).await;
    assert_eq!(code(&alone), "CONFLICT", "{alone}");

    let support = app.gql_as(Some(&admin.token), SET_ROLE, json!({ "u": ann.id, "r": "SUPPORT" })).await;
    assert_eq!(support["data"]["setUserRole"], "SUPPORT", "{support}");
    let reads = app.gql_as(Some(&ann.token), DRAFTS, json!({})).await;
    assert_eq!(reads["data"]["contentDrafts"]["totalCount"], 1, "support reads every user's rows: {reads}");
    let profile = app.gql_as(Some(&bob.token), "{ me { profile { id } } }", json!({})).await;
    let write = app
        .gql_as(
            Some(&ann.token),
            "mutation($id: UUID!) { updateCreatorProfile(id: $id, input: { fullName: \"x\" }) { id } }",
            json!({ "id": profile["data"]["me"]["profile"]["id"] }),
        )
        .await;
    assert_eq!(code(&write), "NOT_FOUND", "support changes nothing: {write}");

    let promoted = app.gql_as(Some(&admin.token), SET_ROLE, json!({ "u": ann.id, "r": "ADMIN" })).await;
    assert_eq!(promoted["data"]["setUserRole"], "ADMIN");
    let stepped_down = app.gql_as(Some(&admin.token), SET_ROLE, json!({ "u": admin.id, "r": "MEMBER" })).await;
    assert_eq!(stepped_down["data"]["setUserRole"], "MEMBER", "{stepped_down}");
    let now_member = app.gql_as(Some(&admin.token), DRAFTS, json!({})).await;
    assert_eq!(now_member["data"]["contentDrafts"]["totalCount"], 0, "the demotion holds at once: {now_member}");

    let log =
        entries(&app.gql_as(Some(&ann.token), AUDIT, json!({ "f": { "action": { "eq": "role.change" } } })).await);
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log.iter().any(|e| e["before"] == json!({ "role": "admin" }) && e["after"] == json!({ "role": "member" })));
}

#[tokio::test]
async fn an_admin_revokes_a_users_sessions_and_it_is_audited() {
    let (app, admin, _) = with_admin().await;
    let ann = app.sign_up(&email()).await;
    let before = app.gql_as(Some(&ann.token), "{ me { user { id } } }", json!({})).await;
    assert!(before["errors"].is_null());

    let revoked = app
        .gql_as(Some(&admin.token), "mutation($u: UUID!) { revokeUserSessions(userId: $u) }", json!({ "u": ann.id }))
        .await;
    assert_eq!(revoked["data"]["revokeUserSessions"], 1, "{revoked}");
    let after = app.gql_as(Some(&ann.token), "{ me { user { id } } }", json!({})).await;
    assert_eq!(code(&after), "UNAUTHENTICATED", "{after}");
    let log =
        entries(&app.gql_as(Some(&admin.token), AUDIT, json!({ "f": { "action": { "eq": "session.revoke" } } })).await);
    assert_eq!(log[0]["subjectUserId"], ann.id.to_string());
    assert_eq!(log[0]["actorKind"], "ADMIN");
}

#[tokio::test]
async fn sign_in_guesses_are_refused_after_the_limit_across_instances_while_another_account_signs_in() {
    let configure = |c: &mut creatorpulse::config::Config| {
        c.trusted_client_address_header = Some("x-forwarded-for".into());
        c.rate_sign_in_account = Rate { count: 10, period: std::time::Duration::from_secs(900) };
    };
    let app = TestApp::spawn_with(configure).await;
    let peer = app.spawn_peer_with(configure).await;
    let (victim, other) = (email(), email());
    app.sign_up(&victim).await;
    app.sign_up(&other).await;

    let (mut tried, mut refused) = (0, 0);
    for guess in 0..1_000 {
        let addr = if guess % 2 == 0 { app.addr } else { peer.addr };
        let body = sign_in_from(addr, "203.0.113.7", &victim, &format!("guess {guess}")).await;
        match code(&body) {
            "RATE_LIMITED" => {
                refused += 1;
                assert!(body["errors"][0]["extensions"]["retryAfter"].as_u64().is_some_and(|s| s > 0), "{body}");
            }
            "UNAUTHENTICATED" => tried += 1,
            other => panic!("{other}: {body}"),
        }
    }
    // Ten attempts' worth: the first failure counts three, so four are tried at most.
    assert!(tried <= 4, "{tried} guesses reached the password check");
    assert_eq!(tried + refused, 1_000);
    let right = sign_in_from(peer.addr, "203.0.113.7", &victim, PASSWORD).await;
    assert_eq!(code(&right), "RATE_LIMITED", "the right password waits too: {right}");
    let elsewhere = sign_in_from(app.addr, "198.51.100.1", &other, PASSWORD).await;
    assert!(elsewhere["data"]["signIn"]["accessToken"].is_string(), "another account signs in: {elsewhere}");

    // A third instance, as after a restart: the buckets are in the database.
    let restarted = app.spawn_peer_with(configure).await;
    let still = sign_in_from(restarted.addr, "203.0.113.7", &victim, PASSWORD).await;
    assert_eq!(code(&still), "RATE_LIMITED", "{still}");
    let sessions = app.test_db.count("SELECT COUNT(*) FROM sessions", vec![]).await;
    assert_eq!(sessions, 3, "the refused sign-ins opened no session");
}

#[tokio::test]
async fn a_user_over_the_request_budget_gets_429_with_retry_after() {
    let app =
        TestApp::spawn_with(|c| c.rate_requests = Rate { count: 3, period: std::time::Duration::from_secs(60) }).await;
    let ann = app.sign_up(&email()).await;
    let client = reqwest::Client::new();
    let mut last = None;
    for _ in 0..4 {
        last = Some(
            client
                .post(app.url("/graphql"))
                .bearer_auth(&ann.token)
                .json(&json!({ "query": "{ me { user { id } } }" }))
                .send()
                .await
                .expect("request"),
        );
    }
    let response = last.expect("a response");
    assert_eq!(response.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"].to_str().expect("text").parse().expect("seconds");
    assert!(retry > 0);
    let body: Value = response.json().await.expect("json");
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    let admins = app.gql_as(Some(&app.service_token()), "{ rateLimitBuckets { key until } }", json!({})).await;
    assert!(admins["data"]["rateLimitBuckets"].is_array(), "{admins}");
}

#[tokio::test]
async fn refused_attempts_show_to_admins() {
    let (app, admin, _) = with_admin().await;
    let victim = email();
    app.sign_up(&victim).await;
    for guess in 0..6 {
        app.gql_as(None, SIGN_IN, json!({ "e": victim, "p": format!("wrong {guess}") })).await;
    }
    let buckets = app.gql_as(Some(&admin.token), "{ rateLimitBuckets { key until } }", json!({})).await;
    let keys = buckets["data"]["rateLimitBuckets"].to_string();
    assert!(keys.contains(&format!("sign_in_account:{victim}")), "{buckets}");
    let ann = app.sign_up(&email()).await;
    let refused = app.gql_as(Some(&ann.token), "{ rateLimitBuckets { key } }", json!({})).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let failures = entries(
        &app.gql_as(Some(&admin.token), AUDIT, json!({ "f": { "action": { "eq": "sign_in.failure" } } })).await,
    );
    assert!(failures.len() >= 2, "{failures:?}");
}

#[tokio::test]
async fn deleting_an_account_keeps_only_its_billing_entries_under_a_pseudonym_and_retention_purges() {
    let (app, admin, _) = with_admin().await;
    let ann = app.sign_up(&email()).await;
    let grant = "mutation($u: UUID!) { grantCredits(userId: $u, amount: \"5\", idempotencyKey: \"gift-1\") { id } }";
    let granted = app.gql_as(Some(&admin.token), grant, json!({ "u": ann.id })).await;
    assert!(granted["errors"].is_null(), "{granted}");

    let deleted = app
        .gql_as(Some(&ann.token), "mutation($p: String) { deleteMyAccount(password: $p) }", json!({ "p": PASSWORD }))
        .await;
    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");

    let all = entries(&app.gql_as(Some(&admin.token), AUDIT, json!({})).await);
    assert!(all.iter().all(|e| e["subjectUserId"] != ann.id.to_string()), "{all:?}");
    let kept: Vec<&Value> = all.iter().filter(|e| e["subjectPseudonym"].is_string()).collect();
    assert_eq!(kept.len(), 1, "{all:?}");
    assert_eq!(kept[0]["action"], "credits.grant");
    assert!(kept[0]["after"].is_null());
    assert!(all.iter().any(|e| e["action"] == "account.delete"));

    app.test_db
        .exec("UPDATE audit_logs SET occurred_at = $1", vec![(chrono::Utc::now() - chrono::Duration::days(40)).into()])
        .await
        .expect("age the log");
    let bus = creatorpulse::events::local::LocalBus::new(8);
    let settings =
        jobs::Settings { audit_retention_days: 30, client_log_retention_days: 30, event_retention_hours: 24 };
    jobs::run_with(&app.test_db.db, &bus, jobs::Job::PurgeAuditLogs, "test", chrono::Utc::now(), &settings)
        .await
        .expect("purges");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM audit_logs", vec![]).await, 0);
}
