//! Requests an attacker or a broken client sends: documents nested to any depth, strings the
//! databases cannot store, forged cursors, scalars that do not parse, and a seeded fuzz run
//! of all of them over HTTP and WebSocket. None may crash the process, reach the database as a
//! fault, or answer without a code.
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value as Json, json};

use crate::fixtures::draft;
use crate::helpers::{TestApp, code};
use crate::ws_client::{Protocol, Received, WsClient};

/// Text that would show a database or internal failure leaking to a client.
const LEAKS: &[&str] = &[
    "sqlx",
    "SQLSTATE",
    "error returned from database",
    "DbErr",
    "syntax error at",
    "violates",
    "Query Error",
    "Execution Error",
    "panicked",
    "SQLite",
    "Postgres",
];

/// POSTs a raw body (any JSON) with an optional token: the status and the JSON body.
async fn post(app: &TestApp, token: Option<&str>, body: &Json) -> (u16, Json) {
    post_bytes(app, token, "application/json", body.to_string().into_bytes()).await
}

async fn post_bytes(app: &TestApp, token: Option<&str>, content_type: &str, body: Vec<u8>) -> (u16, Json) {
    let mut request = app.client.post(app.url("/graphql")).header("content-type", content_type).body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Json::String(text)))
}

/// The response is an answer the API stands behind: no 5xx, JSON, every error with a code that
/// is not `INTERNAL`, and no internal text.
fn assert_sane(status: u16, body: &Json, what: &str) {
    assert!(status < 500, "{what}: status {status}, body {body}");
    let errors = body["errors"].as_array();
    assert!(body.get("data").is_some() || errors.is_some(), "{what}: neither data nor errors: {body}");
    for error in errors.into_iter().flatten() {
        let code = error["extensions"]["code"].as_str();
        assert!(code.is_some(), "{what}: an error without a code: {body}");
        assert_ne!(code, Some("INTERNAL"), "{what}: {body}");
        let message = error["message"].as_str().unwrap_or_default();
        for leak in LEAKS {
            assert!(!message.contains(leak), "{what}: internal text in {message:?}");
        }
    }
}

async fn assert_alive(app: &TestApp) {
    let (status, body) = post(app, None, &json!({ "query": "{ __typename }" })).await;
    assert_eq!((status, &body["data"]["__typename"]), (200, &json!("Query")), "the server still answers");
}

/// Documents nested `depth` levels deep in each way a document can nest.
fn deep_documents(depth: usize) -> Vec<(&'static str, String)> {
    let open = |s: &str| s.repeat(depth);
    let not_filter = format!("{}{{ id: {{ isNull: true }} }}{}", open("{ not: "), open(" }"));
    let fragments: String =
        (0..depth).map(|i| format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1)).collect::<String>();
    vec![
        ("list value", format!("query {{ __typename(x: {}1{}) }}", open("["), open("]"))),
        ("object value", format!("query {{ contentDrafts(filter: {not_filter}) {{ totalCount }} }}")),
        ("selection", format!("query {}{}", open("{ me "), open("}"))),
        ("directive", format!("query {{ __typename @include(if: {}true{}) }}", open("["), open("]"))),
        ("variable type", format!("query($v: {}Int{}) {{ __typename }}", open("["), open("]"))),
        ("fragments", format!("query {{ ...F0 }}\n{fragments}fragment F{depth} on Query {{ __typename }}")),
    ]
}

#[tokio::test]
async fn documents_nested_at_any_depth_are_answered_and_the_server_survives() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("deep@example.com").await;
    for depth in [10, 1_000, 100_000] {
        for (shape, query) in deep_documents(depth) {
            for token in [None, Some(user.token.as_str())] {
                let (status, body) = post(&app, token, &json!({ "query": query })).await;
                let what = format!("{shape} at {depth} levels");
                assert_sane(status, &body, &what);
                if depth >= 1_000 {
                    assert_eq!(code(&body), "BAD_USER_INPUT", "{what}: {body}");
                }
            }
        }
        // Variables: JSON nested as deep.
        let value = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let body = format!(r#"{{"query":"query($v: JSON) {{ __typename }}","variables":{{"v":{value}}}}}"#);
        let (status, body) = post_bytes(&app, None, "application/json", body.into_bytes()).await;
        assert_sane(status, &body, &format!("variables at {depth} levels"));
        if depth >= 1_000 {
            assert_eq!(code(&body), "BAD_USER_INPUT", "variables at {depth} levels: {body}");
        }
    }
    assert_alive(&app).await;
}

