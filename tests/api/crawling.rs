//! Sources crawled into trends: feeds served by an HTTP server inside the test (RSS, Atom,
//! YouTube-shaped Atom, malformed, huge, slow, failing, 304), trends written once per item,
//! outcomes and back-off on the source, one crawl across instances, politeness per host, AI
//! analysis through the in-harness provider, and trends ageing as a job.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use creatorpulse::workers::Running;
use serde_json::{Value, json};

use crate::ai_server::{AiServer, Answer};
use crate::fixtures::email;
use crate::helpers::{TestApp, TestUser};

/// What the feed server saw: (path, If-None-Match, when).
type Seen = Arc<Mutex<Vec<(String, Option<String>, Instant)>>>;

struct FeedServer {
    addr: SocketAddr,
    seen: Seen,
}

fn rss(now: DateTime<Utc>) -> String {
    let day = |hours: i64| (now - chrono::Duration::hours(hours)).to_rfc2822();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Indie news</title>
<item><title>Rust 2026 ships</title><link>https://news.example/rust-2026</link><description>&lt;p&gt;The &lt;b&gt;new&lt;/b&gt; edition &amp;amp; more&lt;/p&gt;</description><category>Rust</category><category>Programming</category><pubDate>{}</pubDate></item>
<item><title>Pricing your first plan</title><link>https://news.example/pricing</link><description>Talk to ten customers.</description><pubDate>{}</pubDate></item>
<item><title>Old news</title><link>https://news.example/old</link><description>Long ago.</description><pubDate>{}</pubDate></item>
<item><title>Ancient news</title><link>https://news.example/ancient</link><pubDate>{}</pubDate></item>
</channel></rss>"#,
        day(1),
        day(30),
        day(24 * 5),
        day(24 * 40),
    )
}

fn atom(now: DateTime<Utc>) -> String {
    let at = (now - chrono::Duration::hours(2)).to_rfc3339();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:blog</id><updated>{at}</updated>
<entry><title>Atom one</title><id>urn:blog:1</id><link href="https://blog.example/1"/><updated>{at}</updated><summary>First</summary></entry>
<entry><title>Atom two</title><id>urn:blog:2</id><updated>{at}</updated><content type="html">&lt;p&gt;Second&lt;/p&gt;</content></entry>
</feed>"#
    )
}

fn youtube(now: DateTime<Utc>) -> String {
    let at = (now - chrono::Duration::hours(3)).to_rfc3339();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=UCabc"/>
 <id>yt:channel:UCabc</id><yt:channelId>UCabc</yt:channelId><title>A channel</title>
 <published>{at}</published>
 <entry>
  <id>yt:video:vid1</id><yt:videoId>vid1</yt:videoId><yt:channelId>UCabc</yt:channelId>
  <title>How we grew to 10k users</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=vid1"/>
  <published>{at}</published><updated>{at}</updated>
  <media:group><media:title>How we grew to 10k users</media:title><media:description>Growth story, step by step.</media:description></media:group>
 </entry>
 <entry>
  <id>yt:video:vid2</id><yt:videoId>vid2</yt:videoId><yt:channelId>UCabc</yt:channelId>
  <title>Pricing teardown</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=vid2"/>
  <published>{at}</published><updated>{at}</updated>
  <media:group><media:title>Pricing teardown</media:title><media:description>Three pricing pages.</media:description></media:group>
 </entry>
</feed>"#
    )
}

