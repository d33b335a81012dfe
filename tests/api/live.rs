//! Live events over WebSocket: both subprotocols, ownership per subscriber, filters, token
//! expiry and session ends, limits, keep-alive, shutdown, lag, and fan-out across instances.
use std::time::Duration;

use async_graphql::futures_util::StreamExt;
use creatorpulse::auth::Viewer;
use creatorpulse::events::local::LocalBus;
use creatorpulse::events::{Change, ChangeKind, Event};
use creatorpulse::graphql::build_schema;
use creatorpulse::state::AppState;
use creatorpulse::table::loaders::Loaders;
use entity::enums::Role;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::fixtures::{accept, draft, email, invite};
use crate::helpers::{PASSWORD, TestApp, TestDb, TestUser, code, now, sign, test_config, wait_for_receivers};
use crate::ws_client::{Protocol, Received, WsClient};

const DRAFT_EVENTS: &str = "subscription($f: ContentDraftFilter, $k: [ChangeKind!], $u: UUID) { \
    contentDraftEvents(filter: $f, kinds: $k, userId: $u) { kind occurredAt node { id userId content platform trendSource { id trendTopic } } } }";
const QUIET: Duration = Duration::from_millis(300);

async fn trend(app: &TestApp, owner: &TestUser, score: &str) -> String {
    let body = app
        .gql_as(
            Some(&app.service_token()),
            "mutation($i: CreateTrendInsightInput!) { createTrendInsight(input: $i) { id } }",
            json!({ "i": { "userId": owner.id, "trendTopic": format!("topic {score}"), "trendDescription": "rising",
                           "confidenceScore": score, "sourceCount": 3 } }),
        )
        .await;
    body["data"]["createTrendInsight"]["id"].as_str().unwrap_or_else(|| panic!("trend created: {body}")).to_owned()
}

fn event(payload: &Json, field: &str) -> Json {
    assert!(payload.get("errors").is_none(), "no errors: {payload}");
    payload["data"][field].clone()
}

/// Subscribe, mutate, receive: the subscriber sees its own drafts created, updated and deleted,
/// with nested relations resolved as itself, and never another user's.
async fn own_drafts_arrive_and_anothers_never(protocol: Protocol, header_auth: bool) {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let topic = trend(&app, &ann, "0.75").await;
    let mut ws = if header_auth {
        let mut ws = WsClient::connect(app.addr, protocol, Some(&ann.token)).await;
        ws.init(None).await;
        ws.expect_ack().await;
        ws
    } else {
        WsClient::open(app.addr, protocol, &ann.token).await
    };
    ws.subscribe("1", DRAFT_EVENTS, json!({})).await;
    app.wait_for_receivers(2).await;

    let bobs = draft(&app, &bob, json!({ "content": "bob's" })).await;
    let anns = draft(&app, &ann, json!({ "content": "ann's", "trendSourceId": topic })).await;
    let created = event(&ws.next_result("1").await, "contentDraftEvents");
    assert_eq!(created["kind"], "CREATED", "{created}");
    assert_eq!(created["node"]["id"], anns, "bob's earlier draft was not sent: {created}");
    assert_eq!(created["node"]["userId"], ann.id.to_string());
    assert_eq!(created["node"]["trendSource"]["id"], topic, "nested fields resolve: {created}");
    assert!(created["occurredAt"].is_string());

    let edit = "mutation($id: UUID!) { updateContentDraft(id: $id, input: { content: \"edited\" }) { id } }";
    app.gql_as(Some(&bob.token), edit, json!({ "id": bobs })).await;
    app.gql_as(Some(&ann.token), edit, json!({ "id": anns })).await;
    let updated = event(&ws.next_result("1").await, "contentDraftEvents");
    assert_eq!((updated["kind"].as_str(), updated["node"]["id"].as_str()), (Some("UPDATED"), Some(anns.as_str())));
    assert_eq!(updated["node"]["content"], "edited");

    let delete = "mutation($id: UUID!) { deleteContentDraft(id: $id) }";
    app.gql_as(Some(&bob.token), delete, json!({ "id": bobs })).await;
    app.gql_as(Some(&ann.token), delete, json!({ "id": anns })).await;
    let deleted = event(&ws.next_result("1").await, "contentDraftEvents");
    assert_eq!((deleted["kind"].as_str(), deleted["node"]["id"].as_str()), (Some("DELETED"), Some(anns.as_str())));
    assert_eq!(deleted["node"]["content"], "edited", "a deletion carries the row as it was");
    ws.expect_nothing(QUIET).await;
}

