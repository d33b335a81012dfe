//! The transactional outbox: every committed change has its event, numbered per user; a refused
//! write has none; a subscriber resumes after the last position it saw, in order, without
//! duplicates, from the outbox and then live; events are kept for the retention window and go
//! with the account.
use std::time::Duration;

use creatorpulse::jobs::{self, Job, Settings};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::fixtures::{draft, email};
use crate::helpers::{PASSWORD, TestApp, TestUser, code};
use crate::ws_client::{Protocol, Received, WsClient};

const RESUME: &str = "subscription($a: Int, $u: UUID) { \
    contentDraftEvents(after: $a, userId: $u) { kind position node { id content } } }";
const QUIET: Duration = Duration::from_millis(400);

/// `user`'s events in the outbox, in order: (position, stored event).
async fn stored_events(app: &TestApp, user: &TestUser) -> Vec<(i64, Json)> {
    let sql = "SELECT position, payload FROM event_outbox WHERE user_id = $1 ORDER BY position";
    let rows = app.test_db.rows(sql, vec![user.id.into()]).await;
    rows.iter()
        .map(|row| {
            let payload: String = row.try_get_by_index(1).expect("payload");
            (row.try_get_by_index(0).expect("position"), serde_json::from_str(&payload).expect("json"))
        })
        .collect()
}

/// The positions of `user`'s content draft events in the outbox, in order.
async fn stored_positions(app: &TestApp, user: &TestUser) -> Vec<i64> {
    let events = stored_events(app, user).await;
    events.into_iter().filter(|(_, event)| event["table"] == "content_drafts").map(|(p, _)| p).collect()
}

/// The next `n` events of subscription `id`: (position, draft id, content).
async fn next_events(ws: &mut WsClient, id: &str, n: usize) -> Vec<(i64, String, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let payload = ws.next_result(id).await;
        assert!(payload.get("errors").is_none(), "no errors: {payload}");
        let event = &payload["data"]["contentDraftEvents"];
        out.push((
            event["position"].as_i64().unwrap_or_else(|| panic!("a position: {event}")),
            event["node"]["id"].as_str().unwrap_or_default().to_owned(),
            event["node"]["content"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    out
}

/// The code of the error that ends subscription `id` (which then completes).
async fn refusal(ws: &mut WsClient, id: &str) -> String {
    let payload = ws.next_result(id).await;
    match ws.receive().await {
        Received::Message(m) if m["type"] == "complete" && m["id"] == id => {}
        other => panic!("subscription {id} completes after its error, got {other:?}"),
    }
    code(&payload).to_owned()
}

async fn update(app: &TestApp, who: &TestUser, id: &str, content: &str) -> Json {
    app.gql_as(
        Some(&who.token),
        "mutation($id: UUID!, $c: String!) { updateContentDraft(id: $id, input: { content: $c }) { id } }",
        json!({ "id": id, "c": content }),
    )
    .await
}

#[tokio::test]
async fn every_committed_change_has_its_event_numbered_per_user_and_a_refused_write_has_none() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let first = draft(&app, &ann, json!({ "content": "one" })).await;
    draft(&app, &bob, json!({ "content": "bob's" })).await;
    assert!(update(&app, &ann, &first, "two").await["errors"].is_null());
    // Refused: another user's draft, and a value out of range. Neither leaves an event.
    assert_eq!(code(&update(&app, &bob, &first, "bob was here").await), "NOT_FOUND");
    let bad = app
        .gql_as(
            Some(&ann.token),
            "mutation($id: UUID!) { updateContentDraft(id: $id, input: { feedbackScore: 7 }) { id } }",
            json!({ "id": first }),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");

    let anns = stored_positions(&app, &ann).await;
    assert_eq!(anns.len(), 2, "a create and an update: {anns:?}");
    assert_eq!(anns[1], anns[0] + 1, "one user's positions follow each other");
    assert_eq!(stored_positions(&app, &bob).await.len(), 1);
    // Positions are the user's own: all of Ann's events, whatever the table, count from 1 on.
    let all = app
        .test_db
        .rows("SELECT position FROM event_outbox WHERE user_id = $1 ORDER BY position", vec![ann.id.into()])
        .await;
    let all: Vec<i64> = all.iter().map(|r| r.try_get_by_index::<i64>(0).expect("position")).collect();
    assert_eq!(all, (1..=all.len() as i64).collect::<Vec<_>>(), "no gaps, from 1");
}

#[tokio::test]
async fn a_subscriber_resumes_after_its_last_position_in_order_without_duplicates() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;

    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("1", RESUME, json!({ "a": 0 })).await;
    app.wait_for_receivers(2).await;
    let first = draft(&app, &ann, json!({ "content": "seen live" })).await;
    let seen = next_events(&mut ws, "1", 1).await;
    assert_eq!((seen[0].1.as_str(), seen[0].2.as_str()), (first.as_str(), "seen live"));
    let last_seen = seen[0].0;
    drop(ws);

    // While Ann is away: two of hers, one of Bob's.
    let second = draft(&app, &ann, json!({ "content": "missed 1" })).await;
    draft(&app, &bob, json!({ "content": "bob's" })).await;
    assert!(update(&app, &ann, &second, "missed 2").await["errors"].is_null());

    let mut ws = WsClient::open(app.addr, Protocol::Legacy, &ann.token).await;
    ws.subscribe("1", RESUME, json!({ "a": last_seen })).await;
    let missed = next_events(&mut ws, "1", 2).await;
    assert_eq!(
        missed.iter().map(|(p, id, c)| (*p, id.as_str(), c.as_str())).collect::<Vec<_>>(),
        vec![(last_seen + 1, second.as_str(), "missed 1"), (last_seen + 2, second.as_str(), "missed 2")]
    );
    // Then live, and nothing twice.
    app.wait_for_receivers(2).await;
    let third = draft(&app, &ann, json!({ "content": "live again" })).await;
    let live = next_events(&mut ws, "1", 1).await;
    assert_eq!((live[0].0, live[0].1.as_str()), (last_seen + 3, third.as_str()));
    assert!(ws.receive_within(QUIET).await.is_none(), "no duplicate and no event of Bob's");
}

#[tokio::test]
async fn resuming_another_users_events_answers_as_for_a_user_without_any() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    draft(&app, &ann, json!({ "content": "ann's secret" })).await;

    for user in [ann.id, Uuid::new_v4()] {
        let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &bob.token).await;
        // Far ahead of Ann's latest position: for a user of one's own it is refused; here, as
        // for a user who does not exist, nothing is said and nothing comes.
        for after in [0, 1_000] {
            ws.subscribe(&after.to_string(), RESUME, json!({ "a": after, "u": user })).await;
        }
        assert!(ws.receive_within(QUIET).await.is_none(), "nothing of {user} reaches Bob");
        draft(&app, &ann, json!({ "content": "ann's next" })).await;
        assert!(ws.receive_within(QUIET).await.is_none(), "nothing of {user} reaches Bob live");
    }
}

