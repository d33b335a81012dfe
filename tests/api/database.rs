//! Rules the database itself enforces: `updated_at`, voice-model activation, daily credits,
//! exact decimals, and migrations that go down and up.

use chrono::NaiveDate;
use creatorpulse::billing::usage::daily_credits;
use creatorpulse::jobs;
use migration::{Migrator, MigratorTrait};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Value};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::dec;
use crate::helpers::TestDb;

/// A row as `(column, value)` pairs.
type Row = Vec<(&'static str, Value)>;

async fn decimal_at(test: &TestDb, sql: &str, id: Uuid) -> Decimal {
    let row = test.db.query_one_raw(test.stmt(sql, vec![id.into()])).await.expect("query runs").expect("a row");
    row.try_get_by_index::<Decimal>(0).expect("a decimal").normalize()
}

async fn text_at(test: &TestDb, sql: &str, id: Uuid) -> String {
    let row = test.db.query_one_raw(test.stmt(sql, vec![id.into()])).await.expect("query runs").expect("a row");
    match row.try_get_by_index::<chrono::DateTime<chrono::Utc>>(0) {
        Ok(t) => t.to_rfc3339(),
        Err(_) => row.try_get_by_index::<String>(0).expect("a timestamp"),
    }
}

async fn voice_model(test: &TestDb, user: Uuid, active: bool) -> Uuid {
    let id = Uuid::new_v4();
    test.insert(
        "voice_models",
        &[
            ("id", id.into()),
            ("user_id", user.into()),
            ("model_version", "v1".into()),
            ("model_config", Value::Json(Some(Box::new(json!({}))))),
            ("training_data_count", 10i32.into()),
            ("is_active", active.into()),
        ],
    )
    .await
    .expect("insert voice model");
    id
}

async fn active_models(test: &TestDb, user: Uuid) -> i64 {
    test.count("SELECT COUNT(*) FROM voice_models WHERE user_id = $1 AND is_active", vec![user.into()]).await
}

#[tokio::test]
async fn updated_at_moves_on_every_update_of_every_table_that_has_it() {
    let test = TestDb::migrated().await;
    let (user, other) = (test.user().await, test.user().await);
    let past =
        chrono::DateTime::parse_from_rfc3339("2000-01-01T00:00:00+00:00").expect("time").with_timezone(&chrono::Utc);
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
    let u = || -> (&'static str, Value) { ("user_id", user.into()) };
    // Each table's smallest valid row, and a column to change.
    let rows: Vec<(&str, Row, &str)> = vec![
        ("sessions", vec![u(), ("expires_at", past.into())], "revoked_at = expires_at"),
        ("creator_profiles", vec![u(), ("email", "a@example.com".into())], "full_name = 'Ann'"),
        ("user_roles", vec![u(), ("role", "support".into())], "role = 'admin'"),
        (
            "webhook_events",
            vec![
                ("event_id", "evt_1".into()),
                ("event_type", "invoice.paid".into()),
                ("provider_created", 1i64.into()),
                ("payload", Value::Json(Some(Box::new(serde_json::json!({}))))),
            ],
            "status = 'processed'",
        ),
        (
            "platform_connections",
            vec![
                u(),
                ("platform", "twitter".into()),
                ("platform_user_id", "1".into()),
                ("platform_username", "ann".into()),
            ],
            "platform_username = 'anne'",
        ),
        (
            "content_sources",
            vec![
                u(),
                ("source_type", "newsletter_rss".into()),
                ("source_identifier", "x".into()),
                ("source_name", "X".into()),
            ],
            "source_name = 'Y'",
        ),
        (
            "trend_insights",
            vec![
                u(),
                ("trend_topic", "t".into()),
                ("trend_description", "d".into()),
                ("confidence_score", dec("0.5").into()),
                ("source_count", 1i32.into()),
            ],
            "trend_topic = 'u'",
        ),
        (
            "content_drafts",
            vec![
                u(),
                ("platform", "twitter".into()),
                ("content_type", "single_tweet".into()),
                ("content", "hi".into()),
            ],
            "content = 'hello'",
        ),
        ("delivery_preferences", vec![u()], "email_enabled = false"),
        (
            "creator_analytics",
            vec![u(), ("metric_date", day.into()), ("platform", "overall".into())],
            "drafts_generated = 3",
        ),
        (
            "subscription_billing",
            vec![u(), ("subscription_status", "active".into())],
            "subscription_status = 'past_due'",
        ),
        (
            "agency_clients",
            vec![("agency_user_id", user.into()), ("client_user_id", other.into()), ("client_name", "C".into())],
            "client_name = 'D'",
        ),
        ("credit_costs", vec![("action_type", "voice_training".into()), ("cost", dec("5").into())], "cost = 6"),
        (
            "content_drafts_archive",
            vec![u(), ("platform", "twitter".into()), ("content_type", "thread".into()), ("content", "old".into())],
            "content = 'older'",
        ),
        (
            "jobs",
            vec![("queue", "generation".into()), ("payload", Value::Json(Some(Box::new(serde_json::json!({})))))],
            "attempts = 1",
        ),
        (
            "generations",
            vec![
                u(),
                ("platform", "twitter".into()),
                ("content_type", "single_tweet".into()),
                ("requested_count", 1i32.into()),
                ("credits_reserved", dec("1").into()),
                ("deadline", past.into()),
            ],
            "drafts_written = 1",
        ),
    ];
    let mut covered = vec!["users"];
    test.exec("DELETE FROM credit_costs WHERE action_type = 'voice_training'", vec![]).await.expect("make room");
    test.exec("UPDATE users SET updated_at = $1 WHERE id = $2", vec![past.into(), user.into()])
        .await
        .expect("backdate");
    // PostgreSQL's BEFORE trigger overrides even an explicit value, so rows start in the past
    // by insertion, which fires no update trigger.
    let users_start = text_at(&test, "SELECT updated_at FROM users WHERE id = $1", user).await;

    for (table, mut row, change) in rows {
        let id = Uuid::new_v4();
        row.push(("id", id.into()));
        row.push(("updated_at", past.into()));
        test.insert(table, &row).await.unwrap_or_else(|e| panic!("insert into {table}: {e}"));
        let before = text_at(&test, &format!("SELECT updated_at FROM {table} WHERE id = $1"), id).await;

        test.exec(&format!("UPDATE {table} SET {change} WHERE id = $1"), vec![id.into()]).await.expect("update");

        let after = text_at(&test, &format!("SELECT updated_at FROM {table} WHERE id = $1"), id).await;
        assert!(before.starts_with("2000-01-01"), "{table} starts in the past: {before}");
        assert!(after.as_str() > "2020", "{table}.updated_at moved on update: {after}");
        covered.push(table);
    }
    test.exec("UPDATE users SET email = email WHERE id = $1", vec![user.into()]).await.expect("update user");
    let users_after = text_at(&test, "SELECT updated_at FROM users WHERE id = $1", user).await;
    assert!(users_after.as_str() > "2020", "users.updated_at moved: {users_start} -> {users_after}");
    let with_column = if test.is_postgres() {
        "SELECT COUNT(*) FROM information_schema.columns WHERE column_name = 'updated_at' AND table_schema = current_schema()"
    } else {
        "SELECT COUNT(*) FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'updated_at'"
    };
    assert_eq!(test.count(with_column, vec![]).await, covered.len() as i64, "every table with updated_at is covered");
}

#[tokio::test]
async fn every_table_with_updated_at_has_a_trigger_that_maintains_it() {
    let test = TestDb::migrated().await;
    let sql = if test.is_postgres() {
        "SELECT COUNT(*) FROM information_schema.columns c WHERE c.column_name = 'updated_at' \
         AND c.table_schema = current_schema() AND NOT EXISTS (SELECT 1 FROM information_schema.triggers t \
         WHERE t.event_object_table = c.table_name AND t.trigger_name = 'update_' || c.table_name || '_updated_at' \
         AND t.trigger_schema = current_schema())"
    } else {
        "SELECT COUNT(*) FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' \
         AND p.name = 'updated_at' AND NOT EXISTS (SELECT 1 FROM sqlite_master t WHERE t.type = 'trigger' \
         AND t.name = 'update_' || m.name || '_updated_at')"
    };

    let missing = test.count(sql, vec![]).await;

    assert_eq!(missing, 0, "tables with updated_at but no trigger");
}

#[tokio::test]
async fn activating_a_voice_model_deactivates_the_users_other_models_only() {
    let test = TestDb::migrated().await;
    let (ann, bob) = (test.user().await, test.user().await);
    let first = voice_model(&test, ann, true).await;
    let second = voice_model(&test, ann, false).await;
    let bobs = voice_model(&test, bob, true).await;

    test.exec("UPDATE voice_models SET is_active = true WHERE id = $1", vec![second.into()]).await.expect("activate");
    let third = voice_model(&test, ann, true).await;

    assert_eq!(active_models(&test, ann).await, 1);
    let active =
        |id: Uuid| test.count("SELECT COUNT(*) FROM voice_models WHERE id = $1 AND is_active", vec![id.into()]);
    assert_eq!(active(third).await, 1, "the newest activation wins");
    assert_eq!(active(first).await + active(second).await, 0);
    assert_eq!(active(bobs).await, 1, "another user's model is untouched");
}

#[tokio::test]
async fn twenty_concurrent_activations_leave_exactly_one_active_model() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let mut models = Vec::new();
    for _ in 0..20 {
        models.push(voice_model(&test, user, false).await);
    }

    let tasks: Vec<_> = models
        .iter()
        .map(|id| {
            let (db, stmt) = (
                test.db.clone(),
                test.stmt("UPDATE voice_models SET is_active = true WHERE id = $1", vec![(*id).into()]),
            );
            tokio::spawn(async move { db.execute_raw(stmt).await })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        // A race may abort a loser (deadlock or the partial unique index); it never leaves two.
        if task.await.expect("task ran").is_ok() {
            succeeded += 1;
        }
    }

    assert!(succeeded >= 1);
    assert_eq!(active_models(&test, user).await, 1);
}

#[tokio::test]
async fn two_active_models_for_one_user_are_impossible_even_without_the_trigger() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    voice_model(&test, user, true).await;
    let drop = if test.is_postgres() {
        "DROP TRIGGER activate_voice_model ON voice_models"
    } else {
        "DROP TRIGGER activate_voice_model_insert"
    };
    test.db.execute_unprepared(drop).await.expect("drop trigger");

    let second = test
        .insert(
            "voice_models",
            &[
                ("user_id", user.into()),
                ("model_version", "v2".into()),
                ("model_config", Value::Json(Some(Box::new(json!({}))))),
                ("training_data_count", 1i32.into()),
                ("is_active", true.into()),
            ],
        )
        .await;

    assert!(second.is_err(), "the partial unique index refuses a second active model");
}

#[tokio::test]
async fn calculate_daily_credits_sums_one_users_credits_of_one_day() {
    let test = TestDb::migrated().await;
    let (ann, bob) = (test.user().await, test.user().await);
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
    let other_day = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    for (user, date, credits) in
        [(ann, day, "0.10"), (ann, day, "0.20"), (ann, day, "1.25"), (ann, other_day, "5"), (bob, day, "7")]
    {
        test.insert(
            "usage_tracking",
            &[
                ("user_id", user.into()),
                ("usage_date", date.into()),
                ("action_type", "draft_generated".into()),
                ("credits_consumed", dec(credits).into()),
            ],
        )
        .await
        .expect("insert usage");
    }

    let total = daily_credits(&test.db, ann, day).await.expect("credits");
    let none = daily_credits(&test.db, ann, NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")).await.expect("credits");

    assert_eq!(total, dec("1.55"));
    assert_eq!(none, Decimal::ZERO);
}

#[tokio::test]
async fn calculate_daily_credits_is_the_seeds_stored_function_on_postgres() {
    let test = TestDb::migrated().await;
    if !test.is_postgres() {
        return;
    }

    let functions = test
        .count(
            "SELECT COUNT(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE p.proname = 'calculate_daily_credits' AND n.nspname = current_schema() AND p.prosecdef",
            vec![],
        )
        .await;

    assert_eq!(functions, 1);
}

#[tokio::test]
async fn credit_balance_arithmetic_is_exact() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    let id = Uuid::new_v4();
    test.insert(
        "subscription_billing",
        &[
            ("id", id.into()),
            ("user_id", user.into()),
            ("subscription_status", "active".into()),
            ("credit_balance", dec("0.10").into()),
        ],
    )
    .await
    .expect("insert billing");

    test.exec(
        "UPDATE subscription_billing SET credit_balance = ROUND(credit_balance + $1, 2) WHERE id = $2",
        vec![dec("0.20").into(), id.into()],
    )
    .await
    .expect("add credits");

    let balance = decimal_at(&test, "SELECT credit_balance FROM subscription_billing WHERE id = $1", id).await;
    assert_eq!(balance, dec("0.30"));
    assert_eq!(balance.to_string(), "0.3");
}

#[tokio::test]
async fn decimal_values_round_trip_exactly_at_every_precision_of_the_seed() {
    let test = TestDb::migrated().await;
    let user = test.user().await;
    // credit_balance decimal(10,2), monthly_credit_limit decimal(10,2), overage_rate decimal(6,4)
    let cases = [
        ("99999999.99", "0.01", "99.9999"),
        ("12345678.91", "1234.56", "0.0001"),
        ("0.10", "0.30", "12.3456"),
        ("0.07", "-100", "0.1"),
    ];

    for (balance, limit, rate) in cases {
        let id = Uuid::new_v4();
        test.insert(
            "subscription_billing",
            &[
                ("id", id.into()),
                ("user_id", test.user().await.into()),
                ("subscription_status", "trialing".into()),
                ("credit_balance", dec(balance).into()),
                ("monthly_credit_limit", dec(limit).into()),
                ("overage_rate", dec(rate).into()),
            ],
        )
        .await
        .expect("insert billing");

        let sql = "SELECT credit_balance, monthly_credit_limit, overage_rate FROM subscription_billing WHERE id = $1";
        let row = test.db.query_one_raw(test.stmt(sql, vec![id.into()])).await.expect("query").expect("row");
        for (i, expected) in [balance, limit, rate].into_iter().enumerate() {
            let got = row.try_get_by_index::<Decimal>(i).expect("decimal").normalize();
            assert_eq!(got, dec(expected).normalize(), "column {i} of {balance}/{limit}/{rate}");
        }
    }
    let _ = user;
}

#[tokio::test]
async fn migrations_go_down_and_up_again_cleanly() {
    let test = TestDb::migrated().await;
    let applied = Migrator::migrations().len();

    Migrator::down(&test.db, None).await.expect("all migrations go down");
    let tables_after_down = count_tables(&test).await;
    Migrator::up(&test.db, None).await.expect("and up again");
    let user = test.user().await;

    assert_eq!(tables_after_down, 1, "only the migration ledger remains after down");
    assert_eq!(count_tables(&test).await, migration::TABLES.len() as i64 + 1);
    assert_eq!(Migrator::get_pending_migrations(&test.db).await.expect("status").len(), 0);
    assert_eq!(Migrator::get_applied_migrations(&test.db).await.expect("status").len(), applied);
    assert_eq!(test.count("SELECT COUNT(*) FROM users WHERE id = $1", vec![user.into()]).await, 1);
}

#[tokio::test]
async fn summaries_made_before_the_upgrade_keep_their_means_and_outlive_their_drafts_archiving() {
    let test = TestDb::empty().await;
    Migrator::up(&test.db, Some(16)).await.expect("the migrations before 000017 apply");
    let user = test.user().await;
    let draft = Uuid::new_v4();
    let created = chrono::Utc::now() - chrono::Duration::days(100);
    let rows: [(&str, Row); 2] = [
        (
            "content_drafts",
            vec![
                ("id", draft.into()),
                ("user_id", user.into()),
                ("platform", "twitter".into()),
                ("content_type", "single_tweet".into()),
                ("content", "c".into()),
                ("status", "rejected".into()),
                ("created_at", created.into()),
            ],
        ),
        (
            "content_performance_summaries",
            vec![
                ("user_id", user.into()),
                ("content_draft_id", draft.into()),
                ("period", "month".into()),
                ("period_start", NaiveDate::from_ymd_opt(2026, 3, 1).into()),
                ("rows_aggregated", 2i32.into()),
                ("impressions", 10i64.into()),
                ("likes", 3i64.into()),
                ("shares", 0i64.into()),
                ("comments", 0i64.into()),
                ("clicks", 0i64.into()),
                ("saves", 0i64.into()),
                ("avg_engagement_rate", dec("0.0250").into()),
            ],
        ),
    ];
    for (table, row) in rows {
        test.insert(table, &row).await.unwrap_or_else(|e| panic!("{table}: {e}"));
    }

    Migrator::up(&test.db, None).await.expect("the upgrade applies to a database with summaries");
    let sum = decimal_at(
        &test,
        "SELECT engagement_rate_sum FROM content_performance_summaries WHERE content_draft_id = $1",
        draft,
    )
    .await;
    let counted = test
        .count("SELECT CAST(engagement_rate_count AS BIGINT) FROM content_performance_summaries WHERE content_draft_id = $1", vec![draft.into()])
        .await;
    let bus = creatorpulse::events::local::LocalBus::new(1);
    jobs::run(&test.db, &bus, jobs::Job::ArchiveDrafts, "slot", chrono::Utc::now()).await.expect("archives");

    assert_eq!((sum, counted), (dec("0.05"), 2), "the mean stands for both rows");
    let kept = test
        .count("SELECT COUNT(*) FROM content_performance_summaries WHERE content_draft_id = $1", vec![draft.into()])
        .await;
    assert_eq!(kept, 1, "the summary outlives the draft's move to the archive");
    assert_eq!(test.count("SELECT COUNT(*) FROM content_drafts_archive WHERE id = $1", vec![draft.into()]).await, 1);
}

async fn count_tables(test: &TestDb) -> i64 {
    let sql = if test.is_postgres() {
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
    } else {
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    };
    test.count(sql, vec![]).await
}
