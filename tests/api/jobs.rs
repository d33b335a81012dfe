//! Retention and allowance jobs: what they move, delete, summarise and reset; idempotence; one
//! run per slot across instances.
use chrono::{DateTime, Duration, Utc};
use creatorpulse::db;
use creatorpulse::events::local::LocalBus;
use creatorpulse::jobs::{self, Job, Outcome};
use rust_decimal::Decimal;
use sea_orm::Value;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::fixtures::stored_draft;
use crate::helpers::{TestApp, TestDb, TestUser, code};

fn ago(days: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(days)
}

async fn exists(test: &TestDb, table: &str, id: Uuid) -> bool {
    test.count(&format!("SELECT COUNT(*) FROM {table} WHERE id = $1"), vec![id.into()]).await == 1
}

#[tokio::test]
async fn old_rejected_and_published_drafts_move_to_the_archive_once() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let old_rejected = stored_draft(&test, user, "rejected", ago(100), vec![]).await;
    let new_rejected = stored_draft(&test, user, "rejected", ago(10), vec![]).await;
    let old_published = stored_draft(&test, user, "published", ago(400), vec![]).await;
    let new_published = stored_draft(&test, user, "published", ago(100), vec![]).await;
    let old_pending = stored_draft(&test, user, "pending", ago(400), vec![]).await;

    let first = jobs::run(&test.db, &LocalBus::new(1), Job::ArchiveDrafts, "slot-1", Utc::now()).await.expect("runs");
    let again = jobs::run(&test.db, &LocalBus::new(1), Job::ArchiveDrafts, "slot-2", Utc::now()).await.expect("runs");

    assert_eq!(first, Outcome::Ran { rows: 2 });
    assert_eq!(again, Outcome::Ran { rows: 0 }, "idempotent");
    for id in [old_rejected, old_published] {
        assert!(!exists(&test, "content_drafts", id).await && exists(&test, "content_drafts_archive", id).await);
    }
    for id in [new_rejected, new_published, old_pending] {
        assert!(exists(&test, "content_drafts", id).await && !exists(&test, "content_drafts_archive", id).await);
    }
    let recorded = test
        .count("SELECT COUNT(*) FROM job_runs WHERE job = 'archive-drafts' AND status = 'completed' AND rows_affected = 2 AND duration_ms IS NOT NULL", vec![])
        .await;
    assert_eq!(recorded, 1, "the run records what it did");
}

#[tokio::test]
async fn ai_logs_older_than_thirty_days_are_deleted() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let log = |created: DateTime<Utc>| {
        let id = Uuid::new_v4();
        let row: Vec<(&'static str, Value)> = vec![
            ("id", id.into()),
            ("user_id", user.into()),
            ("processing_type", "trend_analysis".into()),
            ("input_data", Value::Json(Some(Box::new(serde_json::json!({}))))),
            ("created_at", created.into()),
        ];
        (id, row)
    };
    let (old, old_row) = log(ago(31));
    let (new, new_row) = log(ago(29));
    test.insert("ai_processing_logs", &old_row).await.expect("old log");
    test.insert("ai_processing_logs", &new_row).await.expect("new log");

    let outcome = jobs::run(&test.db, &LocalBus::new(1), Job::PurgeAiLogs, "slot", Utc::now()).await.expect("runs");

    assert_eq!(outcome, Outcome::Ran { rows: 1 });
    assert!(!exists(&test, "ai_processing_logs", old).await);
    assert!(exists(&test, "ai_processing_logs", new).await);
}

