//! Scheduled jobs (seed 003, section 11, and the monthly credit allowance): they run inside the
//! server on a schedule and from the CLI on demand. Each works in batches that commit on their
//! own, is idempotent, and is recorded in `job_runs`; a run is claimed by its (job, slot) pair,
//! so with several instances on one database each scheduled run happens exactly once.
use std::time::Instant;

use chrono::{DateTime, Months, Utc};
use entity::content_drafts;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    SqlErr, Value,
};
use uuid::Uuid;

use crate::billing::ledger as credits;
use crate::db::{placeholders, statement};
use crate::events::{self, ChangeKind, EventBus};

/// Rows one batch handles.
const BATCH: u64 = 500;

/// The jobs (named in `config` because the command line names them).
pub use crate::config::Job;

impl Job {
    /// Every job, in the order a scheduled tick runs them: performance is summarised before
    /// drafts are archived, so that a draft whose last rows were just summarised moves at once.
    pub const ALL: [Job; 7] = [
        Job::AggregatePerformance,
        Job::ArchiveDrafts,
        Job::PurgeAiLogs,
        Job::ResetCredits,
        Job::PurgeAuditLogs,
        Job::AgeTrends,
        Job::PurgeEvents,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ArchiveDrafts => "archive-drafts",
            Self::PurgeAiLogs => "purge-ai-logs",
            Self::PurgeAuditLogs => "purge-audit-logs",
            Self::AggregatePerformance => "aggregate-performance",
            Self::ResetCredits => "reset-credits",
            Self::AgeTrends => "age-trends",
            Self::PurgeEvents => "purge-events",
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
    run_with(db, events, job, slot, now, &Settings::default()).await
}

/// What the jobs take from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Days audit log entries are kept.
    pub audit_retention_days: u32,
    /// Days client logs are kept.
    pub client_log_retention_days: u32,
    /// Hours live events are kept in the outbox.
    pub event_retention_hours: u32,
}

impl Settings {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            audit_retention_days: config.audit_retention_days,
            client_log_retention_days: config.client_log_retention_days,
            event_retention_hours: config.event_retention_hours,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self { audit_retention_days: 365, client_log_retention_days: 30, event_retention_hours: 24 }
    }
}

