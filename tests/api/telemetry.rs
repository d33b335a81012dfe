//! What the server tells operators: the cost of a request in `extensions.cost`, Prometheus
//! metrics at `/metrics` (read by a Prometheus text parser) and OpenTelemetry traces over OTLP
//! (received by a collector inside the test). Metrics and traces are process-wide, so their
//! tests run the real binary.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::fixtures::email;
use crate::helpers::{JWT_SECRET, TestApp};
use crate::ws_client::{Protocol, WsClient};

const GRANT: &str = "mutation($u: UUID!, $k: String!) { grantCredits(userId: $u, amount: \"10\", reason: GRANT, idempotencyKey: $k) { id } }";
const RECORD: &str = "mutation($i: RecordUsageInput!) { recordUsage(input: $i) { usage { id } } }";

async fn post(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.client.post(app.url("/graphql")).bearer_auth(token).json(&body).send().await.expect("post");
    response.json().await.expect("json")
}

#[tokio::test]
async fn the_cost_goes_to_those_who_ask_and_always_to_the_service_role() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    crate::fixtures::draft(&app, &ann, json!({})).await;
    let query = "query Drafts { contentDrafts(first: 5) { nodes { id } } me { user { id } } }";

    let plain = post(&app, &ann.token, json!({ "query": query })).await;
    let asked = post(&app, &ann.token, json!({ "query": query, "extensions": { "cost": true } })).await;
    let service = app.service_token();
    let granted = app.gql_as(Some(&service), GRANT, json!({ "u": ann.id, "k": "cost-test" })).await;
    assert!(granted["errors"].is_null(), "{granted}");
    let recorded = post(
        &app,
        &service,
        json!({ "query": RECORD, "variables": { "i": { "userId": ann.id, "actionType": "VOICE_TRAINING" } } }),
    )
    .await;

    assert!(plain["errors"].is_null() && plain.get("extensions").is_none(), "not asked, not shown: {plain}");
    let cost = &asked["extensions"]["cost"];
    assert!(cost["statements"].as_u64().is_some_and(|n| n >= 1), "{asked}");
    assert!(cost["rowsRead"].as_u64().is_some_and(|n| n >= 1), "the draft: {asked}");
    assert!(cost["databaseMs"].as_f64().is_some_and(|ms| ms > 0.0), "{asked}");
    assert!(cost["totalMs"].as_f64().is_some_and(|ms| ms > 0.0), "{asked}");
    assert_eq!(cost["creditsSpent"], "0", "{asked}");
    assert!(recorded["errors"].is_null(), "{recorded}");
    let spent: f64 = recorded["extensions"]["cost"]["creditsSpent"].as_str().expect("shown").parse().expect("number");
    assert!(spent > 0.0, "the debit of the usage: {recorded}");
}

/// The server binary, on a SQLite file of its own, until dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(env: &[(&str, String)]) -> Self {
        let dir = std::env::temp_dir().join(format!("creatorpulse-telemetry-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_creatorpulse"));
        command
            .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.join("api.db").display()))
            .env("BIND", "127.0.0.1:0")
            .env("JWT_SECRET", JWT_SECRET)
            .env("JOBS_INTERVAL", "0")
            .env("AVATAR_STORE", dir.join("avatars"))
            .env("LOG_LEVEL", "error")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start the server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("the first line");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Self { child, addr, dir }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The samples of `/metrics`, parsed as Prometheus reads them.
async fn scrape(url: &str, token: Option<&str>) -> prometheus_parse::Scrape {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("scrape");
    assert!(response.status().is_success(), "{}", response.status());
    let text = response.text().await.expect("text");
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text")
}