#[tokio::test]
async fn documents_nested_at_any_depth_over_websocket_are_refused_with_a_code() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("deep-ws@example.com").await;
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let mut ws = WsClient::open(app.addr, protocol, &user.token).await;
        for depth in [10, 1_000, 100_000] {
            // Beyond 10,000 levels this shape outgrows the largest WebSocket message.
            let not_depth = depth.min(10_000);
            let not_filter =
                format!("{}{{ id: {{ isNull: true }} }}{}", "{ not: ".repeat(not_depth), " }".repeat(not_depth));
            let documents = [
                format!("subscription {{ contentDraftEvents(filter: {not_filter}) {{ kind }} }}"),
                format!(
                    "subscription {{ contentDraftEvents(userId: {}1{}) {{ kind }} }}",
                    "[".repeat(depth),
                    "]".repeat(depth)
                ),
            ];
            for (n, query) in documents.iter().enumerate() {
                let id = format!("{depth}-{n}");
                ws.subscribe(&id, query, json!({})).await;
                if depth == 10 && n == 0 {
                    // A legitimate subscription: it runs (and is stopped again).
                    ws.expect_nothing(Duration::from_millis(200)).await;
                    let stop = if protocol == Protocol::TransportWs { "complete" } else { "stop" };
                    ws.send(json!({ "id": id, "type": stop })).await;
                    continue;
                }
                let payload = result_of(&mut ws, &id).await;
                assert_sane(200, &payload, &format!("subscription at {depth} levels"));
                if depth >= 1_000 {
                    assert_eq!(code(&payload), "BAD_USER_INPUT", "{payload}");
                }
            }
        }
    }
    assert_alive(&app).await;
}

/// The payload of the next result of subscription `id`, skipping messages of the others.
async fn result_of(ws: &mut WsClient, id: &str) -> Json {
    loop {
        match ws.receive().await {
            Received::Message(m) if (m["type"] == "next" || m["type"] == "data") && m["id"] == id => {
                return m["payload"].clone();
            }
            Received::Message(m) if m["id"] != id => {}
            other => panic!("expected a result of subscription {id}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_string_with_nul_is_refused_naming_where_it_was() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("nul@example.com").await;
    let token = Some(user.token.as_str());
    let cases = [
        (
            r#"{ contentDrafts(filter: { publishedUrl: { notIn: ["a\u0000b"] } }) { totalCount } }"#,
            json!({}),
            "argument `filter` of `contentDrafts`",
        ),
        (
            "query($f: ContentDraftFilter) { contentDrafts(filter: $f) { totalCount } }",
            json!({ "f": { "publishedUrl": { "notIn": ["a\u{0}b"] } } }),
            "variable `$f`",
        ),
        (
            r#"mutation { createContentDraft(input: { platform: TWITTER, contentType: THREAD, content: "x\u0000y" }) { id } }"#,
            json!({}),
            "argument `input` of `createContentDraft`",
        ),
        (
            "mutation($c: String!) { createContentDraft(input: { platform: TWITTER, contentType: THREAD, content: $c }) { id } }",
            json!({ "c": "x\u{0}y" }),
            "variable `$c`",
        ),
    ];
    for (query, variables, place) in cases {
        let (status, body) = post(&app, token, &json!({ "query": query, "variables": variables })).await;
        assert_sane(status, &body, query);
        assert_eq!(code(&body), "BAD_USER_INPUT", "{query}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(place) && message.contains("NUL"), "{query}: {message}");
    }
    let (status, body) = post(
        &app,
        None,
        &json!({ "query": "mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken } }",
                 "variables": { "e": "a\u{0}@example.com", "p": crate::helpers::PASSWORD } }),
    )
    .await;
    assert_sane(status, &body, "signUp");
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM users", vec![]).await, 1, "no account was created");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM content_drafts", vec![]).await, 0, "no draft was written");
}

#[tokio::test]
async fn a_forged_or_truncated_cursor_is_bad_input() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("cursor@example.com").await;
    for _ in 0..3 {
        draft(&app, &user, json!({ "contentType": "THREAD", "content": "hello" })).await;
    }
    let list = "query($before: String) { contentDrafts(last: 2, before: $before, orderBy: [{ field: CREATED_AT, direction: DESC }, { field: FEEDBACK_SCORE }, { field: CONTENT }]) { edges { cursor } } }";
    let body = app.gql_as(Some(&user.token), list, json!({})).await;
    let real = body["data"]["contentDrafts"]["edges"][0]["cursor"].as_str().expect("a cursor").to_owned();
    let decoded: Json = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&real).expect("base64")).expect("json");
    let forge = |values: Json| URL_SAFE_NO_PAD.encode(json!({ "o": decoded["o"], "v": values }).to_string());
    let id = decoded["v"][3].clone();
    let forged = [
        real[..real.len() / 2].to_owned(),
        format!("{real}!"),
        forge(json!([["s", "yesterday"], null, ["s", "a"], id])),
        forge(json!([["t", "2026-01-01T00:00:00Z"], ["s", "7"], ["s", "a"], id])),
        forge(json!([["t", "2026-01-01T00:00:00Z"], ["l", 1], ["s", "a"], id])),
        forge(json!([["t", "2026-01-01T00:00:00Z"], ["i", 99_999_999_999_i64], ["s", "a"], id])),
        forge(json!([["t", "2026-01-01T00:00:00Z"], null, ["s", "a\u{0}b"], id])),
        forge(json!([["t", "2026-01-01T00:00:00Z"], null, ["u", "not-a-uuid"], id])),
        forge(json!([["t", "2026-01-01T00:00:00Z"], null, ["s", "a"], ["s", "id"]])),
        forge(json!([["t", "2026-01-01T00:00:00Z"], null, ["s", "a"]])),
        forge(json!([["t", "9999999-01-01T00:00:00Z"], null, ["s", "a"], id])),
    ];
    for cursor in forged {
        let body = app.gql_as(Some(&user.token), list, json!({ "before": cursor })).await;
        assert_sane(200, &body, &cursor);
        assert_eq!(code(&body), "BAD_USER_INPUT", "{cursor}: {body}");
    }
    let body = app.gql_as(Some(&user.token), list, json!({ "before": real })).await;
    assert!(body["errors"].is_null(), "the real cursor still works: {body}");
}

