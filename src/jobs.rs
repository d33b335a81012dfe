//! Scheduled jobs (seed 003, section 11, and the monthly credit allowance): they run inside the
//! server on a schedule and from the CLI on demand. Each works in batches that commit on their
//! own, is idempotent, and is recorded in `job_runs`; a run is claimed by its (job, slot) pair,
//! so with several instances on one database each scheduled run happens exactly once.
use std::time::{Duration, Instant};

use chrono::{DateTime, Months, Utc};
use clap::ValueEnum;
use entity::{content_drafts, credit_transactions};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, SqlErr, Statement,
    Value,
};
use uuid::Uuid;

use crate::credits;
use crate::events::{self, Bus, ChangeKind, EventBus};

/// Rows one batch handles.
const BATCH: u64 = 500;

/// The jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Job {
    /// Rejected drafts older than 90 days and published drafts older than a year move to the archive.
    ArchiveDrafts,
    /// AI processing logs older than 30 days are deleted.
    PurgeAiLogs,
    /// Performance rows older than six months become weekly and monthly summaries.
    AggregatePerformance,
    /// Subscriptions whose period ended get their monthly allowance, through the ledger.
    ResetCredits,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::ArchiveDrafts, Job::PurgeAiLogs, Job::AggregatePerformance, Job::ResetCredits];

    pub fn name(self) -> &'static str {
        match self {
            Self::ArchiveDrafts => "archive-drafts",
            Self::PurgeAiLogs => "purge-ai-logs",
            Self::AggregatePerformance => "aggregate-performance",
            Self::ResetCredits => "reset-credits",
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This call ran the job; `rows` rows were moved, deleted, summarised or reset.
    Ran { rows: u64 },
    /// Another run already claimed this slot.
    AlreadyClaimed,
}

fn stmt(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres { sql.to_owned() } else { crate::credits::question_marks(sql) };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Runs `job` for `slot` unless a run already claimed it.
#[tracing::instrument(skip_all, fields(job = job.name(), slot))]
///
/// Changes that subscribers watch (archived drafts leave `content_drafts`, monthly resets write
/// the ledger) are published on `events` after each batch commits.
pub async fn run(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    job: Job,
    slot: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, DbErr> {
    let id = Uuid::new_v4();
    let claim = db
        .execute_raw(stmt(
            db,
            "INSERT INTO job_runs (id, job, slot, status) VALUES ($1, $2, $3, 'running')",
            vec![id.into(), job.name().into(), slot.into()],
        ))
        .await;
    match claim {
        Ok(_) => {}
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(Outcome::AlreadyClaimed);
        }
        Err(err) => return Err(err),
    }
    let started = Instant::now();
    let result = match job {
        Job::ArchiveDrafts => archive_drafts(db, events, now).await,
        Job::PurgeAiLogs => purge_ai_logs(db, now).await,
        Job::AggregatePerformance => aggregate_performance(db, now).await,
        Job::ResetCredits => reset_credits(db, events, now).await,
    };
    let duration = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status, rows, error) = match &result {
        Ok(rows) => ("completed", *rows, None),
        Err(err) => ("failed", 0, Some(err.to_string())),
    };
    db.execute_raw(stmt(
        db,
        "UPDATE job_runs SET status = $1, rows_affected = $2, duration_ms = $3, error_message = $4, finished_at = $5 WHERE id = $6",
        vec![status.into(), (rows as i64).into(), duration.into(), error.into(), Utc::now().into(), id.into()],
    ))
    .await?;
    tracing::info!(rows, duration_ms = duration, status, "job run");
    result.map(|rows| Outcome::Ran { rows })
}

