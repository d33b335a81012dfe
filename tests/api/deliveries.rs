//! Deliveries at each creator's local time, sent once: a fake clock across time zones and
//! daylight-saving changes, two instances making each delivery once, email to an SMTP server
//! inside the test (HTML and text parts, open and unsubscribe links), push through a webhook
//! receiver checking the signature, failures retried, the opened link tampered with and
//! replayed, and the owner alone marking a delivery opened.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use creatorpulse::schedule;
use creatorpulse::workers::Running;
use hmac::Mac as _;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::fixtures::email;
use crate::helpers::{TestApp, TestUser, code};

/// An SMTP server inside the test: it takes every message (or refuses the next `fail` ones
/// with 451) and keeps them.
#[derive(Clone, Default)]
struct SmtpServer {
    messages: Arc<Mutex<Vec<String>>>,
    fail: Arc<AtomicUsize>,
}

impl SmtpServer {
    async fn start() -> (Self, SocketAddr) {
        let server = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepting = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(accepting.clone().session(stream));
            }
        });
        (server, addr)
    }

    async fn session(self, stream: tokio::net::TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 test ESMTP\r\n").await;
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
                "HELO" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
                "MAIL" => {
                    if self.fail.load(Ordering::SeqCst) > 0 {
                        self.fail.fetch_sub(1, Ordering::SeqCst);
                        b"451 try again later\r\n"
                    } else {
                        b"250 OK\r\n"
                    }
                }
                "DATA" => {
                    let _ = write.write_all(b"354 go on\r\n").await;
                    let mut data = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        if line == "." {
                            break;
                        }
                        data.push_str(&line);
                        data.push('\n');
                    }
                    self.messages.lock().expect("messages").push(data);
                    b"250 queued\r\n"
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => b"502 not here\r\n",
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }

    /// The messages, with quoted-printable parts decoded (soft line breaks joined).
    fn messages(&self) -> Vec<String> {
        self.messages.lock().expect("messages").iter().map(|m| quoted_printable(m)).collect()
    }
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A webhook receiver: (signature header, body) of each POST.
type Posts = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