#[tokio::test]
async fn a_position_past_the_latest_or_past_the_retention_window_is_refused_with_a_code() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    draft(&app, &ann, json!({})).await;
    draft(&app, &ann, json!({})).await;
    let latest = *stored_positions(&app, &ann).await.last().expect("events");

    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("ahead", RESUME, json!({ "a": latest + 5 })).await;
    assert_eq!(refusal(&mut ws, "ahead").await, "BAD_USER_INPUT");
    ws.subscribe("negative", RESUME, json!({ "a": -1 })).await;
    assert_eq!(refusal(&mut ws, "negative").await, "BAD_USER_INPUT");

    // A day later the retention job has run: the events are gone, and resuming says so.
    let tomorrow = chrono::Utc::now() + chrono::Duration::hours(25);
    let settings = Settings { event_retention_hours: 24, ..Settings::default() };
    let bus = creatorpulse::events::local::LocalBus::new(1);
    let ran = jobs::run_with(&app.state.db, &bus, Job::PurgeEvents, "t", tomorrow, &settings).await.expect("runs");
    assert!(matches!(ran, jobs::Outcome::Ran { rows } if rows >= 2), "{ran:?}");
    assert!(stored_positions(&app, &ann).await.is_empty());
    ws.subscribe("old", RESUME, json!({ "a": 0 })).await;
    assert_eq!(refusal(&mut ws, "old").await, "EVENTS_EXPIRED");
    // From the latest position on, nothing was lost: that resumes.
    ws.subscribe("now", RESUME, json!({ "a": latest })).await;
    app.wait_for_receivers(2).await;
    let next = draft(&app, &ann, json!({ "content": "after the purge" })).await;
    let got = next_events(&mut ws, "now", 1).await;
    assert_eq!((got[0].0, got[0].1.as_str()), (latest + 1, next.as_str()));
}