#[tokio::test]
async fn a_scalar_that_does_not_parse_names_its_argument_or_variable() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("scalars@example.com").await;
    let drafts = |filter: &str| format!("{{ contentDrafts(filter: {filter}) {{ totalCount }} }}");
    let cases: Vec<(String, Json, &str)> = vec![
        ("{ contentDraft(id: \"nope\") { id } }".into(), json!({}), "argument `id`"),
        ("query($id: UUID!) { contentDraft(id: $id) { id } }".into(), json!({ "id": "nope" }), "variable `$id`"),
        ("{ contentDraft(id: 5) { id } }".into(), json!({}), "argument `id`"),
        (drafts("{ voiceConfidenceScore: { eq: \"1e999\" } }"), json!({}), "argument `filter`"),
        (
            drafts("{ voiceConfidenceScore: { eq: \"12345678901234567890123456789012.5\" } }"),
            json!({}),
            "argument `filter`",
        ),
        (drafts("{ voiceConfidenceScore: { eq: \"abc\" } }"), json!({}), "argument `filter`"),
        (drafts("{ publishedAt: { gt: \"2026-13-45T00:00:00Z\" } }"), json!({}), "argument `filter`"),
        (drafts("{ publishedAt: { gt: \"99999-01-01T00:00:00Z\" } }"), json!({}), "argument `filter`"),
        (
            "query($f: ContentDraftFilter) { contentDrafts(filter: $f) { totalCount } }".into(),
            json!({ "f": { "createdAt": { "lt": "yesterday" } } }),
            "variable `$f`",
        ),
        (
            "query($f: ContentDraftFilter) { contentDrafts(filter: $f) { totalCount } }".into(),
            json!({ "f": { "id": { "eq": 12 } } }),
            "variable `$f`",
        ),
    ];
    for (query, variables, place) in cases {
        let (status, body) = post(&app, Some(&user.token), &json!({ "query": query, "variables": variables })).await;
        assert_sane(status, &body, &query);
        assert_eq!(code(&body), "BAD_USER_INPUT", "{query}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(place), "{query}: the message names {place}: {message}");
    }
}

/// Seed documents the fuzzer mutates: each valid for a signed-in user.
const SEEDS: &[&str] = &[
    r#"{ contentDrafts(first: 5, filter: { platform: { eq: TWITTER }, voiceConfidenceScore: { gte: "0.5" } }, orderBy: [{ field: CREATED_AT, direction: DESC }]) { totalCount edges { cursor node { id content status createdAt trendSource { trendTopic } } } } }"#,
    r#"mutation { createContentDraft(input: { platform: TWITTER, contentType: THREAD, content: "hi", hashtags: ["a"] }) { id voiceConfidenceScore } }"#,
    r#"query($id: UUID!) { contentDraft(id: $id) { id publishedAt } }"#,
    r#"{ me { id email } trendInsights(filter: { createdAt: { gt: "2026-01-01T00:00:00Z" } }) { edges { node { id } } } }"#,
    r#"mutation($e: String!) { signIn(email: $e, password: "wrong password 1") { accessToken } }"#,
    r#"query Q($d: Date) { creatorAnalytics(filter: { date: { eq: $d } }) { totalCount } }"#,
];