#[tokio::test]
async fn graphql_transport_ws_delivers_own_changes_only() {
    own_drafts_arrive_and_anothers_never(Protocol::TransportWs, false).await;
}

#[tokio::test]
async fn legacy_graphql_ws_delivers_own_changes_only_with_header_auth() {
    own_drafts_arrive_and_anothers_never(Protocol::Legacy, true).await;
}

#[tokio::test]
async fn subscriptions_take_the_list_filters() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    let filter = json!({ "platform": { "eq": "LINKEDIN" }, "hashtags": { "contains": ["#ai"] } });
    ws.subscribe("drafts", DRAFT_EVENTS, json!({ "f": filter, "k": ["CREATED"] })).await;
    ws.subscribe(
        "trends",
        "subscription { trendInsightEvents(filter: { confidenceScore: { gte: \"0.8\" } }) { kind node { id confidenceScore } } }",
        json!({}),
    )
    .await;
    app.wait_for_receivers(3).await;

    draft(&app, &ann, json!({ "platform": "TWITTER", "hashtags": ["#ai"] })).await;
    draft(&app, &ann, json!({ "platform": "LINKEDIN", "contentType": "LINKEDIN_SHORT", "hashtags": ["#ops"] })).await;
    let wanted = draft(
        &app,
        &ann,
        json!({ "platform": "LINKEDIN", "contentType": "LINKEDIN_SHORT", "hashtags": ["#ops", "#ai"] }),
    )
    .await;
    let got = event(&ws.next_result("drafts").await, "contentDraftEvents");
    assert_eq!(got["node"]["id"], wanted, "{got}");

    trend(&app, &ann, "0.5").await;
    let strong = trend(&app, &ann, "0.9").await;
    let got = event(&ws.next_result("trends").await, "trendInsightEvents");
    assert_eq!(got["node"]["id"], strong, "{got}");
    ws.expect_nothing(QUIET).await;

    // A filter the list would refuse is refused here too.
    ws.subscribe("bad", DRAFT_EVENTS, json!({ "f": { "hashtags": { "contains": { "not": "an array" } } } })).await;
    let refused = ws.next_result("bad").await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
}

#[tokio::test]
async fn a_missing_or_invalid_token_closes_with_4401() {
    let app = TestApp::spawn().await;
    let forged =
        sign(&json!({ "sub": Uuid::new_v4(), "role": "authenticated", "aud": "authenticated", "exp": now() - 60 }));
    for (protocol, token) in [
        (Protocol::TransportWs, None),
        (Protocol::TransportWs, Some("not-a-token")),
        (Protocol::TransportWs, Some(forged.as_str())),
        (Protocol::Legacy, None),
        (Protocol::Legacy, Some("not-a-token")),
    ] {
        let mut ws = WsClient::connect(app.addr, protocol, None).await;
        ws.init(token).await;
        if protocol == Protocol::Legacy {
            match ws.receive().await {
                Received::Message(m) => assert_eq!(m["type"], "connection_error", "{m}"),
                other => panic!("legacy clients are told first: {other:?}"),
            }
        }
        let (code, reason) = ws.expect_close().await;
        assert_eq!(code, 4401, "{protocol:?} {token:?}: {reason}");
    }
    // A bad header is refused too, not downgraded.
    let mut ws = WsClient::connect(app.addr, Protocol::TransportWs, Some("garbage")).await;
    ws.init(None).await;
    assert_eq!(ws.expect_close().await.0, 4401);
}

#[tokio::test]
async fn the_connection_ends_when_the_token_expires() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let short = sign(&json!({ "sub": ann.id, "role": "authenticated", "aud": "authenticated", "exp": now() + 2 }));
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &short).await;
    ws.subscribe("1", DRAFT_EVENTS, json!({})).await;
    let (code, reason) = ws.expect_close().await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("expired"), "{reason}");
}

