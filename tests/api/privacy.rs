//! Privacy: a user's export holds everything of theirs and nothing secret; deleting an account
//! leaves nothing of the user in any table.
use chrono::{Duration, Utc};
use creatorpulse::events::local::LocalBus;
use creatorpulse::jobs::{self, Job};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::email;
use crate::helpers::{PASSWORD, TestApp, TestUser, code};

/// Gives `user` rows in many tables through the API.
async fn populate(app: &TestApp, user: &TestUser, client: &TestUser) {
    let service = app.service_token();
    let own = [
        (
            "createContentDraft",
            "CreateContentDraftInput",
            json!({ "platform": "TWITTER", "contentType": "SINGLE_TWEET", "content": "hello" }),
        ),
        (
            "createPlatformConnection",
            "CreatePlatformConnectionInput",
            json!({ "platform": "LINKEDIN", "platformUserId": "1", "platformUsername": "me", "accessToken": "very-secret-token" }),
        ),
        (
            "createContentSource",
            "CreateContentSourceInput",
            json!({ "sourceType": "NEWSLETTER_RSS", "sourceIdentifier": "x", "sourceName": "X" }),
        ),
        (
            "createVoiceTrainingSample",
            "CreateVoiceTrainingSampleInput",
            json!({ "sampleContent": "my words", "platform": "TWITTER" }),
        ),
        ("createAgencyClient", "CreateAgencyClientInput", json!({ "clientUserId": client.id, "clientName": "Client" })),
    ];
    for (mutation, input_type, input) in own {
        let body = app
            .gql_as(
                Some(&user.token),
                &format!("mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ id }} }}"),
                json!({ "i": input }),
            )
            .await;
        assert!(body["errors"].is_null(), "{mutation}: {body}");
    }
    let by_service = [
        (
            "createTrendInsight",
            "CreateTrendInsightInput",
            json!({ "userId": user.id, "trendTopic": "t", "trendDescription": "d", "confidenceScore": "0.5", "sourceCount": 1 }),
        ),
        (
            "createVoiceModel",
            "CreateVoiceModelInput",
            json!({ "userId": user.id, "modelVersion": "v1", "modelConfig": {}, "trainingDataCount": 1 }),
        ),
        ("createDailyDelivery", "CreateDailyDeliveryInput", json!({ "userId": user.id, "deliveryDate": "2026-11-24" })),
        (
            "createCreatorAnalytic",
            "CreateCreatorAnalyticInput",
            json!({ "userId": user.id, "metricDate": "2026-11-24", "platform": "OVERALL" }),
        ),
        (
            "createAiProcessingLog",
            "CreateAiProcessingLogInput",
            json!({ "userId": user.id, "processingType": "TREND_ANALYSIS", "inputData": {} }),
        ),
    ];
    for (mutation, input_type, input) in by_service {
        let body = app
            .gql_as(
                Some(&service),
                &format!("mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ id }} }}"),
                json!({ "i": input }),
            )
            .await;
        assert!(body["errors"].is_null(), "{mutation}: {body}");
    }
    let usage = app
        .gql_as(Some(&service), "mutation($u: UUID!) { recordUsage(input: { userId: $u, actionType: DRAFT_GENERATED }) { transaction { id } } }", json!({ "u": user.id }))
        .await;
    assert!(usage["errors"].is_null(), "{usage}");
    archived_history(app, user).await;
}