#[tokio::test]
async fn the_outbox_goes_with_the_account() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    draft(&app, &ann, json!({})).await;
    draft(&app, &bob, json!({})).await;
    let deleted = app
        .gql_as(Some(&ann.token), "mutation($p: String) { deleteMyAccount(password: $p) }", json!({ "p": PASSWORD }))
        .await;
    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");
    for table in ["event_outbox", "event_positions"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1");
        assert_eq!(app.test_db.count(&sql, vec![ann.id.into()]).await, 0, "{table}");
        assert!(app.test_db.count(&sql, vec![bob.id.into()]).await > 0, "Bob keeps his {table}");
    }
}

/// A create, an update and a delete each go out as one statement with their event on
/// PostgreSQL (the write, guarded by the owner condition, and the outbox in one), and another
/// user's row is refused by that same statement. Publishing (`NOTIFY`) goes in batches, apart
/// from any request, and is not counted.
#[tokio::test]
async fn a_write_and_its_event_are_one_statement_on_postgresql() {
    let (app, statements) = TestApp::spawn_recording_statements().await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("1", RESUME, json!({ "a": 0 })).await;
    app.wait_for_receivers(2).await;
    // The first request of a user reads what the server remembers of them.
    draft(&app, &ann, json!({ "content": "warm" })).await;
    update(&app, &bob, &Uuid::new_v4().to_string(), "warm").await;
    next_events(&mut ws, "1", 1).await;

    statements.take();
    let id = draft(&app, &ann, json!({ "content": "one" })).await;
    let create = statements.take();
    assert!(update(&app, &ann, &id, "two").await["errors"].is_null());
    let change = statements.take();
    assert_eq!(code(&update(&app, &bob, &id, "bob's").await), "NOT_FOUND");
    let refused = statements.take();
    let delete =
        app.gql_as(Some(&ann.token), "mutation($id: UUID!) { deleteContentDraft(id: $id) }", json!({ "id": id })).await;
    assert!(delete["errors"].is_null(), "{delete}");
    let gone = statements.take();
    let events: Vec<_> = next_events(&mut ws, "1", 3).await.into_iter().map(|(_, _, c)| c).collect();
    assert_eq!(events, ["one", "two", "two"], "created, updated, deleted");

    let own = |sent: Vec<String>| -> Vec<String> {
        sent.into_iter().filter(|s| !s.starts_with("SELECT pg_notify")).collect()
    };
    let (create, change, refused, gone) = (own(create), own(change), own(refused), own(gone));
    if app.test_db.is_postgres() {
        for (what, sent) in [("create", &create), ("update", &change), ("refused update", &refused), ("delete", &gone)]
        {
            assert_eq!(sent.len(), 1, "{what}: {sent:#?}");
        }
        assert!(change[0].starts_with("WITH w AS (UPDATE"), "{change:?}");
    } else {
        // SQLite has no writing CTEs: a transaction with the write and its event.
        assert!(change.len() <= 6, "{change:#?}");
    }
}

/// An instance that stops between a commit and the publication of its events leaves them only
/// in the outbox: a resuming subscriber still gets them, after a quiet spell at the latest.
#[tokio::test]
async fn an_event_committed_but_never_published_reaches_a_resuming_subscriber() {
    use creatorpulse::events::{self, ChangeKind, outbox};
    use sea_orm::{EntityTrait, TransactionTrait};
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("1", RESUME, json!({ "a": 0 })).await;
    app.wait_for_receivers(2).await;

    let id = crate::fixtures::stored_draft(&app.test_db, ann.id, "pending", chrono::Utc::now(), vec![]).await;
    let row = entity::content_drafts::Entity::find_by_id(id).one(&app.state.db).await.expect("read").expect("row");
    let txn = app.state.db.begin().await.expect("begin");
    let changes = events::changes::<entity::content_drafts::Entity>(ChangeKind::Created, [&row]);
    outbox::record(&txn, changes).await.expect("recorded");
    txn.commit().await.expect("committed");
    // Never published: no `deliver`.

    let started = std::time::Instant::now();
    let mut got = None;
    while got.is_none() && started.elapsed() < Duration::from_secs(25) {
        if let Some(Received::Message(m)) = ws.receive_within(Duration::from_secs(2)).await {
            got = Some(m["payload"]["data"]["contentDraftEvents"]["node"]["id"].clone());
        }
    }
    assert_eq!(got, Some(Json::from(id.to_string())), "the unpublished event arrived");
}

