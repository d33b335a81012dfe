//! Payments and lifecycle: Stripe's webhook as Stripe sends it (signed with a test secret),
//! processed once across instances, in order; subscription lifecycle events; client logs.
use creatorpulse::config::{Config, Secret};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::credit_buckets::assert_ledger_matches;
use crate::fixtures::email;
use crate::helpers::{TestApp, TestUser, code, now};

const SECRETS: [&str; 2] = ["whsec_test_current", "whsec_test_next"];

fn configure(c: &mut Config) {
    c.stripe_webhook_secrets = SECRETS.iter().map(|s| Secret::new(*s)).collect();
}

fn signature(secret: &str, t: i64, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{payload}").as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn signed(payload: &str) -> String {
    let t = now();
    format!("t={t},v1={}", signature(SECRETS[0], t, payload))
}

async fn deliver(addr: std::net::SocketAddr, header: Option<&str>, payload: &str) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(payload.to_owned());
    if let Some(header) = header {
        request = request.header("stripe-signature", header);
    }
    request.send().await.expect("delivery").status().as_u16()
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> String {
    json!({ "id": id, "object": "event", "type": kind, "created": created, "livemode": false,
            "data": { "object": object } })
    .to_string()
}

fn checkout(user: &TestUser, payment: &str, credits: &str) -> Value {
    json!({ "id": format!("cs_{payment}"), "object": "checkout.session", "mode": "payment",
            "client_reference_id": user.id, "customer": "cus_ann", "payment_intent": payment,
            "metadata": { "credits": credits } })
}

fn subscription(user: &TestUser, tier: &str, status: &str) -> Value {
    json!({ "id": "sub_ann", "object": "subscription", "customer": "cus_ann", "status": status,
            "cancel_at_period_end": false, "current_period_start": now(), "current_period_end": now() + 30 * 86400,
            "metadata": { "user_id": user.id, "tier": tier, "monthly_credits": "500" } })
}

async fn stored(app: &TestApp) -> i64 {
    app.test_db.count("SELECT COUNT(*) FROM webhook_events", vec![]).await
}