async fn feed(State(seen): State<Seen>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let etag = headers.get("if-none-match").and_then(|v| v.to_str().ok()).map(str::to_owned);
    seen.lock().expect("seen").push((name.clone(), etag.clone(), Instant::now()));
    let now = Utc::now();
    let xml = |body: String| ([("content-type", "application/xml")], body).into_response();
    match name.as_str() {
        "rss" | "rss-b" if etag.as_deref() == Some("\"v1\"") => StatusCode::NOT_MODIFIED.into_response(),
        "rss" | "rss-b" => ([("content-type", "application/rss+xml"), ("etag", "\"v1\"")], rss(now)).into_response(),
        "atom" => xml(atom(now)),
        "youtube" => xml(youtube(now)),
        "malformed" => xml("<html><body>not a feed".into()),
        "huge" => xml(format!("<rss><channel>{}</channel></rss>", "<item><title>x</title></item>".repeat(10_000))),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            xml(atom(now))
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

impl FeedServer {
    async fn start() -> Self {
        let seen = Seen::default();
        let app = axum::Router::new().route("/{name}", axum::routing::get(feed)).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("feed server") });
        Self { addr, seen }
    }

    fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    fn hits(&self, name: &str) -> Vec<(Option<String>, Instant)> {
        self.seen.lock().expect("seen").iter().filter(|(n, ..)| n == name).map(|(_, e, t)| (e.clone(), *t)).collect()
    }
}

async fn app() -> TestApp {
    TestApp::spawn_with(|c| {
        c.crawl_allow_private_hosts = true;
        c.crawl_timeout = 1;
        c.crawl_max_bytes = 64 * 1024;
        c.crawl_host_interval_ms = 1;
        c.job_poll_ms = 20;
    })
    .await
}

const ADD: &str = "mutation($i: CreateContentSourceInput!) { createContentSource(input: $i) { id } }";
const SOURCES: &str = "{ contentSources(orderBy: [{ field: SOURCE_NAME }]) { nodes { id sourceName lastCrawlStatus \
    lastCrawlError lastCrawlItems crawlFailures lastCrawledAt nextCrawlAt } } }";
const TRENDS: &str = "{ trendInsights(first: 50, orderBy: [{ field: TREND_TOPIC }]) { totalCount nodes { trendTopic \
    trendDescription confidenceScore momentumScore relevantKeywords sourceEvidence contentOpportunities trendCategory status } } }";

async fn add(app: &TestApp, who: &TestUser, name: &str, kind: &str, url: Option<String>, priority: i32) -> String {
    let input = json!({
        "sourceType": kind,
        "sourceIdentifier": url.clone().unwrap_or_else(|| "@someone".into()),
        "sourceName": name,
        "sourceUrl": url,
        "priorityLevel": priority,
        "crawlFrequency": 3600,
    });
    let body = app.gql_as(Some(&who.token), ADD, json!({ "i": input })).await;
    body["data"]["createContentSource"]["id"].as_str().unwrap_or_else(|| panic!("source added: {body}")).to_owned()
}

async fn sources(app: &TestApp, who: &TestUser) -> Vec<Value> {
    let body = app.gql_as(Some(&who.token), SOURCES, json!({})).await;
    body["data"]["contentSources"]["nodes"].as_array().cloned().unwrap_or_else(|| panic!("{body}"))
}

async fn trends(app: &TestApp, who: &TestUser) -> Value {
    let body = app.gql_as(Some(&who.token), TRENDS, json!({})).await;
    body["data"]["trendInsights"].clone()
}

