//! PostgreSQL restarted (fast, then immediate) and stopped for ten seconds under a write load,
//! on a throwaway server of the test's own: no acknowledged write is lost, requests during the
//! outage fail fast with `UNAVAILABLE`, `/readyz` says so, the server serves again within five
//! seconds of the database returning (without a restart), and a subscriber that resumes by
//! position receives every acknowledged write's event, in order, once.
//!
//! Runs with the PostgreSQL suite (`TEST_DATABASE_URL` set), and with `FAULT_REPORT=1`, which
//! also prints the figures (`bench/faults.sh`).
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::helpers::{TestApp, TestDb, code};
use crate::pg_server::PgServer;
use crate::ws_client::{Protocol, Received, WsClient};

const CREATE: &str = "mutation($c: String!) { createContentDraft(input: { platform: TWITTER, contentType: SINGLE_TWEET, content: $c }) { id } }";
const WRITERS: usize = 4;
/// A request that takes longer than this hangs, for this test.
const HANG: Duration = Duration::from_secs(8);

#[derive(Default)]
struct Load {
    acknowledged: Mutex<Vec<String>>,
    /// Each refusal's code and how long it took.
    refused: Mutex<Vec<(String, Duration)>>,
    /// When the last write was acknowledged.
    last_ok: Mutex<Option<Instant>>,
}

impl Load {
    fn note_ok(&self, id: String) {
        self.acknowledged.lock().expect("load").push(id);
        *self.last_ok.lock().expect("load") = Some(Instant::now());
    }
}

async fn write_once(client: &reqwest::Client, url: &str, token: &str, n: u64) -> Result<String, (String, Duration)> {
    let started = Instant::now();
    let body = json!({ "query": CREATE, "variables": { "c": format!("write {n}") } });
    let sent = client.post(url).bearer_auth(token).json(&body).timeout(HANG).send().await;
    let answer = match sent {
        Ok(response) => response.json::<Json>().await.map_err(|_| ("<no JSON>".to_owned(), started.elapsed()))?,
        Err(_) => return Err(("<hang>".to_owned(), started.elapsed())),
    };
    match answer["data"]["createContentDraft"]["id"].as_str() {
        Some(id) => Ok(id.to_owned()),
        None => Err((code(&answer).to_owned(), started.elapsed())),
    }
}

