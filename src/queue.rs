//! The durable job queue every instance shares, in the `jobs` table of either database.
//!
//! A job is enqueued inside the transaction of the change that asks for it, so it exists exactly
//! when that change does. A worker claims one ready job with a lease (`locked_until`) in one
//! statement: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances never claim the same job; on
//! SQLite the statement runs under the database's single write lock. A worker that dies loses
//! its lease, and the job is claimed again (a new attempt) once it runs out; a job whose
//! attempts are spent is `dead`. Every ending is written only by the worker still holding the
//! lease. The runner is [`crate::workers`].
//!
//! A hand-made queue rather than a job crate: the crates that store jobs in both PostgreSQL and
//! SQLite keep them in tables and schemas of their own (a fixed `apalis` schema on PostgreSQL),
//! which rules out enqueueing in the transaction of the change and isolating test schemas.
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::enums::{JobQueue, JobStatus};
use entity::jobs;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::IntoCondition as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Statement,
};
use serde_json::Value as Json;
use uuid::Uuid;

/// How a run of a job ended, for the runner ([`crate::workers`]).
pub enum Outcome {
    Completed,
    /// Try again later (a failure that may pass).
    Retry(String),
    /// Ended for good; the domain rows say why.
    Ended(JobStatus),
}

/// Queues job `id` of `queue` inside the caller's transaction.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    id: Uuid,
    queue: JobQueue,
    user: Option<Uuid>,
    payload: Json,
    max_attempts: i32,
) -> Result<(), DbErr> {
    let now = Utc::now();
    jobs::ActiveModel {
        id: Set(id),
        user_id: Set(user),
        queue: Set(queue),
        payload: Set(payload),
        status: Set(JobStatus::Queued),
        attempts: Set(0),
        max_attempts: Set(max_attempts.max(1)),
        run_at: Set(now),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// `sql` with `$n` parameters, numbered in order of first use: SQLite numbers named parameters
/// that way, so the same text serves both databases.
fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Claims the next ready job for `worker` until `now + lease`: a queued job whose time has come,
/// or a running one whose worker's lease ran out. Its attempt count goes up by one.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<jobs::Model>, DbErr> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
    let skip_locked = match db.get_database_backend() {
        DbBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, \
         updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) \
         OR (status = 'running' AND locked_until < $3) ORDER BY run_at, id LIMIT 1 {skip_locked}) RETURNING *"
    );
    let stmt = statement(db, &sql, vec![worker.into(), until.into(), now.into()]);
    match db.query_one_raw(stmt).await? {
        Some(row) => Ok(Some(jobs::Model::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}

/// Extends `worker`'s lease of job `id` to `until`; `false` when the worker no longer holds it.
pub async fn extend(db: &impl ConnectionTrait, id: Uuid, worker: &str, until: DateTime<Utc>) -> Result<bool, DbErr> {
    let done = jobs::Entity::update_many()
        .col_expr(jobs::Column::LockedUntil, until.into())
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::LockedBy.eq(worker))
        .filter(jobs::Column::Status.eq(JobStatus::Running))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Ends job `id` as `status` (with `error`) if `worker` still holds it; `false` otherwise.
pub async fn end(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    status: JobStatus,
    error: Option<String>,
) -> Result<bool, DbErr> {
    let held = Condition::all().add(jobs::Column::LockedBy.eq(worker)).add(jobs::Column::Status.eq(JobStatus::Running));
    finish(db, id, status, error, held).await
}

/// Ends a job nobody holds (queued, or running under a lapsed lease) as `status`: a cancelled
/// queued job, or a job given up at its deadline. `false` when it had ended already.
pub async fn end_unclaimed(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: JobStatus,
    error: Option<String>,
) -> Result<bool, DbErr> {
    finish(db, id, status, error, jobs::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]).into_condition())
        .await
}

/// Ends job `id` as `status` where `unless_ended` holds.
async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: JobStatus,
    error: Option<String>,
    unless_ended: Condition,
) -> Result<bool, DbErr> {
    let done = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, sea_orm::sea_query::Expr::value(status))
        .col_expr(jobs::Column::LastError, error.into())
        .col_expr(jobs::Column::LockedBy, Option::<String>::None.into())
        .col_expr(jobs::Column::LockedUntil, Option::<DateTime<Utc>>::None.into())
        .col_expr(jobs::Column::FinishedAt, Some(Utc::now()).into())
        .filter(jobs::Column::Id.eq(id))
        .filter(unless_ended)
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Puts job `id` back in the queue until `at` after a failed attempt, if `worker` holds it.
pub async fn retry_at(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    at: DateTime<Utc>,
    error: String,
) -> Result<bool, DbErr> {
    let done = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, sea_orm::sea_query::Expr::value(JobStatus::Queued))
        .col_expr(jobs::Column::RunAt, at.into())
        .col_expr(jobs::Column::LastError, Some(error).into())
        .col_expr(jobs::Column::LockedBy, Option::<String>::None.into())
        .col_expr(jobs::Column::LockedUntil, Option::<DateTime<Utc>>::None.into())
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::LockedBy.eq(worker))
        .filter(jobs::Column::Status.eq(JobStatus::Running))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The wait before attempt `attempt + 1`: 2, 4, 8, … seconds, at most 5 minutes.
pub fn backoff(attempt: i32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(u32::try_from(attempt.clamp(1, 16)).unwrap_or(1)).min(300))
}
