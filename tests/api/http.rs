//! GraphQL over HTTP: media types, status codes, GraphiQL and the health probes.
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn content_type(response: &reqwest::Response) -> String {
    response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn post_returns_server_info_with_the_database_kind() {
    let app = TestApp::spawn().await;

    let user = app.sign_up("info@example.com").await;
    let anonymous = app.gql("{ serverInfo { version } }", json!({})).await;
    let body = app.gql_as(Some(&user.token), "{ serverInfo { version databaseKind } }", json!({})).await;

    let expected = if app.test_db.is_postgres() { "POSTGRES" } else { "SQLITE" };
    assert_eq!(body["data"]["serverInfo"]["databaseKind"], expected);
    assert_eq!(body["data"]["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "the anonymous caller gets the schema only"
    );
}

#[tokio::test]
async fn post_answers_in_the_media_type_the_client_accepts() {
    let app = TestApp::spawn().await;
    let query = json!({ "query": "{ __typename }" });

    let modern =
        app.client.post(app.url("/graphql")).header(ACCEPT, GRAPHQL_RESPONSE).json(&query).send().await.unwrap();
    let legacy =
        app.client.post(app.url("/graphql")).header(ACCEPT, "application/json").json(&query).send().await.unwrap();
    let any = app.client.post(app.url("/graphql")).header(ACCEPT, "*/*").json(&query).send().await.unwrap();

    assert_eq!(modern.status(), StatusCode::OK);
    assert!(content_type(&modern).starts_with(GRAPHQL_RESPONSE));
    assert!(content_type(&legacy).starts_with("application/json"));
    assert!(content_type(&any).starts_with("application/json"), "what `fetch` sends gets JSON, as the spec says");
}

#[tokio::test]
async fn an_unacceptable_accept_header_gets_406() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .post(app.url("/graphql"))
        .header(ACCEPT, "text/csv")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_415_and_malformed_json_gets_400() {
    let app = TestApp::spawn().await;

    let text = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "text/plain")
        .body("{ __typename }")
        .send()
        .await
        .unwrap();
    let broken = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .body("{\"query\":")
        .send()
        .await
        .unwrap();
    let missing = app.client.post(app.url("/graphql")).json(&json!({ "variables": {} })).send().await.unwrap();

    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_invalid_document_is_400_without_data_for_graphql_response_json_and_200_for_json() {
    let app = TestApp::spawn().await;
    let query = json!({ "query": "{ noSuchField }" });

    let modern =
        app.client.post(app.url("/graphql")).header(ACCEPT, GRAPHQL_RESPONSE).json(&query).send().await.unwrap();
    let legacy =
        app.client.post(app.url("/graphql")).header(ACCEPT, "application/json").json(&query).send().await.unwrap();

    assert_eq!(modern.status(), StatusCode::BAD_REQUEST);
    let body: Value = modern.json().await.unwrap();
    assert!(body.get("data").is_none(), "a request error has no data entry: {body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("noSuchField"));
    assert_eq!(body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert_eq!(legacy.status(), StatusCode::OK);
}

#[tokio::test]
async fn parse_and_validation_failures_carry_the_codes_apollo_clients_know() {
    let app = &TestApp::spawn().await;
    let post = |query: &'static str| async move {
        let response = app.client.post(app.url("/graphql")).json(&json!({ "query": query })).send().await.unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };

    let (parse_status, parse) = post("{ contentDrafts { totalCount ").await;
    let (invalid_status, invalid) = post("{ contentDrafts(first: 1) { noSuchField } }").await;
    let (input_status, input) = post("{ contentDrafts(first: \"ten\") { totalCount } }").await;

    assert_eq!(parse_status, StatusCode::OK, "an application/json client gets 200");
    assert_eq!(parse["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED", "{parse}");
    assert!(parse["errors"][0]["locations"][0]["line"].is_number(), "the place it failed: {parse}");
    assert!(parse.get("data").is_none(), "{parse}");
    assert_eq!(invalid_status, StatusCode::OK);
    assert_eq!(invalid["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{invalid}");
    assert_eq!(input_status, StatusCode::OK);
    assert_eq!(input["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "a value of the wrong type: {input}");
}

#[tokio::test]
async fn get_runs_queries_from_the_query_string() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, GRAPHQL_RESPONSE)
        .query(&[
            ("query", "query Info($x: Boolean!) { __schema @include(if: $x) { queryType { name } } }"),
            ("variables", "{\"x\": true}"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query", "{body}");
}

#[tokio::test]
async fn get_refuses_a_mutation_with_405_and_allow_post() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, GRAPHQL_RESPONSE)
        .query(&[("query", "mutation { __typename }")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers().get(ALLOW).unwrap(), "POST");
}

#[tokio::test]
async fn a_browser_gets_graphiql_unless_it_is_switched_off() {
    let app = TestApp::spawn().await;
    let off = TestApp::spawn_with(|c| c.graphiql = false).await;

    let page = app.client.get(app.url("/graphql")).header(ACCEPT, "text/html").send().await.unwrap();
    let refused = off.client.get(off.url("/graphql")).header(ACCEPT, "text/html").send().await.unwrap();

    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().to_lowercase().contains("graphiql"));
    assert_ne!(refused.status(), StatusCode::OK);
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let on = TestApp::spawn().await;
    let off = TestApp::spawn_with(|c| c.introspection = false).await;
    let query = "{ __schema { queryType { name } } }";

    let answered = on.gql(query, json!({})).await;
    let refused = off.gql(query, json!({})).await;

    assert_eq!(answered["data"]["__schema"]["queryType"]["name"], "Query");
    assert!(refused["data"]["__schema"].is_null(), "introspection must be off: {refused}");
}

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_is_up() {
    let app = TestApp::spawn().await;

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();

    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    let app = TestApp::spawn().await;
    app.test_db.db.clone().close().await.unwrap();

    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();

    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    let mut app = TestApp::spawn().await;
    // Hold the write lock so that a sign-up is provably still running when shutdown starts.
    let blocker = app.test_db.db.begin().await.expect("begin");
    let lock = if app.test_db.is_postgres() {
        "LOCK TABLE users IN ACCESS EXCLUSIVE MODE"
    } else {
        "INSERT INTO users (email) VALUES ('blocker@example.com')"
    };
    blocker.execute_unprepared(lock).await.expect("lock");
    let request = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "mutation { signUp(email: \"late@example.com\", password: \"a long passphrase 1\") { user { email } } }" }))
        .send();
    let in_flight = tokio::spawn(request);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let shutdown = tokio::spawn(async move {
        app.stop().await;
        app
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    blocker.rollback().await.expect("release the lock");
    let app = shutdown.await.expect("stopped");

    let response = in_flight.await.expect("task").expect("the in-flight request is answered");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["signUp"]["user"]["email"], "late@example.com", "{body}");
    assert!(app.client.get(app.url("/healthz")).send().await.is_err(), "the server stopped listening");
}
