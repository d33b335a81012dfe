//! The scheduler: every `SCHEDULE_TICK` seconds each instance with workers looks for work that
//! has come due and queues it (sources due for a crawl, deliveries due at their creators'
//! local time, and each `JOBS_INTERVAL` slot's retention and allowance jobs). Every piece is claimed by a guarded
//! write in the transaction that queues it, so however many instances look, it is queued once.
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::error::AppResult;
use crate::state::AppState;

/// Queues what is due at `now`; how many jobs were queued.
pub async fn tick(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let crawls = crate::content::crawl::schedule(state, now).await?;
    let deliveries = crate::delivery::schedule::tick(state, now).await?;
    let maintenance = crate::jobs::queue_due(state, now).await?;
    Ok(crawls + deliveries + maintenance)
}

/// Ticks until `stop`.
pub async fn run(state: AppState, stop: CancellationToken) {
    let period = Duration::from_secs(state.config.schedule_tick.max(1));
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        if let Err(err) = tick(&state, Utc::now()).await {
            tracing::warn!(error = ?err, "looking for scheduled work failed");
        }
    }
}
