//! The seed's functions through the API: `activateVoiceModel` and `dailyCredits`; voice
//! training on a job and its use in generation prompts.
use std::time::Duration;

use creatorpulse::workers::Running;
use serde_json::{Value, json};

use crate::ai_server::{AiServer, Answer};
use crate::fixtures::{dec, decimal, email};
use crate::helpers::{TestApp, TestUser, code};

const CREATE: &str = "mutation($u: UUID!) { createVoiceModel(input: { userId: $u, modelVersion: \"v\", modelConfig: {}, trainingDataCount: 1 }) { id } }";
const ACTIVATE: &str = "mutation($id: UUID!) { activateVoiceModel(id: $id) { id isActive } }";

#[tokio::test]
async fn activating_a_voice_model_leaves_it_the_users_only_active_one_also_when_twenty_race() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let service = app.service_token();
    let mut models = Vec::new();
    for _ in 0..20 {
        let body = app.gql_as(Some(&service), CREATE, json!({ "u": ann.id })).await;
        models.push(body["data"]["createVoiceModel"]["id"].clone());
    }

    let by_user = app.gql_as(Some(&ann.token), ACTIVATE, json!({ "id": models[0] })).await;
    let by_other = app.gql_as(Some(&bob.token), ACTIVATE, json!({ "id": models[0] })).await;
    let tasks: Vec<_> = models
        .iter()
        .map(|id| {
            let (client, url, token) = (app.client.clone(), app.url("/graphql"), service.clone());
            let body = json!({ "query": ACTIVATE, "variables": { "id": id } });
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent")
                    .json::<Value>()
                    .await
                    .expect("json")
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }

    assert_eq!(code(&by_user), "FORBIDDEN");
    assert_eq!(by_user, by_other, "the same refusal for the owner and anyone else");
    for answer in &answers {
        // Each succeeds; a later one may already have deactivated it again by the time it is read.
        assert!(answer["errors"].is_null() && answer["data"]["activateVoiceModel"]["id"].is_string(), "{answer}");
    }
    let active = app
        .gql_as(Some(&ann.token), "{ voiceModels(filter: { isActive: { eq: true } }) { totalCount } }", json!({}))
        .await;
    assert_eq!(active["data"]["voiceModels"]["totalCount"], 1, "{active}");
}

#[tokio::test]
async fn daily_credits_answers_for_the_caller_and_for_any_user_to_the_service_role() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let service = app.service_token();
    let record = "mutation($u: UUID!) { recordUsage(input: { userId: $u, actionType: VOICE_TRAINING, usageDate: \"2026-11-24\" }) { usage { id } } }";
    app.gql_as(Some(&service), record, json!({ "u": ann.id })).await;
    let query = "query($u: UUID) { dailyCredits(date: \"2026-11-24\", userId: $u) }";

    let own = app.gql_as(Some(&ann.token), query, json!({ "u": null })).await;
    let by_service = app.gql_as(Some(&service), query, json!({ "u": ann.id })).await;
    let snooping = app.gql_as(Some(&bob.token), query, json!({ "u": ann.id })).await;
    let bobs = app.gql_as(Some(&bob.token), query, json!({ "u": null })).await;

    assert_eq!(own["data"]["dailyCredits"], "5", "{own}");
    assert_eq!(by_service["data"]["dailyCredits"], "5");
    assert_eq!(code(&snooping), "BAD_USER_INPUT");
    assert_eq!(bobs["data"]["dailyCredits"], "0");
}

const SAMPLE: &str = "mutation($i: CreateVoiceTrainingSampleInput!) { createVoiceTrainingSample(input: $i) { id } }";
const TRAIN: &str = "mutation($u: UUID) { trainVoiceModel(userId: $u) }";
const STATE: &str = "{ me { profile { voiceTrainingStatus } subscription { creditBalance } \
    voiceModels(filter: { isActive: { eq: true } }) { nodes { modelVersion trainingDataCount validationScore modelConfig } } \
    voiceTrainingSamples(orderBy: [{ field: SAMPLE_RANK }]) { nodes { sampleContent sampleRank contentFeatures } } } }";

async fn add_sample(app: &TestApp, who: &TestUser, text: &str, likes: i64) {
    let input = json!({ "sampleContent": text, "platform": "TWITTER", "engagementMetrics": { "likes": likes } });
    let body = app.gql_as(Some(&who.token), SAMPLE, json!({ "i": input })).await;
    assert!(body["errors"].is_null(), "{body}");
}