async fn balance(app: &TestApp, user: &TestUser) -> (String, String) {
    let body = app
        .gql_as(Some(&user.token), "{ me { subscription { purchasedBalance tier subscriptionStatus } } }", json!({}))
        .await;
    let s = &body["data"]["me"]["subscription"];
    (
        s["purchasedBalance"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned(),
        s["tier"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn a_signed_checkout_credits_the_purchase_once_and_a_replay_changes_nothing() {
    let app = TestApp::spawn_with(configure).await;
    let ann = app.sign_up(&email()).await;
    let payload = event("evt_checkout_1", "checkout.session.completed", now(), checkout(&ann, "pi_1", "100"));
    let header = signed(&payload);

    assert_eq!(deliver(app.addr, Some(&header), &payload).await, 200);
    assert_eq!(deliver(app.addr, Some(&header), &payload).await, 200, "the replayed delivery answers 200");
    let (purchased, _) = balance(&app, &ann).await;
    assert_eq!(purchased.parse::<f64>().expect("number"), 100.0);
    assert_eq!(stored(&app).await, 1);
    // Another event for the same payment (Stripe may send one) moves nothing either.
    let again = event("evt_checkout_2", "checkout.session.completed", now(), checkout(&ann, "pi_1", "100"));
    assert_eq!(deliver(app.addr, Some(&signed(&again)), &again).await, 200);
    assert_eq!(balance(&app, &ann).await.0.parse::<f64>().expect("number"), 100.0);
    assert_ledger_matches(&app).await;
    let purchases =
        app.test_db.count("SELECT COUNT(*) FROM audit_logs WHERE action = 'credits.purchase'", vec![]).await;
    assert_eq!(purchases, 1);
}

#[tokio::test]
async fn tampered_expired_unsigned_and_foreign_deliveries_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn_with(configure).await;
    let ann = app.sign_up(&email()).await;
    let payload = event("evt_checkout_x", "checkout.session.completed", now(), checkout(&ann, "pi_x", "100"));
    let header = signed(&payload);
    let tampered = payload.replace("\"100\"", "\"100000\"");
    let old = now() - 3600;
    let expired = format!("t={old},v1={}", signature(SECRETS[0], old, &payload));
    let foreign = format!("t={},v1={}", now(), signature("whsec_someone_else", now(), &payload));

    assert_eq!(deliver(app.addr, Some(&header), &tampered).await, 400, "tampered");
    assert_eq!(deliver(app.addr, Some(&expired), &payload).await, 400, "expired");
    assert_eq!(deliver(app.addr, None, &payload).await, 400, "unsigned");
    assert_eq!(deliver(app.addr, Some(&foreign), &payload).await, 400, "another endpoint's secret");
    assert_eq!(deliver(app.addr, Some("t=abc,v1=zz"), &payload).await, 400, "malformed header");
    assert_eq!(stored(&app).await, 0);

    // The next secret of a rotation, and several v1 signatures, the right one second.
    let t = now();
    let rotated = format!("t={t},v1={},v1={}", "00".repeat(32), signature(SECRETS[1], t, &payload));
    assert_eq!(deliver(app.addr, Some(&rotated), &payload).await, 200);
    assert_eq!(stored(&app).await, 1);

    let unconfigured = TestApp::spawn().await;
    assert_eq!(deliver(unconfigured.addr, Some(&header), &payload).await, 404);
}

#[tokio::test]
async fn one_event_delivered_many_times_at_once_to_two_instances_is_processed_once() {
    let app = TestApp::spawn_with(configure).await;
    let peer = app.spawn_peer_with(configure).await;
    let ann = app.sign_up(&email()).await;
    let payload = event("evt_checkout_race", "checkout.session.completed", now(), checkout(&ann, "pi_race", "40"));
    let header = signed(&payload);
    let mut deliveries = Vec::new();
    for n in 0..12 {
        let addr = if n % 2 == 0 { app.addr } else { peer.addr };
        let (payload, header) = (payload.clone(), header.clone());
        deliveries.push(tokio::spawn(async move { deliver(addr, Some(&header), &payload).await }));
    }
    for delivery in deliveries {
        assert_eq!(delivery.await.expect("task"), 200);
    }
    assert_eq!(balance(&app, &ann).await.0.parse::<f64>().expect("number"), 40.0);
    let claimed_once = app.test_db.count("SELECT COUNT(*) FROM webhook_events WHERE attempts = 1", vec![]).await;
    assert_eq!(claimed_once, 1, "claimed once");
    let ledger = app.test_db.count("SELECT COUNT(*) FROM credit_transactions WHERE reason = 'top_up'", vec![]).await;
    assert_eq!(ledger, 1);
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn subscription_events_apply_in_order_and_a_late_one_rolls_nothing_back() {
    let app = TestApp::spawn_with(configure).await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let t = now();
    let created = event("evt_sub_1", "customer.subscription.created", t - 100, subscription(&ann, "creator", "active"));
    let upgraded =
        event("evt_sub_2", "customer.subscription.updated", t - 50, subscription(&ann, "agency_monthly", "active"));
    let late =
        event("evt_sub_late", "customer.subscription.updated", t - 75, subscription(&ann, "creator", "past_due"));

    for payload in [&created, &upgraded, &late] {
        assert_eq!(deliver(app.addr, Some(&signed(payload)), payload).await, 200);
    }
    let (_, tier) = balance(&app, &ann).await;
    assert_eq!(tier, "AGENCY", "the late event left the newer state");
    let profile = app.gql_as(Some(&ann.token), "{ me { profile { subscriptionTier } } }", json!({})).await;
    assert_eq!(profile["data"]["me"]["profile"]["subscriptionTier"], "AGENCY");

    let failed = event(
        "evt_inv_failed",
        "invoice.payment_failed",
        t,
        json!({ "customer": "cus_ann", "subscription": "sub_ann" }),
    );
    assert_eq!(deliver(app.addr, Some(&signed(&failed)), &failed).await, 200);
    let status = app.gql_as(Some(&ann.token), "{ me { subscription { subscriptionStatus } } }", json!({})).await;
    assert_eq!(status["data"]["me"]["subscription"]["subscriptionStatus"], "PAST_DUE");

    let mine = app
        .gql_as(Some(&ann.token), "{ me { subscriptionEvents(orderBy: [{ field: OCCURRED_AT }]) { edges { node { kind tierBefore tierAfter } } } } }", json!({}))
        .await;
    let kinds: Vec<&str> = mine["data"]["me"]["subscriptionEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{mine}"))
        .iter()
        .filter_map(|e| e["node"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["CREATED", "UPGRADED", "PAYMENT_FAILED"], "{mine}");
    let bobs = app.gql_as(Some(&bob.token), "{ subscriptionEvents { totalCount } }", json!({})).await;
    assert_eq!(bobs["data"]["subscriptionEvents"]["totalCount"], 0, "{bobs}");
}

#[tokio::test]
async fn an_unknown_type_is_kept_as_ignored_and_a_failing_event_is_retried_by_an_admin() {
    let admin_email = email();
    let listed = admin_email.clone();
    let app = TestApp::spawn_with(move |c| {
        configure(c);
        c.admin_emails = vec![listed];
    })
    .await;
    let admin = app.sign_up(&admin_email).await;
    let ann = app.sign_up(&email()).await;
    let unknown = event("evt_other", "customer.tax_id.created", now(), json!({ "id": "txi_1" }));
    assert_eq!(deliver(app.addr, Some(&signed(&unknown)), &unknown).await, 200);
    let orphan = json!({ "id": "cs_orphan", "client_reference_id": uuid::Uuid::new_v4(), "payment_intent": "pi_orphan", "metadata": { "credits": "5" } });
    let failing = event("evt_orphan", "checkout.session.completed", now(), orphan);
    assert_eq!(deliver(app.addr, Some(&signed(&failing)), &failing).await, 500, "Stripe delivers again");

    let list =
        "{ webhookEvents(orderBy: [{ field: EVENT_ID }]) { edges { node { eventId status attempts lastError } } } }";
    let events = app.gql_as(Some(&admin.token), list, json!({})).await;
    let nodes = &events["data"]["webhookEvents"]["edges"];
    assert_eq!(nodes[0]["node"]["eventId"], "evt_orphan", "{events}");
    assert_eq!(nodes[0]["node"]["status"], "FAILED");
    assert!(nodes[0]["node"]["lastError"].is_string());
    assert_eq!(nodes[1]["node"]["status"], "IGNORED");
    let refused = app.gql_as(Some(&ann.token), list, json!({})).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");

    let retried = app
        .gql_as(
            Some(&admin.token),
            "mutation { retryWebhookEvent(eventId: \"evt_orphan\") { status attempts } }",
            json!({}),
        )
        .await;
    assert_eq!(retried["data"]["retryWebhookEvent"]["attempts"], 2, "{retried}");
    let by_user = app
        .gql_as(Some(&ann.token), "mutation { retryWebhookEvent(eventId: \"evt_orphan\") { status } }", json!({}))
        .await;
    assert_eq!(code(&by_user), "FORBIDDEN");
}

#[tokio::test]
async fn a_paid_invoice_brings_the_new_periods_allowance_and_a_renewal() {
    let app = TestApp::spawn_with(configure).await;
    let ann = app.sign_up(&email()).await;
    let created =
        event("evt_sub_c", "customer.subscription.created", now() - 10, subscription(&ann, "creator", "active"));
    assert_eq!(deliver(app.addr, Some(&signed(&created)), &created).await, 200);
    let (start, end) = (now() + 30 * 86400, now() + 60 * 86400);
    let invoice = json!({ "customer": "cus_ann", "lines": { "data": [{ "period": { "start": start, "end": end } }] } });
    let paid = event("evt_inv_paid", "invoice.paid", now(), invoice);
    assert_eq!(deliver(app.addr, Some(&signed(&paid)), &paid).await, 200);

    let body = app
        .gql_as(
            Some(&ann.token),
            "{ me { subscription { allowanceBalance } subscriptionEvents { edges { node { kind } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["me"]["subscription"]["allowanceBalance"].as_str().and_then(|s| s.parse::<f64>().ok()),
        Some(500.0),
        "{body}"
    );
    assert!(body["data"]["me"]["subscriptionEvents"].to_string().contains("RENEWED"), "{body}");
    assert_ledger_matches(&app).await;
}

#[tokio::test]
async fn client_logs_are_taken_from_anyone_bounded_limited_and_read_by_admins_only() {
    let admin_email = email();
    let listed = admin_email.clone();
    let app = TestApp::spawn_with(move |c| {
        c.admin_emails = vec![listed];
        c.rate_client_logs_anonymous =
            creatorpulse::config::Rate { count: 3, period: std::time::Duration::from_secs(60) };
    })
    .await;
    let admin = app.sign_up(&admin_email).await;
    let ann = app.sign_up(&email()).await;
    let submit = "mutation($l: LogLevel!, $m: String!, $c: JSON) { submitClientLog(level: $l, message: $m, context: $c, appVersion: \"1.2.3\", platform: \"ios\") }";

    let signed_in = app
        .gql_as(Some(&ann.token), submit, json!({ "l": "ERROR", "m": "crash on open", "c": { "screen": "home" } }))
        .await;
    assert!(signed_in["data"]["submitClientLog"].is_string(), "{signed_in}");
    let too_long = app.gql_as(Some(&ann.token), submit, json!({ "l": "INFO", "m": "x".repeat(9000) })).await;
    assert_eq!(code(&too_long), "BAD_USER_INPUT");
    let not_object = app.gql_as(Some(&ann.token), submit, json!({ "l": "INFO", "m": "m", "c": [1] })).await;
    assert_eq!(code(&not_object), "BAD_USER_INPUT");
    let mut anonymous = Vec::new();
    for n in 0..4 {
        anonymous.push(app.gql_as(None, submit, json!({ "l": "FEEDBACK", "m": format!("love it {n}") })).await);
    }
    assert!(anonymous[2]["data"]["submitClientLog"].is_string(), "{:?}", anonymous[2]);
    assert_eq!(code(&anonymous[3]), "RATE_LIMITED", "{:?}", anonymous[3]);

    let errors = app
        .gql_as(
            Some(&admin.token),
            "{ clientLogs(filter: { level: { eq: ERROR } }) { edges { node { userId message context platform } } } }",
            json!({}),
        )
        .await;
    let edges = errors["data"]["clientLogs"]["edges"].as_array().unwrap_or_else(|| panic!("{errors}"));
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["userId"], ann.id.to_string());
    let by_user = app.gql_as(Some(&ann.token), "{ clientLogs { totalCount } }", json!({})).await;
    assert_eq!(code(&by_user), "FORBIDDEN", "{by_user}");
}