#[tokio::test]
async fn performance_older_than_six_months_becomes_weekly_and_monthly_summaries() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let published = stored_draft(&test, user, "published", ago(300), vec![]).await;
    // Two rows in one week, seven months ago, and one recent row.
    let monday = at("2026-03-02T10:00:00+00:00");
    let recent = (Utc::now() - Duration::days(10)).to_rfc3339();
    for (created, likes) in [("2026-03-02T10:00:00+00:00", 3), ("2026-03-04T10:00:00+00:00", 4), (recent.as_str(), 100)]
    {
        performance(&test, user, published, Row { created, impressions: 10, likes, rate: Some("0.5"), score: None })
            .await;
    }
    let now = at("2026-11-24T00:00:00+00:00");

    let outcome = jobs::run(&test.db, &LocalBus::new(1), Job::AggregatePerformance, "slot", now).await.expect("runs");

    assert_eq!(outcome, Outcome::Ran { rows: 2 });
    assert_eq!(test.count("SELECT COUNT(*) FROM content_performance", vec![]).await, 1, "the recent row stays");
    let summary = |period: &str| {
        test.count(
            "SELECT likes FROM content_performance_summaries WHERE period = $1 AND rows_aggregated = 2 AND impressions = 20",
            vec![period.into()],
        )
    };
    assert_eq!(summary("week").await, 7);
    assert_eq!(summary("month").await, 7);
    let week_start = test
        .count(
            "SELECT COUNT(*) FROM content_performance_summaries WHERE period = 'week' AND period_start = $1",
            vec![monday.date_naive().into()],
        )
        .await;
    assert_eq!(week_start, 1, "weeks start on Monday");
}

#[tokio::test]
async fn an_ended_period_resets_the_balance_to_the_allowance_through_the_ledger_once() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    test.insert(
        "subscription_billing",
        &[
            ("user_id", user.into()),
            ("subscription_status", "active".into()),
            ("credit_balance", Decimal::new(3, 0).into()),
            ("allowance_balance", Decimal::new(3, 0).into()),
            ("monthly_credit_limit", Decimal::new(50, 0).into()),
            ("current_period_start", ago(40).into()),
            ("current_period_end", ago(10).into()),
        ],
    )
    .await
    .expect("subscription");

    let first = jobs::run(&test.db, &LocalBus::new(1), Job::ResetCredits, "a", Utc::now()).await.expect("runs");
    let second = jobs::run(&test.db, &LocalBus::new(1), Job::ResetCredits, "b", Utc::now()).await.expect("runs");

    assert_eq!(first, Outcome::Ran { rows: 1 });
    assert_eq!(second, Outcome::Ran { rows: 0 });
    let reset = test
        .count("SELECT COUNT(*) FROM subscription_billing WHERE user_id = $1 AND credit_balance = 50 AND current_period_end > $2", vec![user.into(), Utc::now().into()])
        .await;
    assert_eq!(reset, 1);
    // What was left of the allowance expires, and the new allowance arrives.
    let expired = test
        .count("SELECT COUNT(*) FROM credit_transactions WHERE user_id = $1 AND reason = 'monthly_reset' AND bucket = 'allowance' AND amount = -3 AND balance_after = 0", vec![user.into()])
        .await;
    let arrived = test
        .count("SELECT COUNT(*) FROM credit_transactions WHERE user_id = $1 AND reason = 'monthly_reset' AND bucket = 'allowance' AND amount = 50 AND balance_after = 50", vec![user.into()])
        .await;
    assert_eq!((expired, arrived), (1, 1));
}

#[tokio::test]
async fn two_instances_run_a_scheduled_job_exactly_once() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    for _ in 0..3 {
        stored_draft(&test, user, "rejected", ago(200), vec![]).await;
    }
    // A second pool stands for a second server instance on the same database.
    let other = db::connect(&test.options).await.expect("second instance");

    let bus = LocalBus::new(1);
    let (a, b) = tokio::join!(
        jobs::run(&test.db, &bus, Job::ArchiveDrafts, "tick-42", Utc::now()),
        jobs::run(&other, &bus, Job::ArchiveDrafts, "tick-42", Utc::now())
    );

    let outcomes = [a.expect("a"), b.expect("b")];
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::AlreadyClaimed).count(), 1, "{outcomes:?}");
    assert!(outcomes.contains(&Outcome::Ran { rows: 3 }));
    assert_eq!(test.count("SELECT COUNT(*) FROM job_runs WHERE slot = 'tick-42'", vec![]).await, 1);
}