/// Waits (at most 20 s) for `who`'s training status to be `status`; their `me` then.
async fn trained(app: &TestApp, who: &TestUser, status: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let body = app.gql_as(Some(&who.token), STATE, json!({})).await;
        if body["data"]["me"]["profile"]["voiceTrainingStatus"] == status {
            return body["data"]["me"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "never {status}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn training_makes_an_active_voice_model_from_the_samples_and_generation_prompts_with_it() {
    let ai = AiServer::start(vec![Answer::drafts(1)]).await;
    let app = TestApp::spawn_with(|c| {
        c.ai_base_url = Some(ai.base_url());
        c.ai_model = "test-model".into();
        c.job_poll_ms = 50;
    })
    .await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    let texts = [
        "Shipped the new onboarding today. What would you build next? #buildinpublic",
        "Build in public, week 3: 120 users. Small wins add up! #buildinpublic #saas",
        "Build in public means sharing the misses too. This week churn went up. #buildinpublic",
        "Quick question for founders: how do you price your first plan? #saas",
        "Build in public, week 4: we doubled signups with one email. 🚀 #buildinpublic",
        "Most advice on pricing is noise. Talk to ten customers first. #saas",
    ];
    for (i, text) in texts.iter().enumerate() {
        add_sample(&app, &ann, text, [10, 50, 5, 30, 90, 20][i]).await;
    }
    add_sample(&app, &bob, "Only one post.", 1).await;
    let before = |me: &Value| decimal(&me["subscription"]["creditBalance"]);
    let ann_before = app.gql_as(Some(&ann.token), STATE, json!({})).await["data"]["me"].clone();
    let bob_before = app.gql_as(Some(&bob.token), STATE, json!({})).await["data"]["me"].clone();

    let first = app.gql_as(Some(&ann.token), TRAIN, json!({})).await;
    let again = app.gql_as(Some(&ann.token), TRAIN, json!({})).await;
    let for_bob = app.gql_as(Some(&ann.token), TRAIN, json!({ "u": bob.id })).await;
    let bob_own = app.gql_as(Some(&bob.token), TRAIN, json!({})).await;
    let workers = Running::start(&app.state, 1);
    let ann_after = trained(&app, &ann, "COMPLETED").await;
    let bob_after = trained(&app, &bob, "FAILED").await;

    let generated = app
        .gql_as(
            Some(&ann.token),
            "mutation { generateDrafts(input: { platform: TWITTER, contentType: SINGLE_TWEET, count: 1 }) { id } }",
            json!({}),
        )
        .await;
    // Until the generation has called the provider and settled its own reservation: workers
    // stopped in the middle of a job leave it (and its held credits) to be claimed again.
    let held = "SELECT COUNT(*) FROM credit_reservations WHERE status = 'held'";
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while ai.requests().is_empty() || app.test_db.count(held, vec![]).await > 0 {
        assert!(std::time::Instant::now() < deadline, "no provider call, or credits still held: {generated}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    workers.stop().await;

    assert_eq!(first["data"]["trainVoiceModel"], true, "{first}");
    assert_eq!(again["data"]["trainVoiceModel"], false, "one training at a time: {again}");
    assert_eq!(code(&for_bob), "NOT_FOUND", "{for_bob}");
    assert_eq!(bob_own["data"]["trainVoiceModel"], true, "{bob_own}");

    let models = ann_after["voiceModels"]["nodes"].as_array().expect("models");
    assert_eq!(models.len(), 1, "{ann_after}");
    let model = &models[0];
    assert_eq!(model["modelVersion"], "v1");
    assert_eq!(model["trainingDataCount"], 5, "one of six samples is held out: {model}");
    let score = decimal(&model["validationScore"]);
    assert!(score > dec("0.5") && score <= dec("1"), "{model}");
    let config = &model["modelConfig"];
    assert_eq!(config["examples"][0], texts[4], "the most engaging sample is the first example: {config}");
    assert_eq!(config["profile"]["topHashtags"][0], "#buildinpublic", "{config}");
    let samples = ann_after["voiceTrainingSamples"]["nodes"].as_array().expect("samples");
    assert_eq!(samples[0]["sampleContent"], texts[4]);
    assert_eq!(samples[0]["sampleRank"], 1);
    assert_eq!(samples[5]["sampleContent"], texts[2], "the least engaging ranks last");
    assert_eq!(samples[0]["contentFeatures"]["hashtags"], json!(["#buildinpublic"]));
    assert_eq!(samples[0]["contentFeatures"]["emoji"], 1);
    assert_eq!(samples[2]["contentFeatures"]["questions"], 1, "{}", samples[2]);
    assert_eq!(before(&ann_after), before(&ann_before) - dec("5"), "training costs five credits, once");

    assert!(bob_after["voiceModels"]["nodes"].as_array().is_some_and(Vec::is_empty), "{bob_after}");
    assert_eq!(before(&bob_after), before(&bob_before), "a failed training is not paid for");
    assert_eq!(app.test_db.count(held, vec![]).await, 0, "no credits stay held");

    let prompt = ai.requests()[0]["messages"][0]["content"].as_str().unwrap_or_default().to_owned();
    assert!(prompt.contains("#buildinpublic") && prompt.contains(texts[4]), "the voice is in the prompt: {prompt}");
}