#[tokio::test]
async fn sign_out_and_account_deletion_end_that_users_subscriptions() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let mut ann_ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    let mut bob_ws = WsClient::open(app.addr, Protocol::Legacy, &bob.token).await;
    ann_ws.subscribe("1", DRAFT_EVENTS, json!({})).await;
    bob_ws.subscribe("1", DRAFT_EVENTS, json!({})).await;
    app.wait_for_receivers(4).await;

    let out = app.gql_as(Some(&ann.token), "mutation { signOut }", json!({})).await;
    assert_eq!(out["data"]["signOut"], true, "{out}");
    assert_eq!(ann_ws.expect_close().await.0, 4401);
    // Bob is untouched; Ann's signed-out token no longer opens a connection.
    draft(&app, &bob, json!({})).await;
    assert_eq!(event(&bob_ws.next_result("1").await, "contentDraftEvents")["kind"], "CREATED");
    let mut again = WsClient::connect(app.addr, Protocol::TransportWs, None).await;
    again.init(Some(&ann.token)).await;
    assert_eq!(again.expect_close().await.0, 4401);

    let deleted = app
        .gql_as(Some(&bob.token), "mutation($p: String) { deleteMyAccount(password: $p) }", json!({ "p": PASSWORD }))
        .await;
    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");
    assert_eq!(bob_ws.expect_close().await.0, 4401);
}

#[tokio::test]
async fn a_rolled_back_write_publishes_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    app.test_db
        .exec(
            "UPDATE subscription_billing SET credit_balance = 0, allowance_balance = 0 WHERE user_id = $1",
            vec![ann.id.into()],
        )
        .await
        .expect("empty the balance");
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("usage", "subscription { usageTrackingEvents { kind node { actionType } } }", json!({})).await;
    ws.subscribe(
        "credits",
        "subscription { creditTransactionEvents { kind node { amount reason balanceAfter } } }",
        json!({}),
    )
    .await;
    app.wait_for_receivers(3).await;

    let service = app.service_token();
    let record = "mutation($i: RecordUsageInput!) { recordUsage(input: $i) { usage { id } } }";
    let usage = json!({ "i": { "userId": ann.id, "actionType": "DRAFT_GENERATED", "platform": "TWITTER" } });
    let refused = app.gql_as(Some(&service), record, usage.clone()).await;
    assert_eq!(code(&refused), "INSUFFICIENT_CREDITS", "{refused}");
    let grant =
        "mutation($u: UUID!) { grantCredits(userId: $u, amount: \"5\", idempotencyKey: \"live-grant\") { amount } }";
    app.gql_as(Some(&service), grant, json!({ "u": ann.id })).await;

    let first = event(&ws.next_result("credits").await, "creditTransactionEvents");
    assert_eq!(first["node"]["reason"], "GRANT", "the refused debit published nothing: {first}");
    let recorded = app.gql_as(Some(&service), record, usage).await;
    assert!(recorded["data"]["recordUsage"].is_object(), "{recorded}");
    // Two subscriptions: their results may interleave either way.
    let mut results = Vec::new();
    for _ in 0..2 {
        match ws.receive().await {
            Received::Message(m) => results.push(m),
            other => panic!("{other:?}"),
        }
    }
    results.sort_by_key(|m| m["id"].as_str().unwrap_or_default().to_owned());
    assert_eq!(results[0]["payload"]["data"]["creditTransactionEvents"]["node"]["reason"], "USAGE", "{results:?}");
    assert_eq!(results[1]["payload"]["data"]["usageTrackingEvents"]["node"]["actionType"], "DRAFT_GENERATED");
}