/// Waits (at most 20 s) until no crawl job is queued or running.
async fn crawled(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let pending = "SELECT COUNT(*) FROM jobs WHERE queue = 'crawl' AND status IN ('queued', 'running')";
    while app.test_db.count(pending, vec![]).await > 0 {
        assert!(Instant::now() < deadline, "crawls never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The crawls the scheduler queues at `now`.
async fn crawls_due(app: &TestApp, now: DateTime<Utc>) -> usize {
    creatorpulse::content::crawl::schedule(&app.state, now).await.expect("crawls scheduled")
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc)).expect("a time")
}

#[tokio::test]
async fn feeds_become_trends_once_and_recrawls_are_conditional() {
    let feeds = FeedServer::start().await;
    let app = app().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    add(&app, &ann, "a rss", "NEWSLETTER_RSS", Some(feeds.url("rss")), 10).await;
    add(&app, &ann, "b atom", "NEWSLETTER_RSS", Some(feeds.url("atom")), 5).await;
    add(&app, &ann, "c youtube", "YOUTUBE_CHANNEL", Some(feeds.url("youtube")), 5).await;
    // The same items through a second source of ann's are the same trends.
    add(&app, &ann, "d rss again", "NEWSLETTER_RSS", Some(feeds.url("rss-b")), 5).await;
    add(&app, &bob, "bob rss", "NEWSLETTER_RSS", Some(feeds.url("rss")), 5).await;
    let workers = Running::start(&app.state, 2);

    let now = Utc::now();
    // Crawls only: the scheduler's other work (a delivery due at the users' local time) depends
    // on the hour the test runs.
    let queued = crawls_due(&app, now).await;
    let again = crawls_due(&app, now).await;
    crawled(&app).await;
    let first = trends(&app, &ann).await;
    let after_first = sources(&app, &ann).await;
    let bobs = trends(&app, &bob).await;

    let later = now + chrono::Duration::hours(2);
    let requeued = crawls_due(&app, later).await;
    crawled(&app).await;
    let second = trends(&app, &ann).await;
    let after_second = sources(&app, &ann).await;
    workers.stop().await;

    assert_eq!((queued, again), (5, 0), "each due source is queued once");
    // rss: three items of the last 14 days; atom: two; youtube: two; rss-b: the same three.
    assert_eq!(first["totalCount"], 7, "{first}");
    assert_eq!(bobs["totalCount"], 3, "bob's own trends only: {bobs}");
    let nodes = first["nodes"].as_array().expect("nodes");
    let rust = nodes.iter().find(|n| n["trendTopic"] == "Rust 2026 ships").expect("the rust item");
    assert_eq!(rust["trendDescription"], "The new edition & more", "markup stripped: {rust}");
    assert_eq!(rust["relevantKeywords"], json!(["rust", "programming"]));
    assert_eq!(rust["trendCategory"], "rust");
    assert_eq!(rust["status"], "ACTIVE");
    assert_eq!(rust["sourceEvidence"][0]["url"], "https://news.example/rust-2026");
    let score = |topic: &str| -> f64 {
        let node = nodes.iter().find(|n| n["trendTopic"] == topic).unwrap_or_else(|| panic!("{topic}"));
        node["confidenceScore"].as_str().and_then(|s| s.parse().ok()).expect("score")
    };
    assert!(score("Rust 2026 ships") > score("Old news"), "recency counts");
    assert!(score("Rust 2026 ships") > 0.9 && score("Rust 2026 ships") <= 1.0);
    let video = nodes.iter().find(|n| n["trendTopic"] == "How we grew to 10k users").expect("the video");
    assert_eq!(video["trendDescription"], "Growth story, step by step.");
    assert_eq!(video["trendCategory"], "video");
    assert!(nodes.iter().any(|n| n["trendTopic"] == "Atom two" && n["trendDescription"] == "Second"));
    assert!(!nodes.iter().any(|n| n["trendTopic"] == "Ancient news"), "items over 14 days old are skipped");

    let status = |list: &[Value], name: &str, key: &str| -> Value {
        list.iter().find(|s| s["sourceName"] == name).map(|s| s[key].clone()).expect("source")
    };
    assert_eq!(status(&after_first, "a rss", "lastCrawlStatus"), "OK");
    assert_eq!(status(&after_first, "b atom", "lastCrawlItems"), 2);
    let new_from_second_rss = status(&after_first, "a rss", "lastCrawlItems").as_i64().unwrap_or(0)
        + status(&after_first, "d rss again", "lastCrawlItems").as_i64().unwrap_or(0);
    assert_eq!(new_from_second_rss, 3, "one of the two rss sources wrote the items, the other none");
    let next = time(&status(&after_first, "a rss", "nextCrawlAt"));
    let crawled_at = time(&status(&after_first, "a rss", "lastCrawledAt"));
    assert_eq!((next - crawled_at).num_seconds(), 3600, "due again after its frequency");

    assert_eq!(requeued, 5, "two hours later every source is due again");
    assert_eq!(second["totalCount"], 7, "a recrawl adds nothing seen before: {second}");
    assert_eq!(status(&after_second, "a rss", "lastCrawlStatus"), "NOT_MODIFIED");
    assert_eq!(status(&after_second, "b atom", "lastCrawlStatus"), "OK");
    assert_eq!(status(&after_second, "b atom", "lastCrawlItems"), 0);
    let rss_hits = feeds.hits("rss");
    assert!(rss_hits.iter().any(|(etag, _)| etag.as_deref() == Some("\"v1\"")), "the recrawl sent the ETag");
}

#[tokio::test]
async fn failures_are_shown_on_the_source_and_back_off_and_platform_sources_say_no_connector() {
    let feeds = FeedServer::start().await;
    let app = app().await;
    let ann = app.sign_up(&email()).await;
    for name in ["malformed", "huge", "slow", "missing"] {
        add(&app, &ann, name, "NEWSLETTER_RSS", Some(feeds.url(name)), 5).await;
    }
    add(&app, &ann, "twitter", "TWITTER_HANDLE", None, 5).await;
    let workers = Running::start(&app.state, 2);

    let now = Utc::now();
    creatorpulse::schedule::tick(&app.state, now).await.expect("tick");
    crawled(&app).await;
    let first = sources(&app, &ann).await;
    // Past the doubled wait of the failures (2 h), not the 4 h a second failure brings.
    creatorpulse::schedule::tick(&app.state, now + chrono::Duration::minutes(150)).await.expect("tick");
    crawled(&app).await;
    let second = sources(&app, &ann).await;
    workers.stop().await;

    let by = |list: &[Value], name: &str| list.iter().find(|s| s["sourceName"] == name).cloned().expect("source");
    for (name, words) in [
        ("malformed", "not an RSS or Atom feed"),
        ("huge", "larger than 65536 bytes"),
        ("slow", "took too long"),
        ("missing", "HTTP 500"),
    ] {
        let source = by(&first, name);
        assert_eq!(source["lastCrawlStatus"], "FAILED", "{source}");
        assert!(source["lastCrawlError"].as_str().is_some_and(|e| e.contains(words)), "{name}: {source}");
        assert_eq!(source["crawlFailures"], 1);
        let wait = time(&source["nextCrawlAt"]) - time(&source["lastCrawledAt"]);
        assert_eq!(wait.num_seconds(), 7200, "one failure doubles the wait: {source}");
        let again = by(&second, name);
        assert_eq!(again["crawlFailures"], 2, "{again}");
        let wait = time(&again["nextCrawlAt"]) - time(&again["lastCrawledAt"]);
        assert_eq!(wait.num_seconds(), 4 * 3600, "two failures double it again: {again}");
    }
    let twitter = by(&first, "twitter");
    assert_eq!(twitter["lastCrawlStatus"], "NO_CONNECTOR", "{twitter}");
    assert_eq!(twitter["lastCrawlError"], "no connector configured for twitter_handle sources");
    assert_eq!(twitter["crawlFailures"], 0);
    assert_eq!(trends(&app, &ann).await["totalCount"], 0);
}

#[tokio::test]
async fn two_instances_crawl_a_due_source_once() {
    let feeds = FeedServer::start().await;
    let app = app().await;
    let peer = app
        .spawn_peer_with(|c| {
            c.job_poll_ms = 20;
            c.crawl_host_interval_ms = 1;
            c.crawl_allow_private_hosts = true;
        })
        .await;
    let ann = app.sign_up(&email()).await;
    add(&app, &ann, "a rss", "NEWSLETTER_RSS", Some(feeds.url("rss")), 5).await;
    let (here, there) = (Running::start(&app.state, 2), Running::start(&peer.state, 2));

    let now = Utc::now();
    let (a, b) = tokio::join!(
        creatorpulse::content::crawl::schedule(&app.state, now),
        creatorpulse::content::crawl::schedule(&peer.state, now)
    );
    crawled(&app).await;
    here.stop().await;
    there.stop().await;

    assert_eq!(a.expect("tick") + b.expect("tick"), 1, "queued once");
    assert_eq!(feeds.hits("rss").len(), 1, "fetched once");
    assert_eq!(trends(&app, &ann).await["totalCount"], 3);
}

#[tokio::test]
async fn requests_to_one_host_keep_their_distance() {
    let feeds = FeedServer::start().await;
    let app = TestApp::spawn_with(|c| {
        c.crawl_allow_private_hosts = true;
        c.crawl_host_interval_ms = 400;
        c.job_poll_ms = 20;
    })
    .await;
    let ann = app.sign_up(&email()).await;
    for name in ["atom", "youtube", "malformed"] {
        add(&app, &ann, name, "NEWSLETTER_RSS", Some(feeds.url(name)), 5).await;
    }
    let workers = Running::start(&app.state, 3);

    creatorpulse::schedule::tick(&app.state, Utc::now()).await.expect("tick");
    crawled(&app).await;
    workers.stop().await;

    let mut times: Vec<Instant> =
        ["atom", "youtube", "malformed"].iter().flat_map(|n| feeds.hits(n)).map(|(_, t)| t).collect();
    times.sort();
    assert_eq!(times.len(), 3);
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(350), "{:?}", pair[1] - pair[0]);
    }
}