/// Updates that wait for a writer go out as one statement (PostgreSQL), and each still gets its
/// own answer: its row, its event at its owner's next position, or its own refusal. When the
/// database refuses the combined statement (here a trigger refuses one write), each write runs
/// alone, so only the refused one fails and nothing of it is written.
#[tokio::test]
async fn updates_that_wait_go_out_together_and_each_gets_its_own_answer() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let (app, statements) = TestApp::spawn_recording_statements().await;
    let app = std::sync::Arc::new(app);
    let mut users = Vec::new();
    let mut drafts = Vec::new();
    for _ in 0..6 {
        let user = app.sign_up(&email()).await;
        drafts.push(draft(&app, &user, json!({ "content": "first" })).await);
        users.push(user);
    }
    let users = std::sync::Arc::new(users);
    let postgres = app.test_db.is_postgres();
    if postgres {
        let refuse = "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                      IF NEW.content = 'boom' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$";
        app.test_db.db.execute_unprepared(refuse).await.expect("function");
        app.test_db
            .db
            .execute_unprepared(
                "CREATE TRIGGER refuse_boom BEFORE UPDATE ON content_drafts FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
            )
            .await
            .expect("trigger");
    }
    let send = |who: usize, draft: usize, content: String| {
        let (app, users, id) = (app.clone(), users.clone(), drafts[draft].clone());
        tokio::spawn(async move {
            app.gql_as(
                Some(&users[who].token),
                "mutation($id: UUID!, $c: String!) { updateContentDraft(id: $id, input: { content: $c }) { id content } }",
                json!({ "id": id, "c": content }),
            )
            .await
        })
    };

    for round in ["second", "third"] {
        let text = |n: usize| match (round, n) {
            ("third", 3) if postgres => "boom".to_owned(),
            _ => format!("{round} of {n}"),
        };
        statements.take();
        // On PostgreSQL both writers wait for rows locked here, and the other writes wait for
        // them; once the rows are free, the waiting writes go out together.
        let lock = match postgres {
            true => {
                let txn = app.test_db.db.begin().await.expect("begin");
                let sql =
                    format!("SELECT 1 FROM content_drafts WHERE id IN ('{}', '{}') FOR UPDATE", drafts[0], drafts[1]);
                txn.execute_unprepared(&sql).await.expect("lock");
                Some(txn)
            }
            false => None,
        };
        let mut sent = vec![send(0, 0, text(0)), send(1, 1, text(1))];
        tokio::time::sleep(Duration::from_millis(300)).await;
        sent.extend((2..6).map(|n| send(n, n, text(n))));
        // Another user's draft, among them: not found, and nothing written.
        let foreign = send(2, 5, format!("{round} by a stranger"));
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        if let Some(txn) = lock {
            txn.commit().await.expect("unlock");
        }
        assert_eq!(code(&foreign.await.expect("answered")), "NOT_FOUND");
        for (n, answer) in sent.into_iter().enumerate() {
            let answer = answer.await.expect("answered");
            if text(n) == "boom" {
                assert_eq!(code(&answer), "INTERNAL", "{answer}");
                continue;
            }
            let written = &answer["data"]["updateContentDraft"];
            assert_eq!(written["id"], drafts[n].as_str(), "{answer}");
            assert_eq!(written["content"], text(n), "each write answers its own row: {answer}");
        }
        if postgres {
            let sent = statements.take();
            let together = sent.iter().filter(|s| s.contains("event_item")).count();
            assert!(together >= 1, "waiting writes went out as one statement: {sent:#?}");
        }
    }

    for (n, user) in users.iter().enumerate() {
        let events = stored_events(&app, user).await;
        let contents: Vec<&str> =
            events.iter().map(|(_, event)| event["row"]["content"].as_str().unwrap_or_default()).collect();
        let mut expected = vec!["first".to_owned(), format!("second of {n}")];
        if n != 3 || !postgres {
            expected.push(format!("third of {n}"));
        }
        assert_eq!(contents, expected, "user {n}: one event per write that committed, in order");
        let positions: Vec<i64> = events.iter().map(|(p, _)| *p).collect();
        assert_eq!(positions, (1..=positions.len() as i64).collect::<Vec<_>>(), "user {n}: no gaps");
        let content = app
            .test_db
            .rows(
                "SELECT content FROM content_drafts WHERE id = $1",
                vec![drafts[n].parse::<Uuid>().expect("id").into()],
            )
            .await;
        assert_eq!(content[0].try_get_by_index::<String>(0).expect("content"), expected[expected.len() - 1]);
    }
}