#[test]
fn the_cli_runs_a_job_on_demand() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let test = runtime.block_on(TestDb::migrated());
    let user = runtime.block_on(test.user());
    runtime.block_on(stored_draft(&test, user, "rejected", ago(100), vec![]));
    let url = match &test.options.schema {
        Some(schema) => format!("{}?options=-c%20search_path%3D{schema}", test.options.url),
        None => test.options.url.clone(),
    };

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_creatorpulse"))
        .args(["jobs", "run", "archive-drafts", "--log-level", "off"])
        .env("DATABASE_URL", url)
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "archive-drafts\t1 rows");
}

#[tokio::test]
async fn archived_drafts_stay_readable_by_their_owner_only_and_are_exported() {
    let app = crate::helpers::TestApp::spawn().await;
    let ann = app.sign_up(&format!("{}@example.com", Uuid::new_v4().simple())).await;
    let bob = app.sign_up(&format!("{}@example.com", Uuid::new_v4().simple())).await;
    let old = stored_draft(&app.test_db, ann.id, "rejected", ago(120), vec![]).await;
    jobs::run(&app.test_db.db, &LocalBus::new(1), Job::ArchiveDrafts, "slot", Utc::now()).await.expect("runs");
    let query = "{ archivedContentDrafts { totalCount edges { node { id status archivedAt } } } }";

    let anns = app.gql_as(Some(&ann.token), query, serde_json::json!({})).await;
    let bobs = app.gql_as(Some(&bob.token), query, serde_json::json!({})).await;
    let export = app.gql_as(Some(&ann.token), "{ exportMyData }", serde_json::json!({})).await;

    assert_eq!(anns["data"]["archivedContentDrafts"]["edges"][0]["node"]["id"], old.to_string(), "{anns}");
    assert_eq!(anns["data"]["archivedContentDrafts"]["edges"][0]["node"]["status"], "REJECTED");
    assert_eq!(bobs["data"]["archivedContentDrafts"]["totalCount"], 0);
    assert_eq!(
        export["data"]["exportMyData"]["tables"]["content_drafts_archive"][0]["id"],
        old.to_string(),
        "{export}"
    );
}

#[tokio::test]
async fn each_slot_is_one_queued_job_across_instances_and_workers_run_every_job_of_it() {
    let app = TestApp::spawn_with(|c| {
        c.jobs_interval = 3600;
        c.job_poll_ms = 20;
    })
    .await;
    let peer = app
        .spawn_peer_with(|c| {
            c.jobs_interval = 3600;
            c.job_poll_ms = 20;
        })
        .await;
    let user = app.test_db.user().await;
    let old = stored_draft(&app.test_db, user, "rejected", ago(100), vec![]).await;
    let queued = "SELECT COUNT(*) FROM jobs WHERE queue = 'maintenance'";

    let now = at("2026-12-07T10:00:30Z");
    let (a, b) =
        tokio::join!(creatorpulse::schedule::tick(&app.state, now), creatorpulse::schedule::tick(&peer.state, now));
    a.expect("tick");
    b.expect("tick");
    creatorpulse::schedule::tick(&app.state, now + Duration::minutes(30)).await.expect("the same slot");
    let in_one_slot = app.test_db.count(queued, vec![]).await;
    let (here, there) =
        (creatorpulse::workers::Running::start(&app.state, 1), creatorpulse::workers::Running::start(&peer.state, 1));
    let mut runs = 0;
    for _ in 0..200 {
        runs = app.test_db.count("SELECT COUNT(*) FROM job_runs WHERE status = 'completed'", vec![]).await;
        if runs == jobs::Job::ALL.len() as i64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    creatorpulse::schedule::tick(&app.state, now + Duration::hours(1)).await.expect("the next slot");
    let with_next = app.test_db.count(queued, vec![]).await;
    here.stop().await;
    there.stop().await;

    assert_eq!(in_one_slot, 1, "one queued job per slot, whichever instance looks");
    assert_eq!(runs, jobs::Job::ALL.len() as i64, "the slot runs every job once");
    assert!(exists(&app.test_db, "content_drafts_archive", old).await);
    assert_eq!(with_next, 2, "the next slot is queued again");
}

fn at(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(time).expect("time").with_timezone(&Utc)
}

/// Runs every job as one scheduled tick at `now` would.
async fn tick(test: &TestDb, now: DateTime<Utc>) {
    for job in Job::ALL {
        let slot = format!("{}@{now}", job.name());
        jobs::run(&test.db, &LocalBus::new(1), job, &slot, now).await.expect("the job runs");
    }
}

/// One performance row of `draft`, recorded at `created`.
struct Row<'a> {
    created: &'a str,
    impressions: i64,
    likes: i32,
    rate: Option<&'static str>,
    score: Option<&'static str>,
}