#[tokio::test]
async fn new_trends_are_analysed_by_the_ai_provider_when_one_is_configured() {
    let feeds = FeedServer::start().await;
    let analysis = json!({ "trends": [
        { "index": 0, "keywords": ["growth", "saas"], "category": "growth", "opportunities": ["Share your numbers"], "relevance": 0.2 },
        { "index": 1, "keywords": ["pricing"], "category": "pricing", "opportunities": ["Tear down a pricing page"], "relevance": 0.9 },
    ] });
    let ai = AiServer::start(vec![Answer::json(analysis)]).await;
    let app = TestApp::spawn_with(|c| {
        c.ai_base_url = Some(ai.base_url());
        c.ai_model = "test-model".into();
        c.job_poll_ms = 20;
        c.crawl_host_interval_ms = 1;
        c.crawl_allow_private_hosts = true;
    })
    .await;
    let ann = app.sign_up(&email()).await;
    add(&app, &ann, "yt", "YOUTUBE_CHANNEL", Some(feeds.url("youtube")), 5).await;
    let workers = Running::start(&app.state, 1);

    creatorpulse::schedule::tick(&app.state, Utc::now()).await.expect("tick");
    crawled(&app).await;
    workers.stop().await;

    let listed = trends(&app, &ann).await;
    let nodes = listed["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 2, "{listed}");
    let prompt = ai.requests()[0]["messages"][1]["content"].as_str().unwrap_or_default().to_owned();
    assert!(prompt.contains("Pricing teardown") && prompt.contains("How we grew"), "{prompt}");
    // The provider's indexes follow the order the items were sent in.
    let sent: Vec<Value> = serde_json::from_str(&prompt).expect("items as JSON");
    for (i, item) in sent.iter().enumerate() {
        let node = nodes.iter().find(|n| n["trendTopic"] == item["title"]).expect("sent trend");
        let expected = if i == 0 { "growth" } else { "pricing" };
        assert_eq!(node["trendCategory"], expected, "{node}");
        assert!(node["contentOpportunities"].as_array().is_some_and(|o| o.len() == 1), "{node}");
    }
    let logged = app
        .test_db
        .count(
            "SELECT COUNT(*) FROM ai_processing_logs WHERE processing_type = 'trend_analysis' AND user_id = $1 AND status = 'completed'",
            vec![ann.id.into()],
        )
        .await;
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn trends_decline_when_quiet_and_expire_after_their_time_as_a_job() {
    let app = app().await;
    let ann = app.sign_up(&email()).await;
    let now = Utc::now();
    let old = now - chrono::Duration::days(4);
    let trend = |topic: &str, created: DateTime<Utc>, expires: DateTime<Utc>| -> Vec<(&'static str, sea_orm::Value)> {
        vec![
            ("id", uuid::Uuid::new_v4().into()),
            ("user_id", ann.id.into()),
            ("trend_topic", topic.to_owned().into()),
            ("trend_description", "d".to_owned().into()),
            ("confidence_score", rust_decimal::Decimal::new(5, 1).into()),
            ("source_count", 1i32.into()),
            ("created_at", created.into()),
            ("expires_at", expires.into()),
        ]
    };
    let week = chrono::Duration::days(7);
    let quiet = trend("quiet", old, now + week);
    let busy = trend("busy", old, now + week);
    let fresh = trend("fresh", now, now + week);
    let over = trend("over", old, now - chrono::Duration::hours(1));
    let busy_id = busy[0].1.clone();
    for row in [quiet, busy, fresh, over] {
        app.test_db.insert("trend_insights", &row).await.expect("trend");
    }
    let draft = vec![
        ("id", uuid::Uuid::new_v4().into()),
        ("user_id", ann.id.into()),
        ("platform", "twitter".into()),
        ("content_type", "single_tweet".into()),
        ("content", "from the busy trend".into()),
        ("trend_source_id", busy_id),
    ];
    app.test_db.insert("content_drafts", &draft).await.expect("draft");

    let events = app.state.events.clone();
    let ran = creatorpulse::jobs::run(&app.state.db, events.as_ref(), creatorpulse::jobs::Job::AgeTrends, "t1", now)
        .await
        .expect("the job runs");

    assert_eq!(ran, creatorpulse::jobs::Outcome::Ran { rows: 2 });
    let listed = trends(&app, &ann).await;
    let status = |topic: &str| {
        listed["nodes"]
            .as_array()
            .and_then(|n| n.iter().find(|t| t["trendTopic"] == topic))
            .map(|t| t["status"].clone())
    };
    assert_eq!(status("quiet"), Some(json!("DECLINING")));
    assert_eq!(status("busy"), Some(json!("ACTIVE")), "a draft written from it in three days keeps it active");
    assert_eq!(status("fresh"), Some(json!("ACTIVE")));
    assert_eq!(status("over"), Some(json!("EXPIRED")));
}

#[tokio::test]
async fn by_default_sources_on_private_addresses_are_refused_by_address_and_by_name() {
    let feeds = FeedServer::start().await;
    let app = TestApp::spawn_with(|c| c.job_poll_ms = 20).await;
    let ann = app.sign_up(&email()).await;
    add(&app, &ann, "a literal", "NEWSLETTER_RSS", Some(feeds.url("rss")), 5).await;
    add(&app, &ann, "b name", "NEWSLETTER_RSS", Some(format!("http://localhost:{}/rss", feeds.addr.port())), 5).await;
    add(&app, &ann, "c metadata", "NEWSLETTER_RSS", Some("http://169.254.169.254/latest/meta-data/".into()), 5).await;
    add(&app, &ann, "d ipv6", "NEWSLETTER_RSS", Some(format!("http://[::1]:{}/rss", feeds.addr.port())), 5).await;
    let workers = Running::start(&app.state, 2);

    creatorpulse::schedule::tick(&app.state, Utc::now()).await.expect("tick");
    crawled(&app).await;
    workers.stop().await;

    for source in sources(&app, &ann).await {
        assert_eq!(source["lastCrawlStatus"], "FAILED", "{source}");
        assert_eq!(source["lastCrawlError"], "the host is not on the public internet", "{source}");
    }
    assert!(feeds.hits("rss").is_empty(), "nothing reached the private server");
    assert_eq!(trends(&app, &ann).await["totalCount"], 0);
}