#[tokio::test]
async fn the_service_role_watches_everyone_or_one_user_and_users_cannot_watch_service_tables() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let service = app.service_token();
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &service).await;
    ws.subscribe("all", DRAFT_EVENTS, json!({})).await;
    ws.subscribe("bob", DRAFT_EVENTS, json!({ "u": bob.id })).await;
    let logs =
        "subscription { aiProcessingLogEvents(filter: { status: { eq: COMPLETED } }) { kind node { id status } } }";
    ws.subscribe("logs", logs, json!({})).await;
    app.wait_for_receivers(4).await;

    let anns = draft(&app, &ann, json!({})).await;
    let bobs = draft(&app, &bob, json!({})).await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        match ws.receive().await {
            Received::Message(m) => seen.push((
                m["id"].as_str().unwrap_or_default().to_owned(),
                m["payload"]["data"]["contentDraftEvents"]["node"]["id"].as_str().unwrap_or_default().to_owned(),
            )),
            other => panic!("{other:?}"),
        }
    }
    seen.sort();
    let mut expected = vec![("all".to_owned(), anns), ("all".to_owned(), bobs.clone()), ("bob".to_owned(), bobs)];
    expected.sort();
    assert_eq!(seen, expected);

    let create_log = "mutation($i: CreateAiProcessingLogInput!) { createAiProcessingLog(input: $i) { id } }";
    for status in ["PENDING", "COMPLETED"] {
        let input = json!({ "i": { "userId": ann.id, "processingType": "CONTENT_GENERATION", "inputData": {}, "status": status } });
        app.gql_as(Some(&service), create_log, input).await;
    }
    let log = event(&ws.next_result("logs").await, "aiProcessingLogEvents");
    assert_eq!(log["node"]["status"], "COMPLETED", "{log}");

    let mut user_ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    user_ws.subscribe("logs", logs, json!({})).await;
    assert_eq!(code(&user_ws.next_result("logs").await), "FORBIDDEN");
}

#[tokio::test]
async fn an_agency_receives_a_clients_drafts_only_once_accepted() {
    let app = TestApp::spawn().await;
    let agency = app.sign_up(&email()).await;
    let client = app.sign_up(&email()).await;
    let relationship = invite(&app, &agency, &client, json!({ "read_drafts": true })).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &agency.token).await;
    ws.subscribe("1", DRAFT_EVENTS, json!({})).await;
    app.wait_for_receivers(2).await;

    draft(&app, &client, json!({ "content": "before consent" })).await;
    let accepted = accept(&app, &client, &relationship).await;
    assert_eq!(accepted["data"]["acceptAgencyInvitation"]["status"], "ACCEPTED", "{accepted}");
    let after = draft(&app, &client, json!({ "content": "after consent" })).await;
    let got = event(&ws.next_result("1").await, "contentDraftEvents");
    assert_eq!(got["node"]["id"], after, "{got}");

    app.gql_as(
        Some(&client.token),
        "mutation($id: UUID!) { revokeAgencyAccess(id: $id) { status } }",
        json!({ "id": relationship }),
    )
    .await;
    draft(&app, &client, json!({ "content": "after revocation" })).await;
    ws.expect_nothing(QUIET).await;
}