async fn performance(test: &TestDb, user: Uuid, draft: Uuid, row: Row<'_>) {
    let decimal = |v: Option<&str>| Value::Decimal(v.map(|v| v.parse().expect("decimal")));
    test.insert(
        "content_performance",
        &[
            ("user_id", user.into()),
            ("content_draft_id", draft.into()),
            ("impressions", row.impressions.into()),
            ("likes", row.likes.into()),
            ("shares", 1i32.into()),
            ("clicks", 2i32.into()),
            ("engagement_rate", decimal(row.rate)),
            ("performance_score", decimal(row.score)),
            ("created_at", at(row.created).into()),
        ],
    )
    .await
    .expect("performance");
}

/// A published draft of `user` written from a new trend of theirs and mapped to it, through the
/// API; returns the draft's and the trend's ids.
async fn published_draft_with_trend(app: &TestApp, user: &TestUser, platform: &str, published: &str) -> (Uuid, Uuid) {
    let service = app.service_token();
    let trend = app
        .gql_as(
            Some(&service),
            "mutation($i: CreateTrendInsightInput!) { createTrendInsight(input: $i) { id } }",
            json!({ "i": { "userId": user.id, "trendTopic": "AI agents", "trendDescription": "d", "confidenceScore": "0.9", "sourceCount": 3 } }),
        )
        .await;
    let trend = trend["data"]["createTrendInsight"]["id"].as_str().unwrap_or_else(|| panic!("{trend}")).to_owned();
    let draft = app
        .gql_as(
            Some(&user.token),
            "mutation($i: CreateContentDraftInput!) { createContentDraft(input: $i) { id } }",
            json!({ "i": { "platform": platform.to_uppercase(), "contentType": if platform == "twitter" { "SINGLE_TWEET" } else { "LINKEDIN_SHORT" },
                "content": "hello", "status": "PUBLISHED", "publishedAt": published, "trendSourceId": trend } }),
        )
        .await;
    let draft = draft["data"]["createContentDraft"]["id"].as_str().unwrap_or_else(|| panic!("{draft}")).to_owned();
    let mapping = app
        .gql_as(
            Some(&service),
            "mutation($i: CreateTrendContentMappingInput!) { createTrendContentMapping(input: $i) { id } }",
            json!({ "i": { "userId": user.id, "trendId": trend, "contentDraftId": draft, "relevanceScore": "0.80" } }),
        )
        .await;
    assert!(mapping["errors"].is_null(), "{mapping}");
    (draft.parse().expect("uuid"), trend.parse().expect("uuid"))
}