/// The value of `name` with all of `labels` (summed over the other labels; 0 when absent).
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn metrics_need_their_token_or_address_and_move_with_traffic() {
    let port = free_port();
    let server =
        Server::start(&[("METRICS_TOKEN", "scrape-secret".into()), ("METRICS_BIND", format!("127.0.0.1:{port}"))]);
    let client = reqwest::Client::new();
    let metrics = server.url("/metrics");
    let separate = format!("http://127.0.0.1:{port}/metrics");

    let without = client.get(&metrics).send().await.expect("get");
    let wrong = client.get(&metrics).bearer_auth("guess").send().await.expect("get");
    assert_eq!(without.status(), 401);
    assert_eq!(wrong.status(), 401);
    let before = scrape(&metrics, Some("scrape-secret")).await;

    for _ in 0..3 {
        let ok = client.post(server.url("/graphql")).json(&json!({ "query": "query Probe { __typename }" })).send();
        assert!(ok.await.expect("post").status().is_success());
    }
    let invalid = client.post(server.url("/graphql")).json(&json!({ "query": "query Broken { nope }" })).send();
    invalid.await.expect("post");
    let signed_up = client
        .post(server.url("/graphql"))
        .json(&json!({ "query": "mutation SignUp($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken } }",
                       "variables": { "e": email(), "p": crate::helpers::PASSWORD } }))
        .send()
        .await
        .expect("post")
        .json::<Value>()
        .await
        .expect("json");
    let token = signed_up["data"]["signUp"]["accessToken"].as_str().expect("a token").to_owned();
    let mut ws = WsClient::connect(server.addr, Protocol::TransportWs, None).await;
    ws.init(Some(&token)).await;
    ws.expect_ack().await;
    ws.subscribe("1", "subscription { contentDraftEvents { kind } }", json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let input = json!({ "platform": "TWITTER", "contentType": "SINGLE_TWEET", "content": "measured" });
    let created = client
        .post(server.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": crate::fixtures::CREATE_DRAFT, "variables": { "i": input } }))
        .send();
    assert!(created.await.expect("post").status().is_success());
    let event = ws.next_result("1").await;
    assert_eq!(event["data"]["contentDraftEvents"]["kind"], "CREATED", "{event}");

    let after = scrape(&separate, None).await;
    let probe = [("operation", "Probe"), ("outcome", "ok")];
    assert_eq!(
        sample(&after, "graphql_requests_total", &probe) - sample(&before, "graphql_requests_total", &probe),
        3.0
    );
    let latency = sample(&after, "graphql_request_duration_seconds_count", &probe);
    assert_eq!(latency, 3.0, "three latencies of Probe");
    let invalid = [("code", "GRAPHQL_VALIDATION_FAILED")];
    assert_eq!(sample(&after, "graphql_errors_total", &invalid), 1.0);
    assert!(
        sample(&after, "db_statements_total", &[("outcome", "ok")])
            > sample(&before, "db_statements_total", &[("outcome", "ok")])
    );
    assert!(sample(&after, "graphql_request_statements_count", &[]) >= 5.0);
    assert!(sample(&after, "db_pool_acquire_seconds_count", &[]) > 0.0, "acquire times are measured");
    let pool = after.samples.iter().filter(|s| s.metric == "db_pool_connections").count();
    // In use and idle, of the main pool (this server runs on SQLite: its reads have no pool of
    // their own; `reads::…` checks that pool's gauges on PostgreSQL).
    assert_eq!(pool, 2, "in use and idle");
    assert!(sample(&after, "db_pool_connections", &[("pool", "main")]) >= 1.0, "{after:?}");
    assert_eq!(sample(&after, "websocket_connections", &[]), 1.0);
    assert_eq!(sample(&after, "websocket_subscriptions", &[]), 1.0);
    assert_eq!(sample(&after, "events_published_total", &[]), 1.0, "the draft's creation");
    assert_eq!(sample(&after, "events_delivered_total", &[]), 1.0, "to its one subscriber");
    let no_token = client.get(&separate).send().await.expect("get");
    assert!(no_token.status().is_success(), "the metrics address needs no token");
}

/// An OTLP/HTTP collector (JSON encoding) inside the test: it keeps every span it receives.
async fn collector() -> (SocketAddr, Arc<Mutex<Vec<Value>>>) {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let kept = spans.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let export: Value = serde_json::from_slice(&body).unwrap_or_default();
                let mut kept = kept.lock().expect("spans");
                for resource in export["resourceSpans"].as_array().into_iter().flatten() {
                    for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                        kept.extend(scope["spans"].as_array().into_iter().flatten().cloned());
                    }
                }
                axum::Json(json!({}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, spans)
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a str> {
    span["attributes"].as_array()?.iter().find(|a| a["key"] == key)?["value"]["stringValue"].as_str()
}

#[tokio::test]
async fn traces_reach_an_otlp_collector_under_the_callers_trace() {
    let (collector, spans) = collector().await;
    let server = Server::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}")),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json".into()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100".into()),
        ("TRACE_SLOW_FIELD_MS", "0".into()),
    ]);
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";

    let response = reqwest::Client::new()
        .post(server.url("/graphql"))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({ "query": "mutation SignUp($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken } }",
                       "variables": { "e": email(), "p": crate::helpers::PASSWORD } }))
        .send()
        .await
        .expect("post");
    assert!(response.status().is_success());

    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let ours = loop {
        let ours: Vec<Value> =
            spans.lock().expect("spans").iter().filter(|s| s["traceId"] == trace_id).cloned().collect();
        let has_request = ours.iter().any(|s| attribute(s, "graphql.operation") == Some("SignUp"));
        let has_sql = ours.iter().any(|s| attribute(s, "db.query.text").is_some_and(|q| q.starts_with("INSERT")));
        if has_request && has_sql {
            break ours;
        }
        assert!(std::time::Instant::now() < deadline, "spans never arrived: {:?}", spans.lock().expect("spans"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let request = ours.iter().find(|s| attribute(s, "graphql.operation") == Some("SignUp")).expect("request span");
    assert_eq!(request["name"], "POST /graphql");
    assert_eq!(request["parentSpanId"], caller_span, "the caller's span is the parent");
    let sql =
        ours.iter().find(|s| attribute(s, "db.query.text").is_some_and(|q| q.starts_with("INSERT"))).expect("sql");
    assert_eq!(sql["parentSpanId"], request["spanId"], "statements are children of the request");
    assert!(!attribute(sql, "db.query.text").unwrap_or_default().contains("@"), "no values in statement text");
    assert!(ours.iter().any(|s| s["name"] == "Mutation.signUp"), "a span for the (slow) field");
}
