//! Drafts made by the AI provider on a job (an OpenAI-compatible server inside the harness):
//! credits held at the request and settled with what was written, or released on failure,
//! timeout, cancellation and a dead worker; one claim per job across workers; live progress;
//! agencies with and without the right; and nobody seeing another user's generation.
use std::time::Duration;

use creatorpulse::config::Secret;
use creatorpulse::workers::Running;
use serde_json::{Value, json};

use crate::ai_server::{AiServer, Answer};
use crate::fixtures::{accept, dec, decimal, email, invite};
use crate::helpers::{TestApp, TestUser, code};
use crate::ws_client::{Protocol, WsClient};

const GENERATE: &str = "mutation($i: GenerateDraftsInput!) { generateDrafts(input: $i) { id status creditsReserved } }";
const GENERATION: &str = "query($id: UUID!) { generation(id: $id) { id status draftsWritten creditsReserved creditsUsed tokensUsed errorCode errorMessage } }";
const CANCEL: &str = "mutation($id: UUID!) { cancelGeneration(id: $id) { id status } }";
const BALANCE: &str = "{ me { subscription { creditBalance } contentDrafts { totalCount } } }";

/// The settings of an instance using `ai`, with quick workers.
fn with_ai(ai: &AiServer, c: &mut creatorpulse::config::Config) {
    c.ai_base_url = Some(ai.base_url());
    c.ai_api_key = Some(Secret::new("sk-test-key"));
    c.ai_model = "test-model".into();
    c.ai_timeout = 2;
    c.job_poll_ms = 50;
    c.job_lease = 1;
    c.job_timeout = 10;
    c.job_max_attempts = 3;
}

async fn app_with(ai: &AiServer, configure: impl FnOnce(&mut creatorpulse::config::Config)) -> TestApp {
    TestApp::spawn_with(move |c| {
        with_ai(ai, c);
        configure(c);
    })
    .await
}

async fn generate(app: &TestApp, who: &TestUser, input: Value) -> Value {
    let mut input = input;
    for (key, value) in [("platform", json!("TWITTER")), ("contentType", json!("SINGLE_TWEET"))] {
        if input.get(key).is_none() {
            input[key] = value;
        }
    }
    app.gql_as(Some(&who.token), GENERATE, json!({ "i": input })).await
}

fn id_of(body: &Value) -> String {
    body["data"]["generateDrafts"]["id"].as_str().unwrap_or_else(|| panic!("generation queued: {body}")).to_owned()
}

async fn generation(app: &TestApp, who: &TestUser, id: &str) -> Value {
    let body = app.gql_as(Some(&who.token), GENERATION, json!({ "id": id })).await;
    body["data"]["generation"].clone()
}