/// Gives `user` an archived draft with its trend mapping and performance summaries, made by the
/// retention jobs.
async fn archived_history(app: &TestApp, user: &TestUser) {
    let test = &app.test_db;
    let (trend, draft, long_ago) = (Uuid::new_v4(), Uuid::new_v4(), Utc::now() - Duration::days(200));
    let rows = [
        (
            "trend_insights",
            vec![
                ("id", trend.into()),
                ("user_id", user.id.into()),
                ("trend_topic", "t".into()),
                ("trend_description", "d".into()),
                ("confidence_score", Decimal::new(5, 1).into()),
                ("source_count", 1i32.into()),
            ],
        ),
        (
            "content_drafts",
            vec![
                ("id", draft.into()),
                ("user_id", user.id.into()),
                ("platform", "twitter".into()),
                ("content_type", "single_tweet".into()),
                ("content", "old".into()),
                ("status", "rejected".into()),
                ("trend_source_id", trend.into()),
                ("created_at", long_ago.into()),
            ],
        ),
        (
            "trend_content_mapping",
            vec![("user_id", user.id.into()), ("trend_id", trend.into()), ("content_draft_id", draft.into())],
        ),
        (
            "content_performance",
            vec![
                ("user_id", user.id.into()),
                ("content_draft_id", draft.into()),
                ("likes", 1i32.into()),
                ("created_at", long_ago.into()),
            ],
        ),
    ];
    for (table, row) in rows {
        test.insert(table, &row).await.unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    for job in [Job::AggregatePerformance, Job::ArchiveDrafts] {
        let slot = format!("{}:{}", job.name(), user.id);
        jobs::run(&test.db, &LocalBus::new(1), job, &slot, Utc::now()).await.expect("the job runs");
    }
    for table in ["content_drafts_archive", "trend_content_mapping_archive", "content_performance_summaries"] {
        let rows = test.count(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1"), vec![user.id.into()]).await;
        assert!(rows > 0, "{table} holds the user's history");
    }
}

#[tokio::test]
async fn an_export_holds_everything_the_user_owns_and_no_secret() {
    let app = TestApp::spawn().await;
    let (ann, bob, cid) = (app.sign_up(&email()).await, app.sign_up(&email()).await, app.sign_up(&email()).await);
    populate(&app, &ann, &cid).await;
    populate(&app, &bob, &cid).await;

    let body = app.gql_as(Some(&ann.token), "{ exportMyData }", json!({})).await;
    let by_service = app
        .gql_as(Some(&app.service_token()), "query($u: UUID!) { exportMyData(userId: $u) }", json!({ "u": ann.id }))
        .await;
    let other =
        app.gql_as(Some(&ann.token), "query($u: UUID!) { exportMyData(userId: $u) }", json!({ "u": bob.id })).await;

    let export = &body["data"]["exportMyData"];
    assert_eq!(export["user"]["id"], ann.id.to_string(), "{body}");
    let tables = export["tables"].as_object().expect("tables");
    for table in [
        "creator_profiles",
        "platform_connections",
        "content_sources",
        "trend_insights",
        "content_drafts",
        "voice_training_data",
        "voice_models",
        "delivery_preferences",
        "daily_deliveries",
        "creator_analytics",
        "usage_tracking",
        "subscription_billing",
        "agency_clients",
        "ai_processing_logs",
        "credit_transactions",
        "content_drafts_archive",
        "trend_content_mapping_archive",
        "content_performance_summaries",
        "sessions",
    ] {
        let rows = tables[table].as_array().unwrap_or_else(|| panic!("{table} exported"));
        assert!(!rows.is_empty(), "{table} holds Ann's rows");
        for row in rows {
            let owners = [&row["user_id"], &row["agency_user_id"], &row["client_user_id"]];
            assert!(owners.iter().any(|o| o.as_str() == Some(&ann.id.to_string())), "{table} row is Ann's: {row}");
        }
    }
    let text = export.to_string();
    assert!(
        !text.contains("very-secret-token") && !text.contains("access_token") && !text.contains("password_hash"),
        "no secrets"
    );
    assert!(!text.contains(&bob.id.to_string()), "nothing of Bob's");
    assert_eq!(by_service["data"]["exportMyData"], *export);
    assert_eq!(code(&other), "BAD_USER_INPUT");
}

#[tokio::test]
async fn deleting_an_account_needs_the_password_and_leaves_nothing_of_the_user() {
    let app = TestApp::spawn().await;
    let (ann, bob, cid) = (app.sign_up(&email()).await, app.sign_up(&email()).await, app.sign_up(&email()).await);
    populate(&app, &ann, &cid).await;
    populate(&app, &bob, &cid).await;
    let delete = "mutation($p: String) { deleteMyAccount(password: $p) }";

    let wrong = app.gql_as(Some(&ann.token), delete, json!({ "p": "not the password 1" })).await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM users WHERE id = $1", vec![ann.id.into()]).await, 1);
    let deleted = app.gql_as(Some(&ann.token), delete, json!({ "p": PASSWORD })).await;

    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");
    for table in migration::TABLES {
        for column in ["id", "user_id", "agency_user_id", "client_user_id"] {
            let exists = app.test_db.count(&column_exists_sql(&app, table, column), vec![]).await;
            if exists == 0 {
                continue;
            }
            let left = app
                .test_db
                .count(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"), vec![ann.id.into()])
                .await;
            assert_eq!(left, 0, "{table}.{column} still names Ann");
        }
    }
    let orphans = app
        .test_db
        .count("SELECT COUNT(*) FROM refresh_tokens WHERE session_id NOT IN (SELECT id FROM sessions)", vec![])
        .await;
    assert_eq!(orphans, 0);
    let bobs = app
        .gql_as(
            Some(&bob.token),
            "{ me { contentDrafts { totalCount } } archivedContentDrafts { edges { node { trendMappings { totalCount } performanceSummaries { totalCount } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(bobs["data"]["me"]["contentDrafts"]["totalCount"], 1, "Bob keeps his rows: {bobs}");
    let bobs_archived = &bobs["data"]["archivedContentDrafts"]["edges"][0]["node"];
    assert_eq!(bobs_archived["trendMappings"]["totalCount"], 1, "and his history: {bobs}");
    assert_eq!(bobs_archived["performanceSummaries"]["totalCount"], 2);
    let refresh = app
        .gql(
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": ann.refresh_token }),
        )
        .await;
    assert_eq!(code(&refresh), "UNAUTHENTICATED", "the sessions ended with the account");
}

#[tokio::test]
async fn the_service_role_deletes_any_account() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;

    let deleted = app
        .gql_as(
            Some(&app.service_token()),
            "mutation($u: UUID!) { deleteMyAccount(userId: $u) }",
            json!({ "u": ann.id }),
        )
        .await;

    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");
    assert_eq!(app.test_db.count("SELECT COUNT(*) FROM users WHERE id = $1", vec![ann.id.into()]).await, 0);
}

/// Counts 1 when `table` has a uuid column `column` (the outbox's `id` is a number).
fn column_exists_sql(app: &TestApp, table: &str, column: &str) -> String {
    if app.test_db.is_postgres() {
        format!(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = '{table}' AND column_name = '{column}' AND data_type = 'uuid'"
        )
    } else {
        format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'")
    }
}