/// The ids of the next batch that `sql` selects.
async fn batch_ids(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<Vec<Uuid>, DbErr> {
    let rows = db.query_all_raw(stmt(db, &format!("{sql} LIMIT {BATCH}"), values)).await?;
    rows.iter().map(|row| row.try_get_by_index::<Uuid>(0)).collect()
}

const DRAFT_COLUMNS: [&str; 20] = [
    "id",
    "user_id",
    "platform",
    "content_type",
    "content",
    "hook",
    "hashtags",
    "mentions",
    "media_urls",
    "trend_source_id",
    "voice_confidence_score",
    "engagement_prediction",
    "status",
    "feedback_score",
    "user_edits",
    "published_at",
    "published_url",
    "actual_performance",
    "created_at",
    "updated_at",
];

async fn archive_drafts(db: &DatabaseConnection, events: &dyn EventBus, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let rejected_before = now - chrono::Duration::days(90);
    let published_before = now - chrono::Duration::days(365);
    let mut moved = 0;
    loop {
        let txn = crate::db::write_txn(db).await?;
        let ids = batch_ids(
            &txn,
            "SELECT id FROM content_drafts WHERE (status = 'rejected' AND created_at < $1) \
             OR (status = 'published' AND COALESCE(published_at, created_at) < $2) ORDER BY id",
            vec![rejected_before.into(), published_before.into()],
        )
        .await?;
        if ids.is_empty() {
            txn.commit().await?;
            return Ok(moved);
        }
        let archived =
            content_drafts::Entity::find().filter(content_drafts::Column::Id.is_in(ids.clone())).all(&txn).await?;
        let columns = DRAFT_COLUMNS.map(Alias::new);
        let copy = Query::insert()
            .into_table(Alias::new("content_drafts_archive"))
            .columns(columns.clone())
            .select_from(
                Query::select()
                    .columns(columns)
                    .from(Alias::new("content_drafts"))
                    .and_where(Expr::col(Alias::new("id")).is_in(ids.clone()))
                    .to_owned(),
            )
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .on_conflict(OnConflict::column(Alias::new("id")).do_nothing().to_owned())
            .to_owned();
        txn.execute(&copy).await?;
        let delete = Query::delete()
            .from_table(Alias::new("content_drafts"))
            .and_where(Expr::col(Alias::new("id")).is_in(ids.clone()))
            .to_owned();
        txn.execute(&delete).await?;
        txn.commit().await?;
        events::publish_rows::<content_drafts::Entity>(events, ChangeKind::Deleted, &archived);
        moved += ids.len() as u64;
    }
}

async fn purge_ai_logs(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let before = now - chrono::Duration::days(30);
    let mut deleted = 0;
    loop {
        let ids =
            batch_ids(db, "SELECT id FROM ai_processing_logs WHERE created_at < $1 ORDER BY id", vec![before.into()])
                .await?;
        if ids.is_empty() {
            return Ok(deleted);
        }
        let delete = Query::delete()
            .from_table(Alias::new("ai_processing_logs"))
            .and_where(Expr::col(Alias::new("id")).is_in(ids.clone()))
            .to_owned();
        deleted += db.execute(&delete).await?.rows_affected();
    }
}

async fn aggregate_performance(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let before = now.checked_sub_months(Months::new(6)).unwrap_or(now);
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let periods = if postgres {
        [
            ("week", "CAST(date_trunc('week', created_at) AS date)"),
            ("month", "CAST(date_trunc('month', created_at) AS date)"),
        ]
    } else {
        [("week", "date(created_at, '-6 days', 'weekday 1')"), ("month", "date(created_at, 'start of month')")]
    };
    let mut aggregated = 0;
    loop {
        let txn = crate::db::write_txn(db).await?;
        let ids = batch_ids(
            &txn,
            "SELECT id FROM content_performance WHERE created_at < $1 ORDER BY id",
            vec![before.into()],
        )
        .await?;
        if ids.is_empty() {
            txn.commit().await?;
            return Ok(aggregated);
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let in_list = placeholders.join(", ");
        let values: Vec<Value> = ids.iter().map(|id| (*id).into()).collect();
        for (period, start) in periods {
            // Merges into an existing summary: sums add up and means are weighted by rows.
            let sql = format!(
                "INSERT INTO content_performance_summaries (id, user_id, content_draft_id, period, period_start, \
                 rows_aggregated, impressions, likes, shares, comments, clicks, saves, avg_engagement_rate, avg_performance_score) \
                 SELECT {uuid}, user_id, content_draft_id, '{period}', {start}, COUNT(*), COALESCE(SUM(impressions), 0), \
                 COALESCE(SUM(likes), 0), COALESCE(SUM(shares), 0), COALESCE(SUM(comments), 0), COALESCE(SUM(clicks), 0), \
                 COALESCE(SUM(saves), 0), ROUND(AVG(engagement_rate), 4), ROUND(AVG(performance_score), 2) \
                 FROM content_performance WHERE id IN ({in_list}) GROUP BY user_id, content_draft_id, {start} \
                 ON CONFLICT (content_draft_id, period, period_start) DO UPDATE SET \
                 impressions = content_performance_summaries.impressions + excluded.impressions, \
                 likes = content_performance_summaries.likes + excluded.likes, \
                 shares = content_performance_summaries.shares + excluded.shares, \
                 comments = content_performance_summaries.comments + excluded.comments, \
                 clicks = content_performance_summaries.clicks + excluded.clicks, \
                 saves = content_performance_summaries.saves + excluded.saves, \
                 avg_engagement_rate = ROUND((COALESCE(content_performance_summaries.avg_engagement_rate, 0) * content_performance_summaries.rows_aggregated \
                   + COALESCE(excluded.avg_engagement_rate, 0) * excluded.rows_aggregated) \
                   / (content_performance_summaries.rows_aggregated + excluded.rows_aggregated), 4), \
                 avg_performance_score = ROUND((COALESCE(content_performance_summaries.avg_performance_score, 0) * content_performance_summaries.rows_aggregated \
                   + COALESCE(excluded.avg_performance_score, 0) * excluded.rows_aggregated) \
                   / (content_performance_summaries.rows_aggregated + excluded.rows_aggregated), 2), \
                 rows_aggregated = content_performance_summaries.rows_aggregated + excluded.rows_aggregated",
                uuid = if postgres { "gen_random_uuid()" } else { crate::db::SQLITE_UUID_V4 },
            );
            txn.execute_raw(stmt(&txn, &sql, values.clone())).await?;
        }
        let delete = Query::delete()
            .from_table(Alias::new("content_performance"))
            .and_where(Expr::col(Alias::new("id")).is_in(ids.clone()))
            .to_owned();
        txn.execute(&delete).await?;
        txn.commit().await?;
        aggregated += ids.len() as u64;
    }
}

async fn reset_credits(db: &DatabaseConnection, events: &dyn EventBus, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut reset = 0;
    loop {
        let rows = db
            .query_all_raw(stmt(
                db,
                &format!(
                    "SELECT user_id, current_period_end \
                     FROM subscription_billing WHERE current_period_end <= $1 ORDER BY id LIMIT {BATCH}"
                ),
                vec![now.into()],
            ))
            .await?;
        if rows.is_empty() {
            return Ok(reset);
        }
        for row in rows {
            let user: Uuid = row.try_get_by_index(0)?;
            let end: DateTime<Utc> = row.try_get_by_index(1)?;
            let mut next_end = end;
            while next_end <= now {
                next_end = next_end.checked_add_months(Months::new(1)).unwrap_or(now + chrono::Duration::days(30));
            }
            let start = next_end.checked_sub_months(Months::new(1)).unwrap_or(end);
            let entries = credits::reset_allowance(db, user, start, next_end)
                .await
                .map_err(|_| DbErr::Custom(format!("cannot reset the allowance of user {user}")))?;
            events::publish_rows::<credit_transactions::Entity>(events, ChangeKind::Created, &entries);
            reset += 1;
        }
    }
}

/// Runs every job on a schedule until `shutdown` resolves. The slot is the schedule tick, so
/// instances ticking together claim each run once.
pub async fn schedule(
    db: DatabaseConnection,
    events: Bus,
    every: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    let mut ticker = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = Utc::now();
        let seconds = i64::try_from(every.as_secs()).unwrap_or(i64::MAX);
        let slot = (now.timestamp() / std::cmp::max(seconds, 1)).to_string();
        for job in Job::ALL {
            if let Err(err) = run(&db, events.as_ref(), job, &slot, now).await {
                tracing::error!(job = job.name(), error = %err, "job failed");
            }
        }
    }
}