/// Waits for the first write acknowledged after `since`: how long it took from `since`.
async fn recovered(load: &Load, since: Instant) -> Duration {
    let deadline = since + Duration::from_secs(30);
    loop {
        if let Some(at) = *load.last_ok.lock().expect("load")
            && at > since
        {
            return at - since;
        }
        assert!(Instant::now() < deadline, "no write succeeded within 30 s of the database's return");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ready(app: &TestApp) -> (u16, Duration) {
    let started = Instant::now();
    let status = app.client.get(app.url("/readyz")).timeout(HANG).send().await.map_or(0, |r| r.status().as_u16());
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_survive_restarts_and_an_outage_and_a_resuming_subscriber_misses_nothing() {
    let report = std::env::var("FAULT_REPORT").is_ok();
    if std::env::var("TEST_DATABASE_URL").is_err() && !report {
        return; // A PostgreSQL test: it runs with the PostgreSQL suite (or `bench/faults.sh`).
    }
    let Some(pg) = PgServer::start().await else {
        assert!(std::env::var("REQUIRE_FAULT_TESTS").is_err(), "PostgreSQL's programs (initdb, pg_ctl) are needed");
        eprintln!("skipping: PostgreSQL's programs (initdb, pg_ctl) are not installed");
        return;
    };
    let test_db = TestDb::migrated_on(&pg.url(), Duration::from_secs(2)).await;
    let app = TestApp::spawn_over(test_db, |c| {
        c.rate_requests = "1000000/1m".parse().expect("rate");
        // Keep-alives many times over the test: the subscriber stays connected by answering them.
        c.ws_keepalive = 2;
    })
    .await;
    let ann = app.sign_up("ann@example.com").await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe("1", "subscription { contentDraftEvents(after: 0) { position node { id } } }", json!({})).await;
    app.wait_for_receivers(2).await;
    // The subscriber reads all along, as a dashboard does (answering keep-alives): what it saw,
    // and why it stopped if it did.
    let seen: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let subscriber = tokio::spawn({
        let seen = seen.clone();
        async move {
            loop {
                match ws.receive_within(Duration::from_secs(120)).await {
                    Some(Received::Message(m)) if m["type"] == "next" || m["type"] == "data" => {
                        if !m["payload"]["errors"].is_null() {
                            return format!("an error: {m}");
                        }
                        let event = &m["payload"]["data"]["contentDraftEvents"];
                        let (Some(position), Some(id)) = (event["position"].as_i64(), event["node"]["id"].as_str())
                        else {
                            return format!("an event without a position or an id: {m}");
                        };
                        seen.lock().expect("seen").push((position, id.to_owned()));
                    }
                    other => return format!("the subscription ended: {other:?}"),
                }
            }
        }
    });

    let load = Arc::new(Load::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (load, stop, url, token) = (load.clone(), stop.clone(), app.url("/graphql"), ann.token.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = w as u64 * 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                match write_once(&client, &url, &token, n).await {
                    Ok(id) => load.note_ok(id),
                    Err(refusal) => {
                        load.refused.lock().expect("load").push(refusal);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }));
    }
    let mut figures = BTreeMap::new();
    tokio::time::sleep(Duration::from_secs(1)).await;

    for mode in ["fast", "immediate"] {
        pg.stop(mode).await;
        pg.resume().await;
        let back = Instant::now();
        let took = recovered(&load, back).await;
        assert!(took <= Duration::from_secs(5), "serving again {took:?} after a {mode} restart");
        figures.insert(format!("recovery after the {mode} restart (ms)"), took.as_millis());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    pg.stop("fast").await;
    let down = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, readyz_took) = ready(&app).await;
    assert_eq!(status, 503, "/readyz while the database is down");
    assert!(readyz_took < Duration::from_secs(4), "/readyz answers at once: {readyz_took:?}");
    let refusals_before = load.refused.lock().expect("load").len();
    tokio::time::sleep(Duration::from_secs(10) - down.elapsed()).await;
    let during: Vec<(String, Duration)> = load.refused.lock().expect("load")[refusals_before..].to_vec();
    pg.resume().await;
    let back = Instant::now();
    let took = recovered(&load, back).await;
    assert!(took <= Duration::from_secs(5), "serving again {took:?} after ten seconds down");
    assert_eq!(ready(&app).await.0, 200, "/readyz once the database is back");
    figures.insert("recovery after 10 s down (ms)".into(), took.as_millis());
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("writer");
    }

    // During the outage every write was refused with the code, none hung.
    assert!(!during.is_empty(), "writes were tried while the database was down");
    let slowest = during.iter().map(|(_, took)| *took).max().unwrap_or_default();
    figures.insert("writes refused while down".into(), during.len() as u128);
    figures.insert("slowest refusal while down (ms)".into(), slowest.as_millis());
    assert!(slowest < Duration::from_secs(4), "a refusal took {slowest:?}");
    let refused = load.refused.lock().expect("load").clone();
    let codes: HashSet<&str> = refused.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, HashSet::from(["UNAVAILABLE"]), "every refusal says the database is unavailable");
    figures.insert("writes refused in all".into(), refused.len() as u128);

    // Every acknowledged write is there.
    let acknowledged = load.acknowledged.lock().expect("load").clone();
    figures.insert("writes acknowledged".into(), acknowledged.len() as u128);
    let stored: HashSet<String> = app
        .test_db
        .rows("SELECT id::text FROM content_drafts WHERE user_id = $1", vec![ann.id.into()])
        .await
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("id"))
        .collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    // Each stored draft has its event, and the subscriber gets them all, in order, once.
    let events = app
        .test_db
        .count(
            "SELECT COUNT(*) FROM event_outbox WHERE user_id = $1 AND payload LIKE '%\"content_drafts\"%'",
            vec![ann.id.into()],
        )
        .await;
    assert_eq!(events, stored.len() as i64, "one event per committed draft");
    let started = Instant::now();
    while seen.lock().expect("seen").len() < stored.len() {
        if subscriber.is_finished() {
            let ended = subscriber.await.expect("the subscriber");
            panic!("{ended}, with {} of {} events", seen.lock().expect("seen").len(), stored.len());
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the subscriber is still behind after 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    subscriber.abort();
    let seen = std::mem::take(&mut *seen.lock().expect("seen"));
    for pair in seen.windows(2) {
        assert!(pair[1].0 > pair[0].0, "in order, once: {} after {}", pair[1].0, pair[0].0);
    }
    let seen: HashSet<String> = seen.into_iter().map(|(_, id)| id).collect();
    assert_eq!(seen, stored, "the subscriber saw every committed draft");
    figures.insert("subscriber caught up after the load (ms)".into(), started.elapsed().as_millis());
    if report {
        for (what, value) in &figures {
            println!("{what}: {value}");
        }
    }
}