/// Replacement values for scalars: the shapes that broke parsers before.
const GARBAGE: &[&str] = &[
    r#""""#,
    r#""not-a-uuid""#,
    r#""1e999""#,
    r#""12345678901234567890123456789012.123""#,
    r#""0.1.2""#,
    r#""2026-02-30""#,
    r#""99999-12-31T00:00:00Z""#,
    r#""-0001-01-01T00:00:00Z""#,
    "99999999999999999999999",
    "-1.5e308",
    "true",
    "null",
    "[]",
    "{}",
    r#""\u0000""#,
    r#""a\u0000b""#,
    r#""\uD800""#,
    "$undefined",
    "ENUM_VALUE",
];

const PALETTE: &[u8] = b"{}[]()$:!@\"\\#,.=&|0123456789abcxyz_- \n\t";

fn mutate(rng: &mut StdRng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..rng.gen_range(1..4) {
        let at = rng.gen_range(0..=bytes.len());
        match rng.gen_range(0..3) {
            0 => bytes.insert(at, PALETTE[rng.gen_range(0..PALETTE.len())]),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ if at < bytes.len() => bytes[at] = PALETTE[rng.gen_range(0..PALETTE.len())],
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Swaps one quoted string or number of `seed` for a garbage value.
fn swap_scalar(rng: &mut StdRng, seed: &str) -> String {
    let quotes: Vec<usize> = seed.match_indices('"').map(|(i, _)| i).collect();
    let garbage = GARBAGE[rng.gen_range(0..GARBAGE.len())];
    if quotes.len() < 2 {
        return format!("{seed} {garbage}");
    }
    let pair = rng.gen_range(0..quotes.len() / 2) * 2;
    let (start, end) = (quotes[pair], quotes[pair + 1]);
    format!("{}{garbage}{}", &seed[..start], &seed[end + 1..])
}

fn deep(rng: &mut StdRng) -> String {
    let depth = rng.gen_range(1..400);
    let (open, close) = [("[", "]"), ("{ a: ", " }"), ("{ me ", "}"), ("(", ")")][rng.gen_range(0..4)];
    format!("query {{ contentDrafts(filter: {}1{}) {{ totalCount }} }}", open.repeat(depth), close.repeat(depth))
}

fn variables(rng: &mut StdRng) -> Json {
    let garbage = GARBAGE[rng.gen_range(0..GARBAGE.len())];
    let value: Json = serde_json::from_str(garbage).unwrap_or_else(|_| Json::String(garbage.into()));
    json!({ "id": value.clone(), "e": value.clone(), "d": value })
}

/// A wide document: up to thousands of aliased fields, or of fragment spreads, or arguments.
fn wide(rng: &mut StdRng) -> String {
    let n = rng.gen_range(1..5_000);
    match rng.gen_range(0..3) {
        0 => format!("{{ {} }}", (0..n).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" ")),
        1 => format!(
            "{{ me {{ ...F }} }} fragment F on User {{ {} }}",
            (0..n).map(|i| format!("i{i}: id")).collect::<Vec<_>>().join(" ")
        ),
        _ => format!(
            "{{ contentDrafts({}) {{ totalCount }} }}",
            (0..n).map(|i| format!("x{i}: 1")).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A huge string or a huge variables object, in a document that would use them.
fn huge(rng: &mut StdRng) -> Json {
    let size = rng.gen_range(1_000..3_000_000);
    match rng.gen_range(0..3) {
        0 => {
            json!({ "query": "mutation($c: String!) { createContentDraft(input: { platform: TWITTER, contentType: THREAD, content: $c }) { id } }",
                     "variables": { "c": "é".repeat(size / 2) } })
        }
        1 => {
            let keys: serde_json::Map<String, Json> = (0..size / 100).map(|i| (format!("v{i}"), json!(i))).collect();
            json!({ "query": "{ __typename }", "variables": keys })
        }
        _ => json!({ "query": format!("{{ __typename }} # {}", "x".repeat(size)) }),
    }
}

/// A cursor that is no cursor of this server: random bytes, base64 of garbage, or a real
/// cursor's shape with its inside changed.
fn cursor(rng: &mut StdRng) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let garbage: Vec<u8> = (0..rng.gen_range(0..200)).map(|_| rng.r#gen::<u8>()).collect();
    match rng.gen_range(0..3) {
        0 => String::from_utf8_lossy(&garbage).into_owned(),
        1 => engine.encode(&garbage),
        _ => engine.encode(format!("[\"{}\", {}]", GARBAGE[rng.gen_range(0..GARBAGE.len())], rng.r#gen::<i64>())),
    }
}

/// A malformed HTTP request body (content type, bytes).
fn malformed(rng: &mut StdRng) -> (&'static str, Vec<u8>) {
    let bodies: [&[u8]; 10] = [
        b"",
        b"{",
        b"[]",
        b"null",
        b"{\"query\": 5}",
        b"{\"query\": \"{ __typename }\", \"variables\": \"x\"}",
        b"{\"query\": \"{ __typename }\", \"variables\": [1]}",
        b"{\"query\": \"{ __typename }\", \"operationName\": 7}",
        b"{\"query\": \"\\u0000\"}",
        b"\xff\xfe{\"query\": 1}",
    ];
    let types = ["application/json", "text/plain", "application/graphql", "multipart/form-data", ""];
    (types[rng.gen_range(0..types.len())], bodies[rng.gen_range(0..bodies.len())].to_vec())
}

#[tokio::test]
async fn fuzzed_requests_never_crash_fail_internally_or_answer_without_a_code() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("fuzz@example.com").await;
    let draft = draft(&app, &user, json!({ "contentType": "THREAD", "content": "hello" })).await;
    let mut rng = StdRng::seed_from_u64(0x00c0_ffee);
    for round in 0..800 {
        let seed = SEEDS[rng.gen_range(0..SEEDS.len())];
        let token = rng.gen_bool(0.8).then_some(user.token.as_str());
        let (status, body) = match round % 8 {
            0 => post(&app, token, &json!({ "query": mutate(&mut rng, seed), "variables": { "id": draft } })).await,
            1 => {
                post(&app, token, &json!({ "query": swap_scalar(&mut rng, seed), "variables": { "id": draft } })).await
            }
            2 => post(&app, token, &json!({ "query": seed, "variables": variables(&mut rng) })).await,
            3 => post(&app, token, &json!({ "query": deep(&mut rng) })).await,
            5 => post(&app, token, &json!({ "query": wide(&mut rng) })).await,
            6 => post(&app, token, &huge(&mut rng)).await,
            7 => {
                let query = "query($a: String) { contentDrafts(first: 2, after: $a) { edges { node { id } } } }";
                post(&app, token, &json!({ "query": query, "variables": { "a": cursor(&mut rng) } })).await
            }
            _ => {
                let (content_type, bytes) = malformed(&mut rng);
                post_bytes(&app, token, content_type, bytes).await
            }
        };
        assert_sane(status, &body, &format!("round {round}"));
    }
    assert_alive(&app).await;

    // The same families as subscriptions, over both WebSocket subprotocols.
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let mut ws = WsClient::open(app.addr, protocol, &user.token).await;
        let seed = r#"subscription { contentDraftEvents(filter: { platform: { eq: TWITTER }, createdAt: { gt: "2026-01-01T00:00:00Z" } }) { kind node { id } } }"#;
        for round in 0..60 {
            let query = match round % 3 {
                0 => mutate(&mut rng, seed),
                1 => swap_scalar(&mut rng, seed),
                _ => deep(&mut rng).replacen("query", "subscription", 1),
            };
            let id = format!("s{round}");
            ws.subscribe(&id, &query, json!({})).await;
            // A subscription that runs keeps quiet; anything else answers at once.
            while let Some(received) = ws.receive_within(Duration::from_millis(300)).await {
                match received {
                    Received::Message(m) if m["id"] == id.as_str() && (m["type"] == "next" || m["type"] == "data") => {
                        assert_sane(200, &m["payload"], &format!("ws round {round}: {query}"));
                    }
                    Received::Message(m) if m["id"] == id.as_str() && m["type"] == "complete" => break,
                    Received::Message(_) => {}
                    Received::Closed(code, reason) => panic!("ws round {round} closed {code} {reason}: {query}"),
                }
            }
            let stop = if protocol == Protocol::TransportWs { "complete" } else { "stop" };
            ws.send(json!({ "id": id, "type": stop })).await;
        }
    }
    assert_alive(&app).await;
}
