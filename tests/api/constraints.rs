//! Every CHECK, NOT NULL and UNIQUE of the data model rejects a bad row, and changes nothing.
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::Value;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::TestDb;

type Row = Vec<(&'static str, Value)>;

fn dec(s: &str) -> Value {
    s.parse::<Decimal>().expect("decimal").into()
}

fn js(v: serde_json::Value) -> Value {
    Value::Json(Some(Box::new(v)))
}

/// Parent rows the valid rows point at.
struct Parents {
    user: Uuid,
    other: Uuid,
    session: Uuid,
    trend: Uuid,
    draft: Uuid,
}

/// The smallest valid row of `table`, with a fresh id.
fn valid(table: &str, p: &Parents) -> Row {
    if table == "rate_limit_buckets" {
        return vec![("key", Uuid::new_v4().to_string().into()), ("tat_us", 0i64.into())];
    }
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
    let mut row: Row = vec![("id", Uuid::new_v4().into())];
    let u = ("user_id", Value::from(p.user));
    row.extend(match table {
        "users" => vec![("email", format!("{}@example.com", Uuid::new_v4().simple()).into())],
        "sessions" => vec![u, ("expires_at", Utc::now().into())],
        "refresh_tokens" => vec![("session_id", p.session.into()), ("token_hash", Uuid::new_v4().to_string().into())],
        "creator_profiles" => vec![u, ("email", "a@example.com".into())],
        "platform_connections" => {
            vec![u, ("platform", "twitter".into()), ("platform_user_id", "1".into()), ("platform_username", "a".into())]
        }
        "content_sources" => vec![
            u,
            ("source_type", "newsletter_rss".into()),
            ("source_identifier", "x".into()),
            ("source_name", "X".into()),
        ],
        "trend_insights" => vec![
            u,
            ("trend_topic", "t".into()),
            ("trend_description", "d".into()),
            ("confidence_score", dec("0.5")),
            ("source_count", 1i32.into()),
        ],
        "content_drafts" => {
            vec![u, ("platform", "twitter".into()), ("content_type", "thread".into()), ("content", "c".into())]
        }
        "voice_training_data" => vec![u, ("sample_content", "s".into()), ("platform", "linkedin".into())],
        "voice_models" => {
            vec![
                u,
                ("model_version", "v1".into()),
                ("model_config", js(json!({}))),
                ("training_data_count", 1i32.into()),
            ]
        }
        "trend_content_mapping" => vec![u, ("trend_id", p.trend.into()), ("content_draft_id", p.draft.into())],
        "delivery_preferences" => vec![u],
        "daily_deliveries" => vec![u, ("delivery_date", day.into())],
        "creator_analytics" => vec![u, ("metric_date", day.into()), ("platform", "overall".into())],
        "content_performance" => vec![u, ("content_draft_id", p.draft.into())],
        "usage_tracking" => vec![u, ("usage_date", day.into()), ("action_type", "trend_analyzed".into())],
        "subscription_billing" => vec![u, ("subscription_status", "trialing".into())],
        "agency_clients" => {
            vec![("agency_user_id", p.user.into()), ("client_user_id", p.other.into()), ("client_name", "C".into())]
        }
        "ai_processing_logs" => vec![("processing_type", "voice_training".into()), ("input_data", js(json!({})))],
        "system_health_metrics" => vec![("metric_name", "m".into()), ("metric_value", dec("1.5"))],
        "credit_costs" => vec![("action_type", "voice_training".into()), ("cost", dec("1"))],
        "credit_transactions" => {
            vec![u, ("amount", dec("-1")), ("reason", "usage".into()), ("balance_after", dec("0"))]
        }
        "user_roles" => vec![u, ("role", "support".into())],
        "audit_logs" => vec![("actor_kind", "system".into()), ("action", "test".into())],
        "webhook_events" => vec![
            ("event_id", format!("evt_{}", Uuid::new_v4().simple()).into()),
            ("event_type", "invoice.paid".into()),
            ("provider_created", 1i64.into()),
            ("payload", js(json!({}))),
        ],
        "subscription_events" => vec![u, ("kind", "renewed".into())],
        "client_logs" => vec![u, ("level", "error".into()), ("message", "m".into())],
        "jobs" => vec![u, ("queue", "generation".into()), ("payload", js(json!({})))],
        "generations" => vec![
            u,
            ("platform", "twitter".into()),
            ("content_type", "thread".into()),
            ("requested_count", 2i32.into()),
            ("credits_reserved", dec("2")),
            ("deadline", chrono::Utc::now().into()),
        ],
        "credit_reservations" => {
            vec![u, ("job_id", Uuid::new_v4().into()), ("amount", dec("2")), ("expires_at", chrono::Utc::now().into())]
        }
        other => panic!("no valid row for {other}"),
    });
    row
}

fn with(mut row: Row, column: &'static str, value: Value) -> Row {
    row.retain(|(c, _)| *c != column);
    row.push((column, value));
    row
}

async fn count(test: &TestDb, table: &str) -> i64 {
    test.count(&format!("SELECT COUNT(*) FROM {table}"), vec![]).await
}

async fn setup() -> (TestDb, Parents) {
    let test = TestDb::migrated().await;
    let (user, other) = (test.user().await, test.user().await);
    let mut p = Parents { user, other, session: Uuid::nil(), trend: Uuid::nil(), draft: Uuid::nil() };
    for (table, slot) in [("sessions", 0), ("trend_insights", 1), ("content_drafts", 2)] {
        let row = valid(table, &p);
        let Value::Uuid(Some(id)) = row[0].1.clone() else { unreachable!() };
        test.insert(table, &row).await.unwrap_or_else(|e| panic!("{table}: {e}"));
        match slot {
            0 => p.session = id,
            1 => p.trend = id,
            _ => p.draft = id,
        }
    }
    (test, p)
}

/// Asserts the row is refused and the table unchanged.
async fn refused(test: &TestDb, table: &str, row: Row, why: &str, failures: &mut Vec<String>) {
    let before = count(test, table).await;
    let result = test.insert(table, &row).await;
    if result.is_ok() {
        failures.push(format!("{table}: {why} was accepted"));
    } else if count(test, table).await != before {
        failures.push(format!("{table}: {why} changed the table"));
    }
}

const CHECKS: &[(&str, &str, &str)] = &[
    ("users", "role", "admin"),
    ("platform_connections", "platform", "myspace"),
    ("content_sources", "source_type", "fax"),
    ("trend_insights", "status", "hot"),
    ("content_drafts", "platform", "myspace"),
    ("content_drafts", "content_type", "poem"),
    ("content_drafts", "status", "lost"),
    ("voice_training_data", "platform", "myspace"),
    ("creator_profiles", "voice_training_status", "sleeping"),
    ("creator_profiles", "subscription_tier", "platinum"),
    ("daily_deliveries", "delivery_status", "late"),
    ("daily_deliveries", "delivery_channel", "pigeon"),
    ("creator_analytics", "platform", "myspace"),
    ("usage_tracking", "action_type", "dance"),
    ("usage_tracking", "platform", "myspace"),
    ("subscription_billing", "subscription_status", "gone"),
    ("ai_processing_logs", "processing_type", "dreaming"),
    ("ai_processing_logs", "status", "lost"),
    ("credit_costs", "action_type", "dance"),
    ("user_roles", "role", "owner"),
    ("audit_logs", "actor_kind", "robot"),
    ("webhook_events", "status", "lost"),
    ("subscription_events", "kind", "vanished"),
    ("client_logs", "level", "shout"),
    ("credit_transactions", "reason", "gift"),
];

#[tokio::test]
async fn every_check_rejects_a_bad_value() {
    let (test, p) = setup().await;
    let mut failures = Vec::new();

    for (table, column, bad) in CHECKS {
        refused(
            &test,
            table,
            with(valid(table, &p), column, (*bad).into()),
            &format!("{column} = {bad}"),
            &mut failures,
        )
        .await;
    }
    let numeric: &[(&str, &str, Value)] = &[
        ("content_sources", "priority_level", 0i32.into()),
        ("content_sources", "priority_level", 11i32.into()),
        ("content_sources", "crawl_frequency", 0i64.into()),
        ("content_drafts", "feedback_score", 2i32.into()),
        ("content_drafts", "feedback_score", (-2i32).into()),
        ("credit_costs", "cost", dec("-1")),
        ("credit_transactions", "balance_after", dec("-0.01")),
        ("subscription_billing", "credit_balance", dec("-0.01")),
    ];
    for (table, column, bad) in numeric {
        refused(
            &test,
            table,
            with(valid(table, &p), column, bad.clone()),
            &format!("{column} = {bad:?}"),
            &mut failures,
        )
        .await;
    }
    // Every valid row is accepted: the refusals above are the bad values' doing.
    for table in migration::TABLES {
        if [
            "content_drafts_archive",
            "content_performance_summaries",
            "trend_content_mapping_archive",
            "job_runs",
            "event_outbox",
            "event_positions",
            "audit_logs",
            "rate_limit_buckets",
            "webhook_events",
        ]
        .contains(table)
        {
            continue;
        }
        if *table == "credit_costs" {
            test.exec("DELETE FROM credit_costs WHERE action_type = 'voice_training'", vec![])
                .await
                .expect("make room");
        }
        if let Err(err) = test.insert(table, &valid(table, &p)).await {
            failures.push(format!("{table}: the valid row was refused: {err}"));
        }
    }

    assert!(failures.is_empty(), "{failures:#?}");
}

/// A typed SQL NULL.
type Null = fn() -> Value;

const NOT_NULL: &[(&str, &str, Null)] = &[
    ("users", "email", || Value::String(None)),
    ("sessions", "user_id", || Value::Uuid(None)),
    ("sessions", "expires_at", || Value::ChronoDateTimeUtc(None)),
    ("refresh_tokens", "session_id", || Value::Uuid(None)),
    ("refresh_tokens", "token_hash", || Value::String(None)),
    ("creator_profiles", "user_id", || Value::Uuid(None)),
    ("creator_profiles", "email", || Value::String(None)),
    ("platform_connections", "platform", || Value::String(None)),
    ("platform_connections", "platform_user_id", || Value::String(None)),
    ("platform_connections", "platform_username", || Value::String(None)),
    ("content_sources", "source_type", || Value::String(None)),
    ("content_sources", "source_identifier", || Value::String(None)),
    ("content_sources", "source_name", || Value::String(None)),
    ("trend_insights", "trend_topic", || Value::String(None)),
    ("trend_insights", "trend_description", || Value::String(None)),
    ("trend_insights", "confidence_score", || Value::Decimal(None)),
    ("trend_insights", "source_count", || Value::Int(None)),
    ("content_drafts", "user_id", || Value::Uuid(None)),
    ("content_drafts", "platform", || Value::String(None)),
    ("content_drafts", "content_type", || Value::String(None)),
    ("content_drafts", "content", || Value::String(None)),
    ("voice_training_data", "sample_content", || Value::String(None)),
    ("voice_training_data", "platform", || Value::String(None)),
    ("voice_models", "model_version", || Value::String(None)),
    ("voice_models", "model_config", || Value::Json(None)),
    ("voice_models", "training_data_count", || Value::Int(None)),
    ("trend_content_mapping", "trend_id", || Value::Uuid(None)),
    ("trend_content_mapping", "content_draft_id", || Value::Uuid(None)),
    ("delivery_preferences", "user_id", || Value::Uuid(None)),
    ("daily_deliveries", "delivery_date", || Value::ChronoDate(None)),
    ("creator_analytics", "metric_date", || Value::ChronoDate(None)),
    ("creator_analytics", "platform", || Value::String(None)),
    ("content_performance", "content_draft_id", || Value::Uuid(None)),
    ("usage_tracking", "usage_date", || Value::ChronoDate(None)),
    ("usage_tracking", "action_type", || Value::String(None)),
    ("subscription_billing", "subscription_status", || Value::String(None)),
    ("agency_clients", "agency_user_id", || Value::Uuid(None)),
    ("agency_clients", "client_user_id", || Value::Uuid(None)),
    ("agency_clients", "client_name", || Value::String(None)),
    ("ai_processing_logs", "processing_type", || Value::String(None)),
    ("ai_processing_logs", "input_data", || Value::Json(None)),
    ("system_health_metrics", "metric_name", || Value::String(None)),
    ("system_health_metrics", "metric_value", || Value::Decimal(None)),
    ("credit_transactions", "amount", || Value::Decimal(None)),
    ("credit_transactions", "balance_after", || Value::Decimal(None)),
];

#[tokio::test]
async fn every_not_null_column_rejects_null() {
    let (test, p) = setup().await;
    let mut failures = Vec::new();

    for (table, column, null) in NOT_NULL {
        refused(&test, table, with(valid(table, &p), column, null()), &format!("{column} = NULL"), &mut failures).await;
    }

    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn every_unique_key_rejects_a_duplicate() {
    let (test, p) = setup().await;
    let mut failures = Vec::new();
    let keys: &[(&str, &[&str])] = &[
        ("creator_profiles", &["user_id"]),
        ("creator_profiles", &["creator_handle"]),
        ("platform_connections", &["user_id", "platform"]),
        ("delivery_preferences", &["user_id"]),
        ("daily_deliveries", &["user_id", "delivery_date"]),
        ("subscription_billing", &["user_id"]),
        ("subscription_billing", &["stripe_customer_id"]),
        ("subscription_billing", &["stripe_subscription_id"]),
        ("agency_clients", &["agency_user_id", "client_user_id"]),
        ("refresh_tokens", &["token_hash"]),
        ("credit_costs", &["action_type"]),
    ];

    for (table, key) in keys {
        test.exec(&format!("DELETE FROM {table}"), vec![]).await.expect("empty the table");
        let mut first = valid(table, &p);
        let mut second = valid(table, &p);
        // Only the key repeats: the second row belongs to another user unless the user is part
        // of the key, and the table's other unique columns differ.
        if !key.contains(&"user_id") && second.iter().any(|(c, _)| *c == "user_id") {
            second = with(second, "user_id", p.other.into());
        }
        let others: &[&str] = match *table {
            "creator_profiles" => &["creator_handle"],
            "subscription_billing" => &["stripe_customer_id", "stripe_subscription_id"],
            _ => &[],
        };
        for column in others.iter().filter(|c| !key.contains(c)) {
            first = with(first, column, Uuid::new_v4().to_string().into());
            second = with(second, column, Uuid::new_v4().to_string().into());
        }
        for column in key.iter() {
            if let Some((_, v)) = first.iter().find(|(c, _)| c == column).cloned() {
                second = with(second, column, v);
            } else {
                let value: Value = format!("key-{}", Uuid::new_v4().simple()).into();
                first = with(first, column, value.clone());
                second = with(second, column, value);
            }
        }
        if let Err(err) = test.insert(table, &first).await {
            failures.push(format!("{table}: first row refused: {err}"));
            continue;
        }
        refused(&test, table, second, &format!("a duplicate {key:?}"), &mut failures).await;
    }
    let email = format!("{}@Example.com", Uuid::new_v4().simple());
    test.insert("users", &[("email", email.clone().into())]).await.expect("first email");
    refused(
        &test,
        "users",
        vec![("email", email.to_lowercase().into())],
        "the same email in other case",
        &mut failures,
    )
    .await;

    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn a_foreign_key_to_a_missing_row_is_rejected() {
    let (test, p) = setup().await;
    let mut failures = Vec::new();
    let missing = Uuid::new_v4();

    for (table, column) in [
        ("content_drafts", "user_id"),
        ("content_drafts", "trend_source_id"),
        ("trend_content_mapping", "trend_id"),
        ("trend_content_mapping", "content_draft_id"),
        ("content_performance", "content_draft_id"),
        ("refresh_tokens", "session_id"),
        ("agency_clients", "client_user_id"),
    ] {
        refused(
            &test,
            table,
            with(valid(table, &p), column, missing.into()),
            &format!("{column} to nowhere"),
            &mut failures,
        )
        .await;
    }

    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn cascades_delete_children_and_a_referenced_trend_cannot_vanish_under_its_drafts() {
    let (test, p) = setup().await;
    let draft_with_trend = with(valid("content_drafts", &p), "trend_source_id", p.trend.into());
    test.insert("content_drafts", &draft_with_trend).await.expect("draft citing the trend");
    for table in ["trend_content_mapping", "content_performance", "refresh_tokens"] {
        test.insert(table, &valid(table, &p)).await.unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    let children = |table: &'static str, column: &'static str, id: Uuid| {
        let test = &test;
        async move { test.count(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"), vec![id.into()]).await }
    };

    test.exec("DELETE FROM content_drafts WHERE id = $1", vec![p.draft.into()]).await.expect("delete draft");
    test.exec("DELETE FROM sessions WHERE id = $1", vec![p.session.into()]).await.expect("delete session");
    let trend_refused = test.exec("DELETE FROM trend_insights WHERE id = $1", vec![p.trend.into()]).await;

    assert_eq!(children("content_performance", "content_draft_id", p.draft).await, 0);
    assert_eq!(children("trend_content_mapping", "content_draft_id", p.draft).await, 0);
    assert_eq!(children("refresh_tokens", "session_id", p.session).await, 0);
    assert!(trend_refused.is_err(), "a trend a draft was written from is not deleted behind it");
    assert_eq!(children("trend_insights", "id", p.trend).await, 1);
}

#[tokio::test]
async fn deleting_a_user_removes_their_rows_from_every_table_and_keeps_everyone_elses() {
    let (test, p) = setup().await;
    let bob = Parents { user: p.other, other: p.user, session: Uuid::nil(), trend: Uuid::nil(), draft: Uuid::nil() };
    for table in migration::TABLES {
        if [
            "users",
            "sessions",
            "trend_insights",
            "content_drafts",
            "credit_costs",
            "system_health_metrics",
            "job_runs",
            "event_outbox",
            "event_positions",
            "audit_logs",
            "rate_limit_buckets",
            "webhook_events",
        ]
        .contains(table)
            || table.starts_with("content_drafts_archive")
            || *table == "content_performance_summaries"
            || *table == "trend_content_mapping_archive"
        {
            continue;
        }
        let mut row = valid(table, &p);
        if *table == "ai_processing_logs" {
            row = with(row, "user_id", p.user.into());
        }
        test.insert(table, &row).await.unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    for table in ["creator_profiles", "delivery_preferences", "subscription_billing", "usage_tracking"] {
        test.insert(table, &valid(table, &bob)).await.unwrap_or_else(|e| panic!("bob's {table}: {e}"));
    }

    test.exec("DELETE FROM users WHERE id = $1", vec![p.user.into()]).await.expect("delete the user");

    for table in migration::TABLES {
        for column in ["user_id", "agency_user_id", "client_user_id"] {
            let has = test
                .count(
                    &if test.is_postgres() {
                        format!("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' AND column_name = '{column}'")
                    } else {
                        format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'")
                    },
                    vec![],
                )
                .await;
            if has == 1 {
                let left =
                    test.count(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"), vec![p.user.into()]).await;
                assert_eq!(left, 0, "{table}.{column}");
            }
        }
    }
    assert_eq!(test.count("SELECT COUNT(*) FROM refresh_tokens", vec![]).await, 0);
    for table in ["creator_profiles", "delivery_preferences", "subscription_billing", "usage_tracking"] {
        assert_eq!(count(&test, table).await, 1, "Bob's {table} stays");
    }
}
