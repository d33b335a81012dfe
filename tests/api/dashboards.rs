//! Dashboard aggregates, computed in the database and scoped to the caller.
use chrono::NaiveDate;
use serde_json::json;

use crate::fixtures::{dec, decimal, email, stored_draft};
use crate::helpers::{TestApp, TestUser};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
}

async fn usage(app: &TestApp, user: &TestUser, date: NaiveDate, action: &str, platform: &str, credits: &str) {
    app.test_db
        .insert(
            "usage_tracking",
            &[
                ("user_id", user.id.into()),
                ("usage_date", date.into()),
                ("action_type", action.into()),
                ("platform", platform.into()),
                ("credits_consumed", dec(credits).into()),
            ],
        )
        .await
        .expect("usage");
}

async fn draft(app: &TestApp, user: &TestUser, platform: &str, status: &str, confidence: &str) {
    let columns = vec![("platform", platform.into()), ("voice_confidence_score", dec(confidence).into())];
    stored_draft(&app.test_db, user.id, status, chrono::Utc::now(), columns).await;
}

#[tokio::test]
async fn usage_is_summed_per_day_action_and_platform_for_the_caller_only() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    usage(&app, &ann, day(1), "draft_generated", "twitter", "0.10").await;
    usage(&app, &ann, day(1), "draft_generated", "twitter", "0.20").await;
    usage(&app, &ann, day(2), "trend_analyzed", "linkedin", "1.50").await;
    usage(&app, &ann, day(30), "draft_generated", "twitter", "9").await;
    usage(&app, &bob, day(1), "draft_generated", "twitter", "100").await;
    let query = "query($g: [UsageGrouping!]!) { usageSummary(from: \"2026-11-01\", to: \"2026-11-07\", groupBy: $g) { day actionType platform credits records } }";

    let by_day = app.gql_as(Some(&ann.token), query, json!({ "g": ["DAY"] })).await;
    let by_action = app.gql_as(Some(&ann.token), query, json!({ "g": ["ACTION_TYPE", "PLATFORM"] })).await;
    let total = app.gql_as(Some(&ann.token), query, json!({ "g": [] })).await;

    let rows = by_day["data"]["usageSummary"].as_array().unwrap_or_else(|| panic!("{by_day}"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["day"], "2026-11-01");
    assert_eq!(decimal(&rows[0]["credits"]), dec("0.30"), "exact on both databases");
    assert_eq!(rows[0]["records"], 2);
    assert!(rows[0]["actionType"].is_null());
    let actions = by_action["data"]["usageSummary"].as_array().expect("rows");
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[0]["actionType"], "draft_generated");
    assert_eq!(actions[0]["platform"], "twitter");
    assert_eq!(decimal(&total["data"]["usageSummary"][0]["credits"]), dec("1.80"), "Bob's 100 credits never count");
}

#[tokio::test]
async fn draft_stats_count_per_status_and_platform_with_rates() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.sign_up(&email()).await, app.sign_up(&email()).await);
    draft(&app, &ann, "twitter", "approved", "0.80").await;
    draft(&app, &ann, "twitter", "published", "0.90").await;
    draft(&app, &ann, "linkedin", "rejected", "0.40").await;
    draft(&app, &ann, "linkedin", "pending", "0.50").await;
    draft(&app, &bob, "instagram", "rejected", "0.10").await;

    let body = app
        .gql_as(
            Some(&ann.token),
            "{ draftStats { byStatus { key count } byPlatform { key count } acceptanceRate averageVoiceConfidence } }",
            json!({}),
        )
        .await;

    let stats = &body["data"]["draftStats"];
    assert_eq!(
        stats["byStatus"],
        json!([{ "key": "approved", "count": 1 }, { "key": "pending", "count": 1 }, { "key": "published", "count": 1 }, { "key": "rejected", "count": 1 }]),
        "{body}"
    );
    assert_eq!(stats["byPlatform"], json!([{ "key": "linkedin", "count": 2 }, { "key": "twitter", "count": 2 }]));
    let rate = stats["acceptanceRate"].as_f64().expect("rate");
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{rate}");
    assert_eq!(decimal(&stats["averageVoiceConfidence"]), dec("0.65"));
}

#[tokio::test]
async fn analytics_and_performance_are_summed_per_platform_over_a_range() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&email()).await;
    for (date, platform, impressions, rate) in [
        (day(1), "twitter", 100i64, "0.0100"),
        (day(2), "twitter", 50, "0.0300"),
        (day(3), "linkedin", 7, "0.5000"),
        (day(20), "twitter", 1000, "0.9"),
    ] {
        app.test_db
            .insert(
                "creator_analytics",
                &[
                    ("user_id", ann.id.into()),
                    ("metric_date", date.into()),
                    ("platform", platform.into()),
                    ("total_impressions", impressions.into()),
                    ("drafts_generated", 2i32.into()),
                    ("engagement_rate", dec(rate).into()),
                ],
            )
            .await
            .expect("analytics");
    }
    draft(&app, &ann, "twitter", "published", "0.9").await;
    let service = app.service_token();
    let drafts = app.gql_as(Some(&ann.token), "{ contentDrafts { edges { node { id } } } }", json!({})).await;
    let draft_id = drafts["data"]["contentDrafts"]["edges"][0]["node"]["id"].clone();
    for likes in [3, 4] {
        let created = app
            .gql_as(
                Some(&service),
                "mutation($i: CreateContentPerformanceInput!) { createContentPerformance(input: $i) { id } }",
                json!({ "i": { "userId": ann.id, "contentDraftId": draft_id, "likes": likes, "impressions": 10, "engagementRate": "0.5" } }),
            )
            .await;
        assert!(created["data"]["createContentPerformance"]["id"].is_string(), "{created}");
    }
    let today = chrono::Utc::now().date_naive();

    let analytics = app
        .gql_as(Some(&ann.token), "{ analyticsSummary(from: \"2026-11-01\", to: \"2026-11-07\") { platform totalImpressions draftsGenerated averageEngagementRate } }", json!({}))
        .await;
    let performance = app
        .gql_as(
            Some(&ann.token),
            "query($f: NaiveDate!, $t: NaiveDate!) { performanceSummary(from: $f, to: $t) { platform posts likes impressions averageEngagementRate } }",
            json!({ "f": today, "t": today }),
        )
        .await;

    let rows = analytics["data"]["analyticsSummary"].as_array().unwrap_or_else(|| panic!("{analytics}"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["platform"], "twitter");
    assert_eq!(rows[1]["totalImpressions"], 150);
    assert_eq!(rows[1]["draftsGenerated"], 4);
    assert_eq!(decimal(&rows[1]["averageEngagementRate"]), dec("0.02"));
    let perf = &performance["data"]["performanceSummary"][0];
    assert_eq!(perf["platform"], "twitter", "{performance}");
    assert_eq!(perf["posts"], 2);
    assert_eq!(perf["likes"], 7);
    assert_eq!(perf["impressions"], 20);
}
