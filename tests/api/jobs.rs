//! Retention and allowance jobs: what they move, delete, summarise and reset; idempotence; one
//! run per slot across instances.
use chrono::{DateTime, Duration, Utc};
use creatorpulse::db;
use creatorpulse::events::local::LocalBus;
use creatorpulse::jobs::{self, Job, Outcome};
use rust_decimal::Decimal;
use sea_orm::Value;
use uuid::Uuid;

use crate::helpers::TestDb;

fn ago(days: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(days)
}

async fn draft(test: &TestDb, user: Uuid, status: &str, created: DateTime<Utc>) -> Uuid {
    let id = Uuid::new_v4();
    test.insert(
        "content_drafts",
        &[
            ("id", id.into()),
            ("user_id", user.into()),
            ("platform", "twitter".into()),
            ("content_type", "single_tweet".into()),
            ("content", "x".into()),
            ("status", status.into()),
            ("created_at", created.into()),
        ],
    )
    .await
    .expect("draft");
    id
}

async fn exists(test: &TestDb, table: &str, id: Uuid) -> bool {
    test.count(&format!("SELECT COUNT(*) FROM {table} WHERE id = $1"), vec![id.into()]).await == 1
}

#[tokio::test]
async fn old_rejected_and_published_drafts_move_to_the_archive_once() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let old_rejected = draft(&test, user, "rejected", ago(100)).await;
    let new_rejected = draft(&test, user, "rejected", ago(10)).await;
    let old_published = draft(&test, user, "published", ago(400)).await;
    let new_published = draft(&test, user, "published", ago(100)).await;
    let old_pending = draft(&test, user, "pending", ago(400)).await;

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
    let published = draft(&test, user, "published", ago(300)).await;
    // Two rows in one week, seven months ago, and one recent row.
    let monday = DateTime::parse_from_rfc3339("2026-03-02T10:00:00+00:00").expect("time").with_timezone(&Utc);
    for (created, likes) in [(monday, 3i32), (monday + Duration::days(2), 4), (ago(10), 100)] {
        test.insert(
            "content_performance",
            &[
                ("user_id", user.into()),
                ("content_draft_id", published.into()),
                ("likes", likes.into()),
                ("impressions", 10i64.into()),
                ("engagement_rate", Decimal::new(5, 1).into()),
                ("created_at", created.into()),
            ],
        )
        .await
        .expect("performance");
    }
    let now = DateTime::parse_from_rfc3339("2026-11-24T00:00:00+00:00").expect("time").with_timezone(&Utc);

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
        draft(&test, user, "rejected", ago(200)).await;
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
    runtime.block_on(draft(&test, user, "rejected", ago(100)));
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
    let old = draft(&app.test_db, ann.id, "rejected", ago(120)).await;
    jobs::run(&app.test_db.db, &LocalBus::new(1), Job::ArchiveDrafts, "slot", Utc::now()).await.expect("runs");
    let query = "{ archivedContentDrafts { totalCount edges { node { id status archivedAt } } } }";

    let anns = app.gql_as(Some(&ann.token), query, serde_json::json!({})).await;
    let bobs = app.gql_as(Some(&bob.token), query, serde_json::json!({})).await;
    let export = app.gql_as(Some(&ann.token), "{ exportMyData }", serde_json::json!({})).await;

    assert_eq!(anns["data"]["archivedContentDrafts"]["edges"][0]["node"]["id"], old.to_string(), "{anns}");
    assert_eq!(anns["data"]["archivedContentDrafts"]["edges"][0]["node"]["status"], "rejected");
    assert_eq!(bobs["data"]["archivedContentDrafts"]["totalCount"], 0);
    assert_eq!(
        export["data"]["exportMyData"]["tables"]["content_drafts_archive"][0]["id"],
        old.to_string(),
        "{export}"
    );
}

#[tokio::test]
async fn the_in_server_schedule_runs_every_job_and_stops_on_shutdown() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let old = draft(&test, user, "rejected", ago(100)).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);

    let schedule = tokio::spawn(jobs::schedule(
        test.db.clone(),
        std::sync::Arc::new(LocalBus::new(1)),
        std::time::Duration::from_secs(3600),
        stopped,
    ));
    let mut runs = 0;
    for _ in 0..100 {
        runs = test.count("SELECT COUNT(*) FROM job_runs WHERE status = 'completed'", vec![]).await;
        if runs == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.send(true).expect("signal");
    tokio::time::timeout(std::time::Duration::from_secs(5), schedule).await.expect("stops").expect("task");

    assert_eq!(runs, 4, "the first tick runs all four jobs");
    assert!(exists(&test, "content_drafts_archive", old).await);
}