/// [`run`] with the configured settings.
pub async fn run_with(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    job: Job,
    slot: &str,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Result<Outcome, DbErr> {
    let id = Uuid::new_v4();
    let claim = db
        .execute_raw(statement(
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
        Job::PurgeAuditLogs => purge_audit_logs(db, now, settings).await,
        Job::AgeTrends => crate::content::crawl::age_trends(db, events, now).await,
        Job::PurgeEvents => {
            let before = now - chrono::Duration::hours(i64::from(settings.event_retention_hours));
            events::outbox::purge(db, before).await
        }
    };
    crate::telemetry::metrics::job_ran(job.name(), result.is_ok(), started.elapsed());
    let duration = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status, rows, error) = match &result {
        Ok(rows) => ("completed", *rows, None),
        Err(err) => ("failed", 0, Some(err.to_string())),
    };
    db.execute_raw(statement(
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
    let rows = db.query_all_raw(statement(db, &format!("{sql} LIMIT {BATCH}"), values)).await?;
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

const MAPPING_COLUMNS: [&str; 6] = ["id", "user_id", "trend_id", "content_draft_id", "relevance_score", "created_at"];

/// Drafts due for the archive (`$1`: rejected before, `$2`: published before). A draft that still
/// has performance rows waits until they are summarised (six months after they were recorded):
/// deleting it would delete them, while its summaries stay with the archived draft.
const DUE_FOR_ARCHIVE: &str = "((status = 'rejected' AND created_at < $1) \
     OR (status = 'published' AND COALESCE(published_at, created_at) < $2)) \
     AND NOT EXISTS (SELECT 1 FROM content_performance p WHERE p.content_draft_id = content_drafts.id)";

async fn archive_drafts(db: &DatabaseConnection, events: &dyn EventBus, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let due: Vec<Value> = vec![(now - chrono::Duration::days(90)).into(), (now - chrono::Duration::days(365)).into()];
    let mut moved = 0;
    loop {
        let txn = crate::db::write_txn(db).await?;
        let candidates =
            batch_ids(&txn, &format!("SELECT id FROM content_drafts WHERE {DUE_FOR_ARCHIVE} ORDER BY id"), due.clone())
                .await?;
        if candidates.is_empty() {
            txn.commit().await?;
            return Ok(moved);
        }
        let ids = lock_due(&txn, candidates, &due).await?;
        let archived =
            content_drafts::Entity::find().filter(content_drafts::Column::Id.is_in(ids.clone())).all(&txn).await?;
        copy_rows(&txn, "content_drafts", "content_drafts_archive", &DRAFT_COLUMNS, "id", &ids).await?;
        // After the drafts: an archived mapping references its archived draft.
        copy_rows(
            &txn,
            "trend_content_mapping",
            "trend_content_mapping_archive",
            &MAPPING_COLUMNS,
            "content_draft_id",
            &ids,
        )
        .await?;
        // Deletes the live mappings too; the summaries stay, as the draft is in the archive.
        let delete = Query::delete()
            .from_table(Alias::new("content_drafts"))
            .and_where(Expr::col(Alias::new("id")).is_in(ids.clone()))
            .to_owned();
        txn.execute(&delete).await?;
        events::outbox::commit(txn, events, events::changes::<content_drafts::Entity>(ChangeKind::Deleted, &archived))
            .await?;
        moved += ids.len() as u64;
    }
}

/// The `candidates` still due, locked against new performance rows and mappings.
///
/// SQLite's write transaction already keeps every other writer out. On PostgreSQL a performance
/// row could be written for a draft after it was chosen, and would go with the draft's delete.
/// So the drafts are locked, which makes such writes wait for the commit (and then find the draft
/// gone), and chosen again after the lock, which sees the writes that came before it.
async fn lock_due(txn: &DatabaseTransaction, candidates: Vec<Uuid>, due: &[Value]) -> Result<Vec<Uuid>, DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(candidates);
    }
    let ids: Vec<Value> = candidates.iter().map(|id| (*id).into()).collect();
    let lock = format!("SELECT id FROM content_drafts WHERE id IN ({}) FOR UPDATE", placeholders(1, ids.len()));
    txn.query_all_raw(statement(txn, &lock, ids.clone())).await?;
    let again = format!(
        "SELECT id FROM content_drafts WHERE {DUE_FOR_ARCHIVE} AND id IN ({}) ORDER BY id",
        placeholders(due.len() + 1, ids.len())
    );
    let rows = txn.query_all_raw(statement(txn, &again, [due, &ids].concat())).await?;
    rows.iter().map(|row| row.try_get_by_index::<Uuid>(0)).collect()
}

/// Copies the rows of `from` whose `key` is in `ids` into `to` (rows already there stay).
async fn copy_rows(
    txn: &impl ConnectionTrait,
    from: &str,
    to: &str,
    columns: &[&str],
    key: &str,
    ids: &[Uuid],
) -> Result<(), DbErr> {
    let columns: Vec<Alias> = columns.iter().map(|c| Alias::new(*c)).collect();
    let copy = Query::insert()
        .into_table(Alias::new(to))
        .columns(columns.clone())
        .select_from(
            Query::select()
                .columns(columns)
                .from(Alias::new(from))
                .and_where(Expr::col(Alias::new(key)).is_in(ids.to_vec()))
                .to_owned(),
        )
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::column(Alias::new("id")).do_nothing().to_owned())
        .to_owned();
    txn.execute(&copy).await.map(|_| ())
}

async fn purge_audit_logs(db: &DatabaseConnection, now: DateTime<Utc>, settings: &Settings) -> Result<u64, DbErr> {
    let before = now - chrono::Duration::days(i64::from(settings.audit_retention_days));
    let mut deleted = entity::audit_logs::Entity::delete_many()
        .filter(entity::audit_logs::Column::OccurredAt.lt(before))
        .exec(db)
        .await?
        .rows_affected;
    let before = now - chrono::Duration::days(i64::from(settings.client_log_retention_days));
    deleted += entity::client_logs::Entity::delete_many()
        .filter(entity::client_logs::Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected;
    let idle = (now - chrono::Duration::days(1)).timestamp_micros();
    db.execute_raw(statement(db, "DELETE FROM rate_limit_buckets WHERE tat_us < $1", vec![idle.into()])).await?;
    Ok(deleted)
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
        let in_list = placeholders(1, ids.len());
        let values: Vec<Value> = ids.iter().map(|id| (*id).into()).collect();
        for (period, start) in periods {
            // Merges into an existing summary: sums and counts add up, and the means are
            // computed from them, so they are the means of every row ever summarised.
            let sql = format!(
                "INSERT INTO content_performance_summaries (id, user_id, content_draft_id, period, period_start, \
                 rows_aggregated, impressions, likes, shares, comments, clicks, saves, \
                 engagement_rate_sum, engagement_rate_count, performance_score_sum, performance_score_count, \
                 avg_engagement_rate, avg_performance_score) \
                 SELECT {uuid}, user_id, content_draft_id, '{period}', {start}, COUNT(*), COALESCE(SUM(impressions), 0), \
                 COALESCE(SUM(likes), 0), COALESCE(SUM(shares), 0), COALESCE(SUM(comments), 0), COALESCE(SUM(clicks), 0), \
                 COALESCE(SUM(saves), 0), COALESCE(ROUND(SUM(engagement_rate), 4), 0), COUNT(engagement_rate), \
                 COALESCE(ROUND(SUM(performance_score), 2), 0), COUNT(performance_score), \
                 ROUND(AVG(engagement_rate), 4), ROUND(AVG(performance_score), 2) \
                 FROM content_performance WHERE id IN ({in_list}) GROUP BY user_id, content_draft_id, {start} \
                 ON CONFLICT (content_draft_id, period, period_start) DO UPDATE SET \
                 impressions = {t}.impressions + excluded.impressions, \
                 likes = {t}.likes + excluded.likes, \
                 shares = {t}.shares + excluded.shares, \
                 comments = {t}.comments + excluded.comments, \
                 clicks = {t}.clicks + excluded.clicks, \
                 saves = {t}.saves + excluded.saves, \
                 engagement_rate_sum = ROUND({t}.engagement_rate_sum + excluded.engagement_rate_sum, 4), \
                 engagement_rate_count = {t}.engagement_rate_count + excluded.engagement_rate_count, \
                 performance_score_sum = ROUND({t}.performance_score_sum + excluded.performance_score_sum, 2), \
                 performance_score_count = {t}.performance_score_count + excluded.performance_score_count, \
                 avg_engagement_rate = ROUND(({t}.engagement_rate_sum + excluded.engagement_rate_sum) \
                   / NULLIF({t}.engagement_rate_count + excluded.engagement_rate_count, 0), 4), \
                 avg_performance_score = ROUND(({t}.performance_score_sum + excluded.performance_score_sum) \
                   / NULLIF({t}.performance_score_count + excluded.performance_score_count, 0), 2), \
                 rows_aggregated = {t}.rows_aggregated + excluded.rows_aggregated",
                uuid = if postgres { "gen_random_uuid()" } else { crate::db::SQLITE_UUID_V4 },
                t = "content_performance_summaries",
            );
            txn.execute_raw(statement(&txn, &sql, values.clone())).await?;
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
            .query_all_raw(statement(
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
            credits::reset_allowance(db, events, user, start, next_end)
                .await
                .map_err(|_| DbErr::Custom(format!("cannot reset the allowance of user {user}")))?;
            reset += 1;
        }
    }
}

/// The queue job of slot `slot`: the same id whichever instance queues it.
fn slot_job_id(slot: &str) -> Uuid {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("maintenance:{slot}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// Queues this `JOBS_INTERVAL` slot's run of every job, on the job queue the workers take work
/// from: one `maintenance` job per slot however many instances look. How many were queued.
pub async fn queue_due(state: &crate::state::AppState, now: DateTime<Utc>) -> crate::error::AppResult<usize> {
    let every = i64::try_from(state.config.jobs_interval).unwrap_or(i64::MAX);
    if every == 0 {
        return Ok(0);
    }
    let slot = (now.timestamp() / every).to_string();
    let id = slot_job_id(&slot);
    if entity::jobs::Entity::find_by_id(id).one(&state.db).await?.is_some() {
        return Ok(0);
    }
    let payload = serde_json::json!({ "slot": slot });
    let queue = entity::enums::JobQueue::Maintenance;
    let attempts = std::cmp::max(state.config.job_max_attempts, 1);
    match crate::queue::enqueue(&state.db, id, queue, None, payload, attempts).await {
        Ok(()) => {
            state.work_queued.notify_waiters();
            Ok(1)
        }
        // Another instance queued it first.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(0),
        Err(err) => Err(err.into()),
    }
}

/// A `maintenance` job: every job for its slot, in [`Job::ALL`]'s order, each claimed in
/// `job_runs` (so a slot's run happens once, also when the queue job is tried again).
pub async fn run_queued(
    state: &crate::state::AppState,
    job: &entity::jobs::Model,
) -> crate::error::AppResult<crate::queue::Outcome> {
    let Some(slot) = job.payload.get("slot").and_then(serde_json::Value::as_str) else {
        return Ok(crate::queue::Outcome::Ended(entity::enums::JobStatus::Failed));
    };
    let settings = Settings::from_config(&state.config);
    for each in Job::ALL {
        if let Err(err) = run_with(&state.db, state.events.as_ref(), each, slot, Utc::now(), &settings).await {
            tracing::error!(job = each.name(), error = %err, "job failed");
        }
    }
    Ok(crate::queue::Outcome::Completed)
}