/// The caller's performance totals over a whole month, another, and the whole year, and their
/// draft counts.
async fn totals(app: &TestApp, user: &TestUser) -> Json {
    let body = app
        .gql_as(
            Some(&user.token),
            "fragment T on PerformanceTotals { platform posts impressions likes shares comments clicks averageEngagementRate averagePerformanceScore }
             { january: performanceSummary(from: \"2025-01-01\", to: \"2025-01-31\") { ...T }
               february: performanceSummary(from: \"2025-02-01\", to: \"2025-02-28\") { ...T }
               year: performanceSummary(from: \"2025-01-01\", to: \"2025-12-31\") { ...T }
               draftStats { byStatus { key count } byPlatform { key count } acceptanceRate } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

const HISTORY: &str = "trendSource { id trendTopic }
    trendMappings { totalCount edges { node { id trendId relevanceScore createdAt trend { trendTopic } } } }
    performanceSummaries(orderBy: [{ field: PERIOD }, { field: PERIOD_START }]) { totalCount edges { node {
        id period periodStart rowsAggregated impressions likes shares clicks avgEngagementRate avgPerformanceScore } } }";

#[tokio::test]
async fn archiving_a_published_draft_keeps_its_history_and_the_owners_totals_across_six_months_and_a_year() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&format!("{}@example.com", Uuid::new_v4().simple())).await;
    let bob = app.sign_up(&format!("{}@example.com", Uuid::new_v4().simple())).await;
    let test = &app.test_db;
    let (tweet, trend) = published_draft_with_trend(&app, &ann, "twitter", "2025-01-06T12:00:00Z").await;
    // Still an approved draft a year later: it never moves.
    let (post, _) = published_draft_with_trend(&app, &ann, "linkedin", "2025-01-06T12:00:00Z").await;
    test.exec("UPDATE content_drafts SET status = 'approved' WHERE id = $1", vec![post.into()]).await.expect("approve");
    let (bobs, _) = published_draft_with_trend(&app, &bob, "twitter", "2025-01-06T12:00:00Z").await;
    for row in [
        Row { created: "2025-01-07T09:00:00Z", impressions: 100, likes: 3, rate: Some("0.0100"), score: Some("50.00") },
        Row { created: "2025-01-09T09:00:00Z", impressions: 200, likes: 5, rate: Some("0.0300"), score: Some("70.50") },
        Row { created: "2025-01-26T09:00:00Z", impressions: 50, likes: 1, rate: None, score: Some("40.25") },
        Row { created: "2025-02-10T09:00:00Z", impressions: 80, likes: 2, rate: Some("0.0250"), score: None },
    ] {
        performance(test, ann.id, tweet, row).await;
    }
    for row in [
        Row { created: "2025-01-20T09:00:00Z", impressions: 10, likes: 1, rate: Some("0.1000"), score: Some("10.00") },
        Row { created: "2025-02-03T09:00:00Z", impressions: 30, likes: 2, rate: Some("0.2001"), score: Some("20.01") },
    ] {
        performance(test, ann.id, post, row).await;
    }
    let bobs_row =
        Row { created: "2025-01-08T09:00:00Z", impressions: 9999, likes: 999, rate: Some("0.9"), score: Some("99") };
    performance(test, bob.id, bobs, bobs_row).await;
    let history_of_draft = format!("query($id: UUID!) {{ contentDraft(id: $id) {{ {HISTORY} }} }}");
    let history_of_archived = format!("query($id: UUID!) {{ archivedContentDraft(id: $id) {{ {HISTORY} }} }}");
    let before_any_job = totals(&app, &ann).await;

    // Six months and a half after publication: January's first rows become summaries.
    tick(test, at("2025-07-21T00:00:00Z")).await;
    let after_six_months = totals(&app, &ann).await;
    // A year and a day after: every row is summarised, then the tweet moves to the archive.
    jobs::run(&test.db, &LocalBus::new(1), Job::AggregatePerformance, "year", at("2026-01-08T00:00:00Z"))
        .await
        .expect("runs");
    let before_archiving = totals(&app, &ann).await;
    let live_history = app.gql_as(Some(&ann.token), &history_of_draft, json!({ "id": tweet })).await;
    tick(test, at("2026-01-08T00:00:00Z")).await;
    let after_archiving = totals(&app, &ann).await;
    let archived_history = app.gql_as(Some(&ann.token), &history_of_archived, json!({ "id": tweet })).await;
    let bobs_view = app.gql_as(Some(&bob.token), &history_of_archived, json!({ "id": tweet })).await;
    let bobs_lists = app
        .gql_as(
            Some(&bob.token),
            "{ archivedContentDrafts { edges { node { id } } } contentPerformanceSummaries { edges { node { contentDraftId likes } } }
               performanceSummary(from: \"2025-01-01\", to: \"2025-12-31\") { platform posts likes } }",
            json!({}),
        )
        .await;

    assert_eq!(after_six_months, before_any_job, "summarising changes no total of whole months");
    assert_eq!(before_archiving, before_any_job);
    assert_eq!(after_archiving, before_any_job, "archiving changes no total");
    let year = &before_any_job["year"];
    assert_eq!(year[1]["platform"], "twitter", "{before_any_job}");
    assert_eq!(
        (year[1]["posts"].clone(), year[1]["impressions"].clone(), year[1]["likes"].clone()),
        (json!(4), json!(430), json!(11))
    );
    assert_eq!(year[1]["averageEngagementRate"], "0.0217", "the mean of the three rates that exist");
    assert_eq!(year[1]["averagePerformanceScore"], "53.58");
    assert_eq!(year[0]["averageEngagementRate"], "0.1501", "exact, though half its rows were summarised apart");
    assert_eq!(before_any_job["january"][1]["posts"], 3);
    assert_eq!(before_any_job["february"][1]["posts"], 1);
    assert!(!exists(test, "content_drafts", tweet).await && exists(test, "content_drafts_archive", tweet).await);
    assert!(exists(test, "content_drafts", post).await, "an approved draft stays");
    assert_eq!(test.count("SELECT COUNT(*) FROM content_performance", vec![]).await, 0, "every row is summarised");

    let live = &live_history["data"]["contentDraft"];
    let archived = &archived_history["data"]["archivedContentDraft"];
    assert_eq!(live["trendSource"]["id"], trend.to_string(), "{live_history}");
    assert_eq!(live["trendMappings"]["totalCount"], 1);
    assert_eq!(live["performanceSummaries"]["totalCount"], 5, "three weeks and two months");
    assert_eq!(archived, live, "the archived draft reads the same trend, mappings and summaries: {archived_history}");
    let relevance = live["trendMappings"]["edges"][0]["node"]["relevanceScore"].as_str().expect("a decimal");
    assert_eq!(relevance.parse::<Decimal>().expect("decimal"), Decimal::new(8, 1));

    assert_eq!(code(&bobs_view), "NOT_FOUND", "{bobs_view}");
    let bobs_archive = bobs_lists["data"]["archivedContentDrafts"]["edges"].as_array().expect("Bob's archive");
    assert_eq!(bobs_archive.len(), 1, "{bobs_lists}");
    assert_eq!(bobs_archive[0]["node"]["id"], bobs.to_string());
    for summary in bobs_lists["data"]["contentPerformanceSummaries"]["edges"].as_array().expect("Bob's summaries") {
        assert_eq!(summary["node"]["contentDraftId"], bobs.to_string(), "none of Ann's: {bobs_lists}");
    }
    assert_eq!(bobs_lists["data"]["performanceSummary"], json!([{ "platform": "twitter", "posts": 1, "likes": 999 }]));
}

#[tokio::test]
async fn an_archived_drafts_mappings_and_summaries_are_nobody_elses() {
    let app = TestApp::spawn().await;
    let ann = app.sign_up(&format!("{}@example.com", Uuid::new_v4().simple())).await;
    let bob = app.sign_up(&format!("{}@example.com", Uuid::new_v4().simple())).await;
    let (tweet, trend) = published_draft_with_trend(&app, &ann, "twitter", "2025-01-06T12:00:00Z").await;
    let row = Row { created: "2025-01-07T09:00:00Z", impressions: 1, likes: 1, rate: None, score: None };
    performance(&app.test_db, ann.id, tweet, row).await;
    tick(&app.test_db, at("2026-01-08T00:00:00Z")).await;
    let nested = "{ archivedContentDrafts { edges { node { id trendSource { id } trendMappings { totalCount } performanceSummaries { totalCount } } } } }";

    let anns = app.gql_as(Some(&ann.token), nested, json!({})).await;
    let bobs = app.gql_as(Some(&bob.token), nested, json!({})).await;
    let bobs_trend = app
        .gql_as(Some(&bob.token), "query($id: UUID!) { trendInsight(id: $id) { id } }", json!({ "id": trend }))
        .await;
    let service = app
        .gql_as(
            Some(&app.service_token()),
            "query($id: UUID!) { archivedContentDraft(id: $id) { trendMappings { totalCount } performanceSummaries { totalCount } } }",
            json!({ "id": tweet }),
        )
        .await;

    let node = &anns["data"]["archivedContentDrafts"]["edges"][0]["node"];
    assert_eq!(node["id"], tweet.to_string(), "{anns}");
    assert_eq!(node["trendSource"]["id"], trend.to_string());
    assert_eq!(node["trendMappings"]["totalCount"], 1);
    assert_eq!(node["performanceSummaries"]["totalCount"], 2);
    assert_eq!(bobs["data"]["archivedContentDrafts"]["edges"], json!([]), "{bobs}");
    assert_eq!(code(&bobs_trend), "NOT_FOUND");
    assert_eq!(service["data"]["archivedContentDraft"]["trendMappings"]["totalCount"], 1, "{service}");
    assert_eq!(service["data"]["archivedContentDraft"]["performanceSummaries"]["totalCount"], 2);
}

#[tokio::test]
async fn a_draft_moves_to_the_archive_only_once_its_performance_rows_are_summarised() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let now = at("2026-11-24T00:00:00Z");
    let summarised_this_tick = stored_draft(&test, user, "published", now - Duration::days(400), vec![]).await;
    let measured_lately = stored_draft(&test, user, "published", now - Duration::days(400), vec![]).await;
    performance(
        &test,
        user,
        summarised_this_tick,
        Row { created: "2026-03-02T10:00:00Z", impressions: 5, likes: 1, rate: None, score: None },
    )
    .await;
    performance(
        &test,
        user,
        measured_lately,
        Row { created: "2026-08-16T10:00:00Z", impressions: 7, likes: 2, rate: None, score: None },
    )
    .await;

    tick(&test, now).await;
    let waiting = exists(&test, "content_drafts", measured_lately).await;
    tick(&test, now + Duration::days(90)).await;

    assert!(
        exists(&test, "content_drafts_archive", summarised_this_tick).await,
        "summarised, then archived in one tick"
    );
    assert!(waiting, "a draft with rows younger than six months stays until they are summarised");
    assert!(exists(&test, "content_drafts_archive", measured_lately).await);
    let kept = test
        .count(
            "SELECT CAST(COALESCE(SUM(likes), 0) AS BIGINT) FROM content_performance_summaries WHERE period = 'month'",
            vec![],
        )
        .await;
    assert_eq!(kept, 3, "no performance was lost");
}

#[tokio::test]
async fn deleting_a_draft_live_or_archived_deletes_its_summaries_but_archiving_does_not() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let deleted_live = stored_draft(&test, user, "published", ago(30), vec![]).await;
    let archived = stored_draft(&test, user, "rejected", ago(400), vec![]).await;
    for id in [deleted_live, archived] {
        performance(
            &test,
            user,
            id,
            Row { created: "2025-01-07T09:00:00Z", impressions: 1, likes: 1, rate: None, score: None },
        )
        .await;
    }
    tick(&test, Utc::now()).await;
    let summaries_of = |id: Uuid| {
        test.count("SELECT COUNT(*) FROM content_performance_summaries WHERE content_draft_id = $1", vec![id.into()])
    };
    let archived_kept = summaries_of(archived).await;

    test.exec("DELETE FROM content_drafts WHERE id = $1", vec![deleted_live.into()]).await.expect("delete");
    let live_left = summaries_of(deleted_live).await;
    test.exec("DELETE FROM content_drafts_archive WHERE id = $1", vec![archived.into()]).await.expect("delete");
    let archived_left = summaries_of(archived).await;

    assert_eq!(archived_kept, 2, "a week and a month stay with the archived draft");
    assert_eq!((live_left, archived_left), (0, 0));
}