/// Waits (at most 20 s) for generation `id` to reach `status`.
async fn until(app: &TestApp, who: &TestUser, id: &str, status: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let row = generation(app, who, id).await;
        if row["status"] == status {
            return row;
        }
        assert!(std::time::Instant::now() < deadline, "never {status}: {row}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// (balance, drafts) of `who`.
async fn account(app: &TestApp, who: &TestUser) -> (rust_decimal::Decimal, u64) {
    let body = app.gql_as(Some(&who.token), BALANCE, json!({})).await;
    let me = &body["data"]["me"];
    (decimal(&me["subscription"]["creditBalance"]), me["contentDrafts"]["totalCount"].as_u64().unwrap_or(0))
}

async fn held(app: &TestApp) -> i64 {
    app.test_db.count("SELECT COUNT(*) FROM credit_reservations WHERE status = 'held'", vec![]).await
}

#[tokio::test]
async fn drafts_are_written_the_credits_settled_and_the_progress_streamed_live() {
    let ai = AiServer::start(vec![Answer::drafts(3)]).await;
    let app = app_with(&ai, |_| {}).await;
    let ann = app.sign_up(&email()).await;
    let (before, _) = account(&app, &ann).await;
    let mut ws = WsClient::open(app.addr, Protocol::TransportWs, &ann.token).await;
    ws.subscribe(
        "g",
        "subscription { generationEvents { kind node { status draftsWritten creditsUsed } } }",
        json!({}),
    )
    .await;
    crate::helpers::wait_for_receivers(&app.state, 1).await;

    let queued = generate(&app, &ann, json!({ "count": 3, "instructions": "mention our launch" })).await;
    let id = id_of(&queued);
    let held_at_once = account(&app, &ann).await;
    let workers = Running::start(&app.state, 1);
    let done = until(&app, &ann, &id, "COMPLETED").await;
    let mut seen = Vec::new();
    while let Some(event) = ws.receive_within(Duration::from_secs(2)).await {
        let crate::ws_client::Received::Message(m) = event else { break };
        let node = &m["payload"]["data"]["generationEvents"]["node"];
        seen.push((
            node["status"].as_str().unwrap_or_default().to_owned(),
            node["draftsWritten"].as_i64().unwrap_or(-1),
        ));
        if node["status"] == "COMPLETED" {
            break;
        }
    }
    workers.stop().await;

    assert_eq!(queued["data"]["generateDrafts"]["status"], "QUEUED", "{queued}");
    assert_eq!(decimal(&queued["data"]["generateDrafts"]["creditsReserved"]), dec("3"));
    assert_eq!(done["draftsWritten"], 3, "{done}");
    assert_eq!(decimal(&done["creditsUsed"]), dec("3"));
    assert_eq!(done["tokensUsed"], 321);
    let (after, drafts) = account(&app, &ann).await;
    assert_eq!(held_at_once.0, before, "holding moves no balance");
    assert_eq!(after, before - dec("3"), "the written drafts are paid for, once");
    assert_eq!(drafts, 3);
    assert_eq!(held(&app).await, 0, "nothing stays held");
    let expected: Vec<(String, i64)> =
        [("QUEUED", 0), ("RUNNING", 0), ("RUNNING", 1), ("RUNNING", 2), ("RUNNING", 3), ("COMPLETED", 3)]
            .iter()
            .map(|(s, n)| ((*s).to_owned(), *n))
            .collect();
    assert_eq!(seen, expected, "queued, started, each draft, completed");
    let request = &ai.requests()[0];
    assert_eq!(request["model"], "test-model");
    assert_eq!(request["authorization"], "Bearer sk-test-key");
    assert!(request["messages"].to_string().contains("mention our launch"), "{request}");
    let drafts = app
        .gql_as(
            Some(&ann.token),
            "{ me { contentDrafts { nodes { content voiceConfidenceScore hashtags } } } }",
            json!({}),
        )
        .await;
    let first = &drafts["data"]["me"]["contentDrafts"]["nodes"][0];
    assert!(first["content"].as_str().is_some_and(|c| c.starts_with("Draft")), "{drafts}");
    assert_eq!(decimal(&first["voiceConfidenceScore"]), dec("0.82"));
    let logs = app
        .gql_as(
            Some(&app.service_token()),
            "{ aiProcessingLogs { nodes { userId processingType status tokensConsumed modelVersion webhookResponse } } }",
            json!({}),
        )
        .await;
    let log = &logs["data"]["aiProcessingLogs"]["nodes"][0];
    assert_eq!(log["userId"], ann.id.to_string(), "{logs}");
    assert_eq!(log["processingType"], "CONTENT_GENERATION");
    assert_eq!(log["status"], "COMPLETED");
    assert_eq!(log["tokensConsumed"], 321);
    assert_eq!(log["modelVersion"], "test-model");
    assert!(log["webhookResponse"]["choices"].is_array(), "the raw answer is kept: {log}");
}

#[tokio::test]
async fn a_failed_a_malformed_and_a_timed_out_generation_release_their_credits_and_write_nothing() {
    let cases = [
        (Answer::Status(400), "FAILED", "AI_PROVIDER_FAILED"),
        (Answer::json(json!({ "drafts": [{ "content": "" }] })), "FAILED", "AI_ANSWER_MALFORMED"),
        (Answer::Body("not json".into()), "FAILED", "AI_PROVIDER_FAILED"),
        (Answer::json(json!({ "posts": [] })), "FAILED", "AI_ANSWER_MALFORMED"),
        (Answer::after(Duration::from_secs(4), Answer::drafts(2)), "TIMEOUT", "AI_PROVIDER_FAILED"),
    ];
    for (answer, status, error) in cases {
        let ai = AiServer::start(vec![answer.clone()]).await;
        let app = app_with(&ai, |c| c.job_max_attempts = 1).await;
        let ann = app.sign_up(&email()).await;
        let (before, _) = account(&app, &ann).await;

        let id = id_of(&generate(&app, &ann, json!({ "count": 2 })).await);
        let workers = Running::start(&app.state, 1);
        let ended = until(&app, &ann, &id, status).await;
        workers.stop().await;

        assert_eq!(ended["errorCode"], error, "{answer:?}: {ended}");
        assert_eq!(ended["draftsWritten"], 0, "{answer:?}");
        assert_eq!(account(&app, &ann).await, (before, 0), "{answer:?}: released, nothing written");
        assert_eq!(held(&app).await, 0, "{answer:?}");
    }
}

#[tokio::test]
async fn a_passing_provider_failure_is_tried_again_with_backoff() {
    let ai = AiServer::start(vec![Answer::Status(503), Answer::drafts(1)]).await;
    let app = app_with(&ai, |_| {}).await;
    let ann = app.sign_up(&email()).await;

    let id = id_of(&generate(&app, &ann, json!({ "count": 1 })).await);
    let workers = Running::start(&app.state, 1);
    let done = until(&app, &ann, &id, "COMPLETED").await;
    workers.stop().await;

    assert_eq!(done["draftsWritten"], 1, "{done}");
    assert_eq!(ai.requests().len(), 2, "one retry");
    let attempts = app.test_db.count("SELECT CAST(attempts AS BIGINT) FROM jobs", vec![]).await;
    assert_eq!(attempts, 2);
}

#[tokio::test]
async fn credits_held_by_queued_work_are_not_spent_twice() {
    let ai = AiServer::start(vec![Answer::drafts(10)]).await;
    let app = app_with(&ai, |_| {}).await;
    let ann = app.sign_up(&email()).await;
    // A free account's allowance is 50 credits; a draft costs 1.
    for _ in 0..5 {
        id_of(&generate(&app, &ann, json!({ "count": 10 })).await);
    }

    let refused = generate(&app, &ann, json!({ "count": 1 })).await;
    let usage = app
        .gql_as(
            Some(&app.service_token()),
            "mutation($i: RecordUsageInput!) { recordUsage(input: $i) { usage { id } } }",
            json!({ "i": { "userId": ann.id, "actionType": "DRAFT_GENERATED" } }),
        )
        .await;

    assert_eq!(code(&refused), "INSUFFICIENT_CREDITS", "{refused}");
    assert_eq!(code(&usage), "INSUFFICIENT_CREDITS", "held credits are not available to other usage: {usage}");
    assert_eq!(
        app.test_db.count("SELECT COUNT(*) FROM generations", vec![]).await,
        5,
        "the refused one queued nothing"
    );
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM jobs", vec![]).await, 5);
}

#[tokio::test]
async fn cancelling_stops_a_queued_and_a_running_generation_and_releases_the_credits() {
    let ai = AiServer::start(vec![Answer::after(Duration::from_secs(6), Answer::drafts(2))]).await;
    let app = app_with(&ai, |c| c.ai_timeout = 10).await;
    let ann = app.sign_up(&email()).await;
    let (before, _) = account(&app, &ann).await;

    let queued = id_of(&generate(&app, &ann, json!({ "count": 2 })).await);
    let cancelled = app.gql_as(Some(&ann.token), CANCEL, json!({ "id": queued })).await;
    assert_eq!(cancelled["data"]["cancelGeneration"]["status"], "CANCELLED", "{cancelled}");

    let running = id_of(&generate(&app, &ann, json!({ "count": 2 })).await);
    let workers = Running::start(&app.state, 1);
    until(&app, &ann, &running, "RUNNING").await;
    let asked = app.gql_as(Some(&ann.token), CANCEL, json!({ "id": running })).await;
    assert!(asked["errors"].is_null(), "{asked}");
    let stopped = until(&app, &ann, &running, "CANCELLED").await;
    workers.stop().await;

    assert_eq!(stopped["draftsWritten"], 0);
    assert_eq!(account(&app, &ann).await, (before, 0), "both released");
    assert_eq!(held(&app).await, 0);
    assert_eq!(ai.requests().len(), 1, "the queued one never reached the provider");
}

#[tokio::test]
async fn a_worker_that_dies_mid_job_is_replaced_and_the_job_finishes_once() {
    let ai = AiServer::start(vec![Answer::after(Duration::from_millis(1500), Answer::drafts(2))]).await;
    let app = app_with(&ai, |_| {}).await;
    let ann = app.sign_up(&email()).await;
    let (before, _) = account(&app, &ann).await;
    let id = id_of(&generate(&app, &ann, json!({ "count": 2 })).await);

    let first = Running::start(&app.state, 1);
    until(&app, &ann, &id, "RUNNING").await;
    // The worker goes away with the job in its hands: its claim runs out.
    first.stop().await;
    let second = Running::start(&app.state, 1);
    let done = until(&app, &ann, &id, "COMPLETED").await;
    second.stop().await;

    assert_eq!(done["draftsWritten"], 2, "{done}");
    assert_eq!(account(&app, &ann).await, (before - dec("2"), 2), "written and paid once");
    assert_eq!(held(&app).await, 0);
}

#[tokio::test]
async fn jobs_are_claimed_once_by_many_workers_of_two_instances() {
    let ai = AiServer::start(vec![Answer::after(Duration::from_millis(100), Answer::drafts(1))]).await;
    let app = app_with(&ai, |_| {}).await;
    let peer = app.spawn_peer_with(|c| with_ai(&ai, c)).await;
    let ann = app.sign_up(&email()).await;
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for _ in 0..8 {
            ids.push(id_of(&generate(&app, &ann, json!({ "count": 1 })).await));
        }
        ids
    };

    let here = Running::start(&app.state, 3);
    let there = Running::start(&peer.state, 3);
    for id in &ids {
        until(&app, &ann, id, "COMPLETED").await;
    }
    here.stop().await;
    there.stop().await;

    assert_eq!(ai.requests().len(), 8, "each job ran once");
    assert_eq!(account(&app, &ann).await.1, 8);
    assert_eq!(
        app.test_db.count("SELECT COUNT(*) FROM jobs WHERE attempts = 1 AND status = 'completed'", vec![]).await,
        8
    );
}

#[tokio::test]
async fn an_agency_generates_for_a_client_only_with_write_drafts() {
    let ai = AiServer::start(vec![Answer::drafts(1)]).await;
    let app = app_with(&ai, |_| {}).await;
    let agency = app.sign_up(&email()).await;
    let client = app.sign_up(&email()).await;
    let reader = app.sign_up(&email()).await;
    let writes = invite(&app, &agency, &client, json!({ "read_drafts": true, "write_drafts": true })).await;
    accept(&app, &client, &writes).await;
    let agency2 = app.sign_up(&email()).await;
    let reads = invite(&app, &agency2, &reader, json!({ "read_drafts": true })).await;
    accept(&app, &reader, &reads).await;

    let allowed = generate(&app, &agency, json!({ "userId": client.id, "count": 1 })).await;
    let refused = generate(&app, &agency2, json!({ "userId": reader.id, "count": 1 })).await;
    let stranger = generate(&app, &agency, json!({ "userId": reader.id, "count": 1 })).await;
    let id = id_of(&allowed);
    let workers = Running::start(&app.state, 1);
    until(&app, &client, &id, "COMPLETED").await;
    workers.stop().await;

    assert_eq!(code(&refused), "NOT_FOUND", "read_drafts is not write_drafts: {refused}");
    assert_eq!(code(&stranger), "NOT_FOUND", "{stranger}");
    assert_eq!(account(&app, &client).await.1, 1, "the draft is the client's");
    assert_eq!(generation(&app, &agency, &id).await["status"], "COMPLETED", "the agency follows it with read_drafts");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM generations", vec![]).await, 1);
}

#[tokio::test]
async fn a_user_never_sees_or_stops_another_users_generation() {
    let ai = AiServer::start(vec![Answer::drafts(1)]).await;
    let app = app_with(&ai, |_| {}).await;
    let ann = app.sign_up(&email()).await;
    let bob = app.sign_up(&email()).await;
    let mut bobs_ws = WsClient::open(app.addr, Protocol::TransportWs, &bob.token).await;
    bobs_ws.subscribe("g", "subscription { generationEvents { kind } }", json!({})).await;
    crate::helpers::wait_for_receivers(&app.state, 1).await;

    let id = id_of(&generate(&app, &ann, json!({ "count": 1 })).await);
    let seen = app.gql_as(Some(&bob.token), GENERATION, json!({ "id": id })).await;
    let missing = app.gql_as(Some(&bob.token), GENERATION, json!({ "id": uuid::Uuid::new_v4() })).await;
    let stop = app.gql_as(Some(&bob.token), CANCEL, json!({ "id": id })).await;
    let listed = app.gql_as(Some(&bob.token), "{ generations { totalCount } }", json!({})).await;

    assert_eq!(code(&seen), "NOT_FOUND");
    assert_eq!(seen["errors"][0]["message"], missing["errors"][0]["message"], "as if it did not exist");
    assert_eq!(code(&stop), "NOT_FOUND");
    assert_eq!(listed["data"]["generations"]["totalCount"], 0, "{listed}");
    bobs_ws.expect_nothing(Duration::from_millis(500)).await;
    assert_eq!(generation(&app, &ann, &id).await["status"], "QUEUED", "bob's cancel changed nothing");
}

#[tokio::test]
async fn without_a_provider_generation_is_refused_with_its_own_code() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;

    let refused = generate(&app, &ann, json!({ "count": 1 })).await;

    assert_eq!(code(&refused), "AI_NOT_CONFIGURED", "{refused}");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM jobs", vec![]).await, 0);
}