#[tokio::test]
async fn connections_and_subscriptions_per_user_are_limited() {
    let app = TestApp::spawn_with(|c| {
        c.ws_max_connections_per_user = 1;
        c.ws_max_subscriptions_per_user = 1;
    })
    .await;
    let ann = app.sign_up(&email()).await;
    let mut first = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    let mut second = WsClient::connect(app.addr, Protocol::TransportWs, None).await;
    second.init(Some(&ann.token)).await;
    assert_eq!(second.expect_close().await.0, 4429);

    first.subscribe("1", DRAFT_EVENTS, json!({})).await;
    first.subscribe("2", DRAFT_EVENTS, json!({})).await;
    assert_eq!(code(&first.next_result("2").await), "LIMIT_EXCEEDED");
    // Another user is not affected.
    let bob = app.sign_up(&email()).await;
    WsClient::open(app.addr, Protocol::TransportWs, &bob.token).await;

    // A closed connection gives its place back.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut ws = WsClient::connect(app.addr, Protocol::TransportWs, None).await;
        ws.init(Some(&ann.token)).await;
        match ws.receive().await {
            Received::Message(m) if m["type"] == "connection_ack" => break,
            other => assert!(tokio::time::Instant::now() < deadline, "the place never came back: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_server_pings_and_drops_a_silent_client() {
    let app = TestApp::spawn_with(|c| c.ws_keepalive = 1).await;
    let ann = app.sign_up(&email()).await;
    for (protocol, ping) in [(Protocol::TransportWs, "ping"), (Protocol::Legacy, "ka")] {
        let mut ws = WsClient::open(app.addr, protocol, &ann.token).await;
        let message = ws.raw_within(Duration::from_secs(5)).await.expect("a keep-alive");
        assert_eq!(message["type"], ping, "{protocol:?}");
    }
    // A client that reads nothing answers no ping: after two periods it is dropped.
    let mut silent = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert_eq!(silent.expect_close().await.0, 3008);
}

#[tokio::test]
async fn graceful_shutdown_closes_live_connections() {
    let mut app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("1", DRAFT_EVENTS, json!({})).await;
    app.wait_for_receivers(2).await;
    // The shutdown grace period is 30 s: finishing well before it means the connection was
    // closed, not waited out.
    tokio::time::timeout(Duration::from_secs(10), app.stop()).await.expect("shutdown does not wait for the socket");
    assert_eq!(ws.expect_close().await.0, 1001);
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_told_it_lagged() {
    let test = TestDb::migrated().await;
    let config = test_config(&test);
    let mut state = AppState::new(test.db.clone(), config).await.expect("state");
    // Every bus fans out through the same bounded local channel; publishing into it directly
    // outruns the subscriber deterministically.
    state.events = std::sync::Arc::new(LocalBus::new(2));
    let schema = build_schema(state.clone());
    let viewer = Viewer::User { id: Uuid::new_v4(), session_id: None, may_act_for_clients: true, role: Role::Member };
    let request = async_graphql::Request::new("subscription { contentDraftEvents { kind } }")
        .data(viewer.clone())
        .data(Loaders::new(state.reads.clone(), viewer));
    let mut stream = schema.execute_stream(request);
    // The first poll starts the subscription; nothing has happened yet.
    assert!(tokio::time::timeout(Duration::from_millis(200), stream.next()).await.is_err());
    wait_for_receivers(&state, 1).await;
    for _ in 0..5 {
        state.events.publish(Event::Change(Change {
            table: "content_drafts".into(),
            kind: ChangeKind::Created,
            owner: None,
            row: json!({}),
            at: chrono::Utc::now(),
            position: None,
        }));
    }
    let lagged = stream.next().await.expect("an error");
    let code = lagged.errors[0].extensions.as_ref().and_then(|e| e.get("code")).cloned();
    assert_eq!(code, Some(async_graphql::Value::from("LAGGED")), "{:?}", lagged.errors);
    assert!(stream.next().await.is_none(), "the subscription ends");
    assert_eq!(state.events.receivers(), 0, "its receiver is gone");
}

#[tokio::test]
async fn a_change_through_one_instance_reaches_subscribers_of_another() {
    let app = TestApp::spawn().await;
    if !app.test_db.is_postgres() {
        return; // One SQLite file has one instance; this runs on PostgreSQL.
    }
    let peer = app.spawn_peer().await;
    let ann = app.sign_up(&email()).await;
    let mut ws = WsClient::open(peer.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("1", DRAFT_EVENTS, json!({})).await;
    peer.wait_for_receivers(2).await;

    let small = draft(&app, &ann, json!({ "content": "through A" })).await;
    assert_eq!(event(&ws.next_result("1").await, "contentDraftEvents")["node"]["id"], small);
    // Larger than a notification may carry: stored, referenced, loaded.
    let long = "x".repeat(20_000);
    let big = draft(&app, &ann, json!({ "content": long })).await;
    let got = event(&ws.next_result("1").await, "contentDraftEvents");
    assert_eq!(got["node"]["id"], big);
    assert_eq!(got["node"]["content"].as_str().map(str::len), Some(20_000));
    // The notification named the outbox row, which the listener loaded.
    let large = "SELECT COUNT(*) FROM event_outbox WHERE octet_length(payload) > 7800";
    assert!(app.test_db.count(large, vec![]).await >= 1);
}

#[tokio::test]
async fn the_listener_reconnects_after_losing_its_database_connection() {
    let app = TestApp::spawn().await;
    if !app.test_db.is_postgres() {
        return; // LISTEN/NOTIFY is PostgreSQL's.
    }
    let ann = app.sign_up(&email()).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("1", DRAFT_EVENTS, json!({})).await;
    // A subscriber that resumes by position also gets what was written while nobody listened.
    let resuming = "subscription { contentDraftEvents(after: 0) { position node { id } } }";
    ws.subscribe("2", resuming, json!({})).await;
    app.wait_for_receivers(3).await;

    let cut = app.cut_off_listener().await;
    let unheard = draft(&app, &ann, json!({ "content": "while nobody listened" })).await;
    app.wait_for_listener_after(cut).await;
    let id = draft(&app, &ann, json!({})).await;
    // The plain subscriber may or may not have heard the first (it was told to refetch); the
    // resuming one gets both, in order, once.
    let mut plain = Vec::new();
    let mut resumed = Vec::new();
    while plain.last() != Some(&Json::from(id.clone())) || resumed.len() < 2 {
        let received = ws.receive_within(Duration::from_secs(10)).await;
        match received.unwrap_or_else(|| panic!("only these arrived: {plain:?} and, resuming, {resumed:?}")) {
            Received::Message(m) if m["id"] == "1" => {
                plain.push(m["payload"]["data"]["contentDraftEvents"]["node"]["id"].clone())
            }
            Received::Message(m) if m["id"] == "2" => {
                assert!(m["payload"]["errors"].is_null(), "the resuming subscriber got {m}");
                resumed.push(m["payload"]["data"]["contentDraftEvents"].clone())
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let ids: Vec<_> = resumed.iter().map(|e| e["node"]["id"].clone()).collect();
    assert_eq!(ids, vec![Json::from(unheard), Json::from(id)]);
    assert_eq!(resumed[1]["position"].as_i64(), resumed[0]["position"].as_i64().map(|p| p + 1));
    assert!(ws.receive_within(QUIET).await.is_none(), "nothing twice");
}

#[tokio::test]
async fn activating_a_voice_model_reports_the_activated_and_the_deactivated_model() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let service = app.service_token();
    let create = "mutation($i: CreateVoiceModelInput!) { createVoiceModel(input: $i) { id } }";
    let mut models = Vec::new();
    for version in ["v1", "v2"] {
        let input =
            json!({ "i": { "userId": ann.id, "modelVersion": version, "modelConfig": {}, "trainingDataCount": 10 } });
        let body = app.gql_as(Some(&service), create, input).await;
        models.push(body["data"]["createVoiceModel"]["id"].as_str().expect("model").to_owned());
    }
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    // Only updates: on PostgreSQL the creations above may still be on their way.
    ws.subscribe("1", "subscription { voiceModelEvents(kinds: [UPDATED]) { kind node { id isActive } } }", json!({}))
        .await;
    app.wait_for_receivers(2).await;

    let activate = "mutation($id: UUID!) { activateVoiceModel(id: $id) { id } }";
    app.gql_as(Some(&service), activate, json!({ "id": models[0] })).await;
    let first = event(&ws.next_result("1").await, "voiceModelEvents");
    assert_eq!(
        (first["node"]["id"].as_str(), first["node"]["isActive"].as_bool()),
        (Some(models[0].as_str()), Some(true))
    );
    app.gql_as(Some(&service), activate, json!({ "id": models[1] })).await;
    let mut states = Vec::new();
    for _ in 0..2 {
        let got = event(&ws.next_result("1").await, "voiceModelEvents");
        assert_eq!(got["kind"], "UPDATED");
        states.push((got["node"]["id"].as_str().unwrap_or_default().to_owned(), got["node"]["isActive"].as_bool()));
    }
    states.sort();
    let mut expected = vec![(models[0].clone(), Some(false)), (models[1].clone(), Some(true))];
    expected.sort();
    assert_eq!(states, expected);
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_session_and_closes_its_connections() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    app.wait_for_receivers(1).await;
    let refresh = "mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }";
    let rotated = app.gql(refresh, json!({ "t": ann.refresh_token })).await;
    assert!(rotated["data"]["refreshSession"]["refreshToken"].is_string(), "{rotated}");
    ws.expect_nothing(QUIET).await;
    let reused = app.gql(refresh, json!({ "t": ann.refresh_token })).await;
    assert_eq!(code(&reused), "UNAUTHENTICATED", "{reused}");
    assert_eq!(ws.expect_close().await.0, 4401);
}
