//! The runner of queued jobs ([`crate::queue`]): `WORKERS` loops per process (in the server, or
//! alone as `creatorpulse worker`). Each claims a job, runs it under its timeout while renewing
//! its lease and watching for cancellation, then writes how it ended; between jobs it releases
//! credits held past their deadline, whatever became of their jobs.
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use entity::enums::{GenerationStatus, JobQueue, JobStatus, ReservationStatus};
use entity::{credit_reservations, jobs};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::error::AppResult;
use crate::generation::job::{self as generation, Outcome};
use crate::state::AppState;

/// Starts `count` workers on `tasks`, until `stop` is cancelled.
pub fn start(state: &AppState, count: usize, tasks: &TaskTracker, stop: &CancellationToken) {
    let instance = Uuid::new_v4().simple().to_string();
    for n in 0..count {
        let name = format!("{}-{n}", &instance[..12]);
        tasks.spawn(work(state.clone(), name, stop.clone()));
    }
    if count > 0 {
        tasks.spawn(crate::schedule::run(state.clone(), stop.clone()));
    }
}

async fn work(state: AppState, name: String, stop: CancellationToken) {
    let poll = Duration::from_millis(state.config.job_poll_ms.max(10));
    let lease = Duration::from_secs(state.config.job_lease.max(1));
    let mut last_sweep = std::time::Instant::now() - Duration::from_secs(3600);
    loop {
        if stop.is_cancelled() {
            return;
        }
        if last_sweep.elapsed() >= Duration::from_secs(5) {
            last_sweep = std::time::Instant::now();
            if let Err(err) = sweep(&state).await {
                tracing::warn!(error = ?err, "releasing expired credit holds failed");
            }
        }
        let wake = state.work_queued.notified();
        match crate::queue::claim(&state.db, &name, lease, Utc::now()).await {
            Ok(Some(job)) => {
                run_one(&state, &name, job, lease, &stop).await;
                continue;
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "claiming a job failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = wake => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Runs one claimed job to its ending.
async fn run_one(state: &AppState, worker: &str, job: jobs::Model, lease: Duration, stop: &CancellationToken) {
    let started = std::time::Instant::now();
    let queue = job.queue;
    // A job claimed again after its worker died, once too often, is dead.
    if job.attempts > job.max_attempts {
        let message = format!("gave up after {} attempts", job.max_attempts);
        let _ = crate::queue::end(&state.db, job.id, worker, JobStatus::Dead, Some(message.clone())).await;
        if let Err(err) = abandon(state, &job, GenerationStatus::Failed, message).await {
            tracing::warn!(error = ?err, job = %job.id, "ending a dead job failed");
        }
        return;
    }
    // Retention works through whole tables in batches: it gets an hour at least.
    let seconds = match queue {
        JobQueue::Maintenance => state.config.job_timeout.max(3600),
        _ => state.config.job_timeout,
    };
    let timeout = Duration::from_secs(seconds.max(1));
    let running = run(state, &job);
    tokio::pin!(running);
    let mut renew = tokio::time::interval(lease / 3);
    renew.tick().await;
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let result = loop {
        tokio::select! {
            result = &mut running => break Some(result),
            _ = &mut deadline => break None,
            _ = stop.cancelled() => {
                // Shutdown: the lease runs out and another worker takes the job up again.
                tracing::info!(job = %job.id, "stopping with a job in progress; it will be claimed again");
                return;
            }
            _ = renew.tick() => {
                let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
                match crate::queue::extend(&state.db, job.id, worker, until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = %job.id, "lost the claim on a job; leaving it to its new worker");
                        return;
                    }
                    Err(err) => tracing::warn!(error = %err, job = %job.id, "renewing a job's claim failed"),
                }
                if queue == JobQueue::Generation && generation::cancel_requested(&state.db, job.id).await {
                    // `running` is polled no more and dropped on return.
                    let ending = generation::Ending {
                        status: GenerationStatus::Cancelled,
                        code: "CANCELLED",
                        message: "cancelled".into(),
                    };
                    let _ = generation::end(state, job.id, ending).await;
                    let _ = crate::queue::end(&state.db, job.id, worker, JobStatus::Cancelled, None).await;
                    crate::telemetry::metrics::job_ran(queue_name(queue), true, started.elapsed());
                    return;
                }
            }
        }
    };
    let ok = match result {
        None => {
            let message = format!("took longer than {} s", timeout.as_secs());
            let _ = abandon(state, &job, GenerationStatus::Timeout, message.clone()).await;
            let _ = crate::queue::end(&state.db, job.id, worker, JobStatus::Timeout, Some(message)).await;
            false
        }
        Some(Ok(Outcome::Completed)) => {
            let _ = crate::queue::end(&state.db, job.id, worker, JobStatus::Completed, None).await;
            true
        }
        Some(Ok(Outcome::Ended(status))) => {
            let _ = crate::queue::end(&state.db, job.id, worker, status, None).await;
            status == JobStatus::Completed
        }
        Some(Ok(Outcome::Retry(error))) => {
            let at = Utc::now() + chrono::Duration::from_std(crate::queue::backoff(job.attempts)).unwrap_or_default();
            let _ = crate::queue::retry_at(&state.db, job.id, worker, at, error).await;
            false
        }
        Some(Err(err)) => {
            // The database failed under the job: another attempt, while there are attempts.
            let message = format!("{} ({})", err.message(), err.code());
            tracing::warn!(job = %job.id, error = %message, "a job failed");
            if job.attempts < job.max_attempts {
                let at =
                    Utc::now() + chrono::Duration::from_std(crate::queue::backoff(job.attempts)).unwrap_or_default();
                let _ = crate::queue::retry_at(&state.db, job.id, worker, at, message).await;
            } else {
                let _ = abandon(state, &job, GenerationStatus::Failed, message.clone()).await;
                let _ = crate::queue::end(&state.db, job.id, worker, JobStatus::Dead, Some(message)).await;
            }
            false
        }
    };
    crate::telemetry::metrics::job_ran(queue_name(queue), ok, started.elapsed());
}

fn queue_name(queue: JobQueue) -> &'static str {
    match queue {
        JobQueue::Generation => "generation",
        JobQueue::VoiceTraining => "voice_training",
        JobQueue::Crawl => "crawl",
        JobQueue::Delivery => "delivery",
        JobQueue::Maintenance => "maintenance",
    }
}

async fn run(state: &AppState, job: &jobs::Model) -> AppResult<Outcome> {
    match job.queue {
        JobQueue::Generation => generation::run(state, job).await,
        JobQueue::VoiceTraining => crate::voice::training::run(state, job).await,
        JobQueue::Crawl => crate::content::crawl::run(state, job).await,
        JobQueue::Delivery => crate::delivery::send::run(state, job).await,
        JobQueue::Maintenance => crate::jobs::run_queued(state, job).await,
    }
}

/// The domain side of a job that will not run again.
async fn abandon(state: &AppState, job: &jobs::Model, status: GenerationStatus, message: String) -> AppResult<()> {
    match job.queue {
        JobQueue::Generation => generation::abandoned(state, job, status, message).await,
        JobQueue::VoiceTraining => crate::voice::training::abandoned(state, job, message).await,
        // The source's claim runs out and the next look queues it again.
        JobQueue::Crawl => Ok(()),
        JobQueue::Delivery => crate::delivery::send::abandoned(state, job, message).await,
        // Each job's run is recorded in `job_runs`; the next slot runs them again.
        JobQueue::Maintenance => Ok(()),
    }
}

/// Releases every credit hold past its deadline: its job is given up (dead) and its work ended.
pub async fn sweep(state: &AppState) -> AppResult<usize> {
    let expired: Vec<Uuid> = credit_reservations::Entity::find()
        .select_only()
        .column(credit_reservations::Column::JobId)
        .filter(credit_reservations::Column::Status.eq(ReservationStatus::Held))
        .filter(credit_reservations::Column::ExpiresAt.lt(Utc::now()))
        .into_tuple()
        .all(&state.db)
        .await?;
    for id in &expired {
        let job = jobs::Entity::find_by_id(*id).one(&state.db).await?;
        crate::queue::end_unclaimed(&state.db, *id, JobStatus::Dead, Some("deadline passed".into())).await?;
        match job {
            Some(job) => abandon(state, &job, GenerationStatus::Timeout, "its deadline passed".into()).await?,
            None => release_orphan(state, *id).await?,
        }
    }
    Ok(expired.len())
}

/// Releases a hold whose job does not exist.
async fn release_orphan(state: &AppState, job: Uuid) -> AppResult<()> {
    let txn = crate::db::write_txn(&state.db).await?;
    crate::billing::ledger::settle(
        &txn,
        job,
        rust_decimal::Decimal::ZERO,
        entity::enums::ActionType::DraftGenerated,
        None,
        serde_json::Value::Null,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Keeps the runner's tasks for the caller to stop and wait for.
pub struct Running {
    pub tasks: TaskTracker,
    pub stop: CancellationToken,
}

impl Running {
    pub fn start(state: &AppState, count: usize) -> Arc<Self> {
        let running = Arc::new(Self { tasks: TaskTracker::new(), stop: CancellationToken::new() });
        start(state, count, &running.tasks, &running.stop);
        running
    }

    /// Stops the workers and waits for them.
    pub async fn stop(&self) {
        self.stop.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}
