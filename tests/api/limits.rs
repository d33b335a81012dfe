//! Protection: depth, complexity, aliases and size limits, and automatic persisted queries.
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, code};

async fn service_query(app: &TestApp, query: &str) -> Value {
    app.gql_as(Some(&app.service_token()), query, json!({})).await
}

#[tokio::test]
async fn a_query_nested_too_deep_is_refused_with_a_code() {
    let app = TestApp::spawn_with(|c| c.max_query_depth = 6).await;
    let ok = "{ contentDrafts { edges { node { trendSource { id } } } } }";
    let deep = "{ contentDrafts { edges { node { trendSource { drafts { edges { node { id } } } } } } } }";

    let within = service_query(&app, ok).await;
    let refused = service_query(&app, deep).await;

    assert!(within["data"]["contentDrafts"].is_object(), "{within}");
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap_or_default().contains("deep"), "{refused}");
}

#[tokio::test]
async fn list_page_sizes_weigh_on_the_complexity_limit() {
    let app = TestApp::spawn().await;
    let small = "{ contentDrafts(first: 10) { edges { node { trendMappings(first: 10) { edges { node { trend { drafts(first: 10) { edges { node { id } } } } } } } } } } }";
    let large = "{ contentDrafts(first: 100) { edges { node { trendMappings(first: 100) { edges { node { trend { drafts(first: 100) { edges { node { id content } } } } } } } } } } }";

    let within = service_query(&app, small).await;
    let refused = service_query(&app, large).await;

    assert!(within["errors"].is_null(), "{within}");
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap_or_default().contains("complex"), "{refused}");
}

#[tokio::test]
async fn too_many_aliases_and_oversized_documents_are_refused() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..101).map(|i| format!("a{i}: __typename ")).collect();
    let padding = format!("{{ __typename }} # {}", "x".repeat(100_001));

    let many = service_query(&app, &format!("{{ {aliases} }}")).await;
    let big = service_query(&app, &padding).await;
    let huge = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }", "variables": { "x": "y".repeat(500_000) } }))
        .send()
        .await
        .expect("sent");

    assert_eq!(code(&many), "BAD_USER_INPUT", "{many}");
    assert!(many["errors"][0]["message"].as_str().unwrap_or_default().contains("aliases"));
    assert_eq!(code(&big), "BAD_USER_INPUT", "{big}");
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_persisted_query_runs_from_its_hash_once_registered() {
    let app = TestApp::spawn().await;
    let query = "{ __typename }";
    let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });

    let unknown = post(&app, json!({ "extensions": extensions })).await;
    let registered = post(&app, json!({ "query": query, "extensions": extensions })).await;
    let by_hash = post(&app, json!({ "extensions": extensions })).await;
    let by_get: Value = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", extensions.to_string())])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");

    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound", "{unknown}");
    assert_eq!(registered["data"]["__typename"], "Query", "{registered}");
    assert_eq!(by_hash, registered);
    assert_eq!(by_get, registered);
}

async fn post(app: &TestApp, body: Value) -> Value {
    app.client.post(app.url("/graphql")).json(&body).send().await.expect("sent").json().await.expect("json")
}

/// A request that passed validation is validated no further when sent again byte for byte; the
/// same document with other variables is validated in full, and complexity is weighed anew.
#[tokio::test]
async fn a_request_validated_once_keeps_the_rules_for_other_variables() {
    let app = TestApp::spawn_with(|c| c.max_query_complexity = 200).await;
    let token = app.service_token();
    let query = "query($n: Int) { contentDrafts(first: $n) { edges { node { id content } } } }";

    let first = app.gql_as(Some(&token), query, json!({ "n": 5 })).await;
    let again = app.gql_as(Some(&token), query, json!({ "n": 5 })).await;
    let wrong_type = app.gql_as(Some(&token), query, json!({ "n": "five" })).await;
    let wrong_type_again = app.gql_as(Some(&token), query, json!({ "n": "five" })).await;
    let too_complex = app.gql_as(Some(&token), query, json!({ "n": 90 })).await;

    assert!(first["errors"].is_null(), "{first}");
    assert_eq!(again, first);
    for refused in [&wrong_type, &wrong_type_again] {
        assert_eq!(code(refused), "BAD_USER_INPUT", "{refused}");
        assert!(refused.get("data").is_none(), "refused before running: {refused}");
    }
    assert!(wrong_type["errors"][0]["message"].as_str().unwrap_or_default().contains("Invalid value"), "{wrong_type}");
    assert_eq!(code(&too_complex), "BAD_USER_INPUT", "{too_complex}");
    assert!(too_complex["errors"][0]["message"].as_str().unwrap_or_default().contains("complex"), "{too_complex}");
}
