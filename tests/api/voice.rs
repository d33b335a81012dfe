//! The seed's functions through the API: `activateVoiceModel` and `dailyCredits`.
use serde_json::{Value, json};

use crate::fixtures::email;
use crate::helpers::{TestApp, code};

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