async fn webhook_receiver() -> (Posts, String) {
    let posts = Posts::default();
    let keep = posts.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let keep = keep.clone();
            async move {
                let signature =
                    headers.get("x-creatorpulse-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
                keep.lock().expect("posts").push((signature.to_owned(), body.to_vec()));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("webhook receiver") });
    (posts, format!("http://{addr}/hook"))
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

async fn app_with_smtp(smtp: SocketAddr) -> TestApp {
    TestApp::spawn_with(|c| {
        c.smtp_url = Some(creatorpulse::config::Secret::new(format!("smtp://{smtp}")));
        c.smtp_from = "CreatorPulse <drafts@example.com>".into();
        c.job_poll_ms = 20;
    })
    .await
}

/// Sets `who`'s time zone and delivery preferences (`prefs` is an update input).
async fn prepare(app: &TestApp, who: &TestUser, zone: &str, prefs: Value) {
    let me = app.gql_as(Some(&who.token), "{ me { profile { id } deliveryPreference { id } } }", json!({})).await;
    let profile = &me["data"]["me"]["profile"]["id"];
    let zone = app
        .gql_as(
            Some(&who.token),
            "mutation($id: UUID!, $z: String) { updateCreatorProfile(id: $id, input: { timezone: $z }) { id } }",
            json!({ "id": profile, "z": zone }),
        )
        .await;
    assert!(zone["errors"].is_null(), "{zone}");
    let updated = app
        .gql_as(
            Some(&who.token),
            "mutation($id: UUID!, $i: UpdateDeliveryPreferenceInput!) { updateDeliveryPreference(id: $id, input: $i) { id } }",
            json!({ "id": me["data"]["me"]["deliveryPreference"]["id"], "i": prefs }),
        )
        .await;
    assert!(updated["errors"].is_null(), "{updated}");
}

async fn draft(app: &TestApp, who: &TestUser, content: &str, platform: &str) {
    let body = app
        .gql_as(
            Some(&who.token),
            "mutation($c: String!, $p: Platform!) { createContentDraft(input: { platform: $p, contentType: THREAD, content: $c }) { id } }",
            json!({ "c": content, "p": platform }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

const DELIVERIES: &str = "{ dailyDeliveries(orderBy: [{ field: DELIVERY_DATE }]) { nodes { id deliveryDate deliveryStatus \
    deliveryChannel contentDraftIds errorMessage deliveredAt openedAt contentDrafts { content } } } }";

async fn deliveries(app: &TestApp, who: &TestUser) -> Vec<Value> {
    let body = app.gql_as(Some(&who.token), DELIVERIES, json!({})).await;
    body["data"]["dailyDeliveries"]["nodes"].as_array().cloned().unwrap_or_else(|| panic!("{body}"))
}

/// Waits (at most 20 s) until no delivery job is queued or running.
async fn sent(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let pending = "SELECT COUNT(*) FROM jobs WHERE queue = 'delivery' AND status IN ('queued', 'running')";
    while app.test_db.count(pending, vec![]).await > 0 {
        assert!(Instant::now() < deadline, "deliveries never went out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn link<'a>(message: &'a str, label: &str) -> &'a str {
    let start = message.find(label).unwrap_or_else(|| panic!("{label} in {message}")) + label.len();
    message[start..].split_whitespace().next().expect("a link")
}

/// The path of a link (the test server's address differs from the configured one).
fn path(url: &str) -> String {
    url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).expect("a path")
}

#[tokio::test]
async fn each_creator_gets_one_delivery_at_their_local_time_on_their_days_by_email() {
    let (smtp, addr) = SmtpServer::start().await;
    let app = app_with_smtp(addr).await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let prefs = json!({ "deliveryTime": "08:00:00", "deliveryDays": ["monday", "wednesday"], "pushNotificationsEnabled": false, "platforms": ["twitter"] });
    prepare(&app, &ann, "Europe/Berlin", prefs.clone()).await;
    prepare(&app, &bob, "America/New_York", prefs).await;
    draft(&app, &ann, "Shipping beats planning <really>", "TWITTER").await;
    draft(&app, &ann, "Second draft", "TWITTER").await;
    draft(&app, &ann, "Not on a platform ann gets", "LINKEDIN").await;
    draft(&app, &bob, "Bob's LinkedIn draft", "LINKEDIN").await;

    // Monday 7 December 2026: 08:00 in Berlin is 07:00 UTC, in New York 13:00 UTC.
    let early = schedule::tick(&app.state, at("2026-12-07T06:59:00Z")).await.expect("tick");
    let berlin = schedule::tick(&app.state, at("2026-12-07T07:00:00Z")).await.expect("tick");
    let again = schedule::tick(&app.state, at("2026-12-07T09:00:00Z")).await.expect("tick");
    let new_york = schedule::tick(&app.state, at("2026-12-07T13:00:00Z")).await.expect("tick");
    let tuesday = schedule::tick(&app.state, at("2026-12-08T20:00:00Z")).await.expect("tick");
    let workers = Running::start(&app.state, 2);
    sent(&app).await;
    workers.stop().await;

    assert_eq!((early, berlin, again, new_york, tuesday), (0, 1, 0, 1, 0));
    let anns = deliveries(&app, &ann).await;
    assert_eq!(anns.len(), 1, "{anns:?}");
    let delivery = &anns[0];
    assert_eq!(delivery["deliveryDate"], "2026-12-07");
    assert_eq!(delivery["deliveryStatus"], "DELIVERED", "{delivery}");
    assert_eq!(delivery["deliveryChannel"], "EMAIL");
    assert!(delivery["deliveredAt"].is_string() && delivery["openedAt"].is_null());
    let contents: Vec<&str> =
        delivery["contentDrafts"].as_array().expect("drafts").iter().filter_map(|d| d["content"].as_str()).collect();
    assert_eq!(contents, ["Second draft", "Shipping beats planning <really>"], "newest first, ann's platforms only");
    let bobs = deliveries(&app, &bob).await;
    assert_eq!(bobs[0]["deliveryStatus"], "SKIPPED", "{bobs:?}");
    assert!(bobs[0]["errorMessage"].as_str().is_some_and(|e| e.contains("no drafts")), "{bobs:?}");

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "one email, to ann");
    let message = &messages[0];
    assert!(message.contains("Subject: Your CreatorPulse drafts for 2026-12-07"), "{message}");
    assert!(message.contains("Content-Type: multipart/alternative"), "{message}");
    assert!(message.contains("Content-Type: text/plain") && message.contains("Content-Type: text/html"), "{message}");
    assert!(message.contains("Shipping beats planning &lt;really&gt;"), "escaped in HTML: {message}");
    assert!(message.contains("List-Unsubscribe: <"), "{message}");
    assert!(message.contains("/deliveries/open/") && message.contains("/deliveries/unsubscribe/"), "{message}");
}

#[tokio::test]
async fn daylight_saving_changes_neither_skip_nor_repeat_a_delivery() {
    let (_smtp, addr) = SmtpServer::start().await;
    let app = app_with_smtp(addr).await;
    let ann = app.sign_up(&email()).await;
    prepare(&app, &ann, "Europe/Berlin", json!({ "deliveryTime": "02:30:00", "deliveryDays": ["sunday"] })).await;

    // 29 March 2026: 02:00 jumps to 03:00; 02:30 does not exist, the delivery comes at 03:00 (01:00 UTC).
    let before_gap = schedule::tick(&app.state, at("2026-03-29T00:59:00Z")).await.expect("tick");
    let after_gap = schedule::tick(&app.state, at("2026-03-29T01:00:00Z")).await.expect("tick");
    let later = schedule::tick(&app.state, at("2026-03-29T05:00:00Z")).await.expect("tick");
    // 25 October 2026: 03:00 goes back to 02:00; 02:30 happens twice, the delivery comes at the first.
    let before = schedule::tick(&app.state, at("2026-10-25T00:29:00Z")).await.expect("tick");
    let first = schedule::tick(&app.state, at("2026-10-25T00:30:00Z")).await.expect("tick");
    let second = schedule::tick(&app.state, at("2026-10-25T01:30:00Z")).await.expect("tick");

    assert_eq!((before_gap, after_gap, later), (0, 1, 0));
    assert_eq!((before, first, second), (0, 1, 0));
    let dates: Vec<Value> = deliveries(&app, &ann).await.iter().map(|d| d["deliveryDate"].clone()).collect();
    assert_eq!(dates, [json!("2026-03-29"), json!("2026-10-25")]);
}

#[tokio::test]
async fn two_instances_make_and_send_each_delivery_once() {
    let (smtp, addr) = SmtpServer::start().await;
    let app = app_with_smtp(addr).await;
    let peer = app
        .spawn_peer_with(|c| {
            c.smtp_url = Some(creatorpulse::config::Secret::new(format!("smtp://{addr}")));
            c.job_poll_ms = 20;
        })
        .await;
    let ann = app.sign_up(&email()).await;
    prepare(&app, &ann, "UTC", json!({ "deliveryDays": ["monday"], "pushNotificationsEnabled": false })).await;
    draft(&app, &ann, "A draft", "TWITTER").await;
    let (here, there) = (Running::start(&app.state, 2), Running::start(&peer.state, 2));

    let now = at("2026-12-07T09:00:00Z");
    let (a, b) = tokio::join!(schedule::tick(&app.state, now), schedule::tick(&peer.state, now));
    sent(&app).await;
    here.stop().await;
    there.stop().await;

    assert_eq!(a.expect("tick") + b.expect("tick"), 1, "made once");
    assert_eq!(deliveries(&app, &ann).await.len(), 1);
    assert_eq!(smtp.messages().len(), 1, "sent once");
}

#[tokio::test]
async fn a_failed_send_is_recorded_and_retried_and_a_missing_channel_says_so() {
    let (smtp, addr) = SmtpServer::start().await;
    smtp.fail.store(1, Ordering::SeqCst);
    let app = app_with_smtp(addr).await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    // Ann: email only, the server refuses once. Bob: push, and no webhook is configured.
    prepare(&app, &ann, "UTC", json!({ "deliveryDays": ["monday"], "pushNotificationsEnabled": false })).await;
    prepare(&app, &bob, "UTC", json!({ "deliveryDays": ["monday"], "emailEnabled": false })).await;
    draft(&app, &ann, "A draft", "TWITTER").await;
    draft(&app, &bob, "B draft", "TWITTER").await;
    schedule::tick(&app.state, at("2026-12-07T09:00:00Z")).await.expect("tick");
    let workers = Running::start(&app.state, 2);

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen_failed = None;
    loop {
        let anns = deliveries(&app, &ann).await;
        if anns[0]["deliveryStatus"] == "FAILED" {
            seen_failed = Some(anns[0].clone());
        }
        if anns[0]["deliveryStatus"] == "DELIVERED" {
            break;
        }
        assert!(Instant::now() < deadline, "never delivered: {anns:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let bobs = loop {
        let bobs = deliveries(&app, &bob).await;
        if bobs[0]["deliveryStatus"] == "FAILED" {
            break bobs;
        }
        assert!(Instant::now() < deadline, "bob's never failed: {bobs:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    workers.stop().await;

    let failed = seen_failed.expect("the first attempt failed visibly");
    assert!(
        failed["errorMessage"].as_str().is_some_and(|e| e.contains("email: the SMTP server answered 451")),
        "{failed}"
    );
    assert_eq!(smtp.messages().len(), 1, "delivered on the second attempt, once");
    assert!(deliveries(&app, &ann).await[0]["errorMessage"].is_null());
    assert!(
        bobs[0]["errorMessage"].as_str().is_some_and(|e| e.contains("push: no delivery webhook is configured")),
        "{bobs:?}"
    );
}

#[tokio::test]
async fn push_goes_to_the_webhook_signed() {
    let (posts, url) = webhook_receiver().await;
    let app = TestApp::spawn_with(|c| {
        c.delivery_webhook_url = Some(url);
        c.delivery_webhook_secret = Some(creatorpulse::config::Secret::new("hook-secret"));
        c.job_poll_ms = 20;
    })
    .await;
    let ann = app.sign_up(&email()).await;
    prepare(
        &app,
        &ann,
        "UTC",
        json!({ "deliveryDays": ["monday"], "emailEnabled": false, "whatsappEnabled": true, "whatsappNumber": "+4915100000000" }),
    )
    .await;
    draft(&app, &ann, "Pushed draft", "TWITTER").await;
    schedule::tick(&app.state, at("2026-12-07T09:00:00Z")).await.expect("tick");
    let workers = Running::start(&app.state, 1);
    sent(&app).await;
    workers.stop().await;

    let posts = posts.lock().expect("posts").clone();
    assert_eq!(posts.len(), 2, "push and WhatsApp");
    for (signature, body) in &posts {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"hook-secret").expect("key");
        mac.update(body);
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(signature, &format!("sha256={expected}"));
    }
    let bodies: Vec<Value> = posts.iter().map(|(_, b)| serde_json::from_slice(b).expect("JSON")).collect();
    assert_eq!(bodies[0]["channel"], "push");
    assert_eq!(bodies[1]["channel"], "whatsapp");
    assert_eq!(bodies[1]["whatsappNumber"], "+4915100000000");
    assert_eq!(bodies[0]["drafts"][0]["content"], "Pushed draft");
    let delivery = &deliveries(&app, &ann).await[0];
    assert_eq!(delivery["deliveryStatus"], "DELIVERED");
    assert_eq!(delivery["deliveryChannel"], "PUSH");
}

#[tokio::test]
async fn the_opened_link_counts_once_reveals_nothing_and_only_the_owner_marks_a_delivery_opened() {
    let (smtp, addr) = SmtpServer::start().await;
    let app = app_with_smtp(addr).await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    prepare(&app, &ann, "UTC", json!({ "deliveryDays": ["monday"], "pushNotificationsEnabled": false })).await;
    draft(&app, &ann, "A draft", "TWITTER").await;
    schedule::tick(&app.state, at("2026-12-07T09:00:00Z")).await.expect("tick");
    let workers = Running::start(&app.state, 1);
    sent(&app).await;
    workers.stop().await;
    let message = smtp.messages().pop().expect("the email");
    let opened = path(link(&message, "Review them: "));
    let unsubscribe = path(link(&message, "No more emails: "));
    let id = deliveries(&app, &ann).await[0]["id"].clone();

    let client = reqwest::Client::new();
    let get = |p: String| {
        let (client, url) = (client.clone(), app.url(&p));
        async move {
            let response = client.get(url).send().await.expect("sent");
            let status = response.status();
            let kind =
                response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            (status, kind, response.bytes().await.expect("body").to_vec())
        }
    };
    let mut tampered = opened.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("text");
    let forged = get(tampered.clone()).await;
    let forged_image = get(format!("{tampered}.gif")).await;
    let after_forged = deliveries(&app, &ann).await[0]["openedAt"].clone();
    let first = get(opened.clone()).await;
    let at_first = deliveries(&app, &ann).await[0]["openedAt"].clone();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let replay = get(opened.clone()).await;
    let image = get(format!("{opened}.gif")).await;
    let after_replay = deliveries(&app, &ann).await[0]["openedAt"].clone();
    let by_bob = app
        .gql_as(
            Some(&bob.token),
            "mutation($id: UUID!) { markDeliveryOpened(id: $id) { openedAt } }",
            json!({ "id": id }),
        )
        .await;
    let by_ann = app
        .gql_as(
            Some(&ann.token),
            "mutation($id: UUID!) { markDeliveryOpened(id: $id) { openedAt } }",
            json!({ "id": id }),
        )
        .await;
    let unknown = app
        .gql_as(
            Some(&bob.token),
            "mutation($id: UUID!) { markDeliveryOpened(id: $id) { openedAt } }",
            json!({ "id": uuid::Uuid::new_v4() }),
        )
        .await;
    get(unsubscribe).await;
    let prefs = app.gql_as(Some(&ann.token), "{ me { deliveryPreference { emailEnabled } } }", json!({})).await;

    assert!(after_forged.is_null(), "a tampered link opens nothing");
    assert!(at_first.is_string(), "the link records the opening");
    assert_eq!(after_replay, at_first, "a replay changes nothing");
    assert_eq!(forged, first, "a tampered link answers as a valid one");
    assert_eq!(replay, first);
    assert_eq!(forged_image, image, "the image is the same for any token");
    assert_eq!(image.1, "image/gif");
    assert_eq!(code(&by_bob), "NOT_FOUND", "{by_bob}");
    assert_eq!(by_bob["errors"][0]["message"], unknown["errors"][0]["message"], "like a delivery that does not exist");
    assert_eq!(by_ann["data"]["markDeliveryOpened"]["openedAt"], at_first, "the first opening stands");
    assert_eq!(prefs["data"]["me"]["deliveryPreference"]["emailEnabled"], false, "unsubscribed");
}

#[tokio::test]
async fn time_zones_and_days_are_checked_when_written() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    let me = app.gql_as(Some(&ann.token), "{ me { profile { id } deliveryPreference { id } } }", json!({})).await;
    let zone = app
        .gql_as(
            Some(&ann.token),
            "mutation($id: UUID!) { updateCreatorProfile(id: $id, input: { timezone: \"Mars/Olympus_Mons\" }) { id } }",
            json!({ "id": me["data"]["me"]["profile"]["id"] }),
        )
        .await;
    let days = app
        .gql_as(
            Some(&ann.token),
            "mutation($id: UUID!) { updateDeliveryPreference(id: $id, input: { deliveryDays: [\"funday\"] }) { id } }",
            json!({ "id": me["data"]["me"]["deliveryPreference"]["id"] }),
        )
        .await;

    assert_eq!(code(&zone), "BAD_USER_INPUT", "{zone}");
    assert_eq!(zone["errors"][0]["extensions"]["field"], "timezone");
    assert_eq!(code(&days), "BAD_USER_INPUT", "{days}");
    assert_eq!(days["errors"][0]["extensions"]["field"], "deliveryDays");
}

#[tokio::test]
async fn a_delivery_streams_live_to_its_owner_only() {
    let (_smtp, addr) = SmtpServer::start().await;
    let app = app_with_smtp(addr).await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    prepare(&app, &ann, "UTC", json!({ "deliveryDays": ["monday"], "pushNotificationsEnabled": false })).await;
    prepare(&app, &bob, "UTC", json!({ "deliveryDays": ["sunday"] })).await;
    draft(&app, &ann, "A draft", "TWITTER").await;
    let query = "subscription { dailyDeliveryEvents { kind node { deliveryStatus } } }";
    let mut anns =
        crate::ws_client::WsClient::open(app.addr, crate::ws_client::Protocol::TransportWs, &ann.token).await;
    let mut bobs =
        crate::ws_client::WsClient::open(app.addr, crate::ws_client::Protocol::TransportWs, &bob.token).await;
    anns.subscribe("d", query, json!({})).await;
    bobs.subscribe("d", query, json!({})).await;
    app.wait_for_receivers(4).await;

    schedule::tick(&app.state, at("2026-12-07T09:00:00Z")).await.expect("tick");
    let workers = Running::start(&app.state, 1);
    sent(&app).await;
    workers.stop().await;
    let mut seen = Vec::new();
    while let Some(crate::ws_client::Received::Message(m)) = anns.receive_within(Duration::from_secs(2)).await {
        let event = &m["payload"]["data"]["dailyDeliveryEvents"];
        seen.push(format!(
            "{} {}",
            event["kind"].as_str().unwrap_or_default(),
            event["node"]["deliveryStatus"].as_str().unwrap_or_default()
        ));
        if event["node"]["deliveryStatus"] == "DELIVERED" {
            break;
        }
    }
    let bob_saw = bobs.receive_within(Duration::from_millis(500)).await;

    assert_eq!(seen.first().map(String::as_str), Some("CREATED PENDING"), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("UPDATED DELIVERED"), "{seen:?}");
    assert!(bob_saw.is_none(), "bob sees nothing of ann's: {bob_saw:?}");
}
