//! What the server tells about itself: Prometheus metrics ([`metrics`]), OpenTelemetry traces
//! ([`traces`]) and what each request cost ([`Usage`], answered in `extensions.cost`).
//!
//! A request runs inside [`Usage::scope`]; the database's statement callback, the data layer
//! and the credit ledger add to the usage of the request they run for, wherever they are.
pub mod metrics;
pub mod traces;

use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

tokio::task_local! {
    static USAGE: Arc<Usage>;
}

/// What one request cost: SQL statements and their time, rows the data layer read, credits the
/// ledger debited, and the time from the request's start.
pub struct Usage {
    started: Instant,
    statements: AtomicU64,
    rows: AtomicU64,
    database_micros: AtomicU64,
    credits: Mutex<Decimal>,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            statements: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            database_micros: AtomicU64::new(0),
            credits: Mutex::new(Decimal::ZERO),
        }
    }
}

impl Usage {
    /// Runs `future` with this usage as its request's.
    pub async fn scope<F: Future>(self: Arc<Self>, future: F) -> F::Output {
        USAGE.scope(self, future).await
    }

    /// The usage of the request running on this task, to carry onto a task it spawns.
    pub fn current() -> Option<Arc<Self>> {
        USAGE.try_with(Arc::clone).ok()
    }

    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The usage as `extensions.cost` tells it.
    pub fn to_value(&self) -> async_graphql::Value {
        let credits = self.credits.lock().map(|c| c.normalize()).unwrap_or_default();
        let millis = |d: Duration| (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
        let value = serde_json::json!({
            "statements": self.statements(),
            "rowsRead": self.rows.load(Ordering::Relaxed),
            "databaseMs": millis(Duration::from_micros(self.database_micros.load(Ordering::Relaxed))),
            "totalMs": millis(self.elapsed()),
            "creditsSpent": credits.to_string(),
        });
        async_graphql::Value::from_json(value).unwrap_or_default()
    }
}

/// The process's `tracing` subscriber: logs at `log_level` (an `EnvFilter` directive; `info`
/// when it does not parse) in `format`, the pool's acquire times for the metrics, and spans for
/// the trace exporter when there is one. Every layer has its own filter, so a span or event no
/// layer wants is never built: an absent layer written as `Option::None` would count as one
/// that wants everything, and every `trace` span of the libraries (one per statement) would be
/// built, entered and closed for nothing.
pub fn subscriber(
    log_level: &str,
    format: crate::config::LogFormat,
    colour: bool,
    traces: Option<&opentelemetry_sdk::trace::SdkTracerProvider>,
) -> impl tracing::Subscriber + Send + Sync + 'static {
    use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
    use tracing_subscriber::prelude::*;

    let filter = EnvFilter::try_new(log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(colour);
    let logs = match format {
        crate::config::LogFormat::Json => logs.json().with_filter(filter).boxed(),
        crate::config::LogFormat::Text => logs.with_filter(filter).boxed(),
    };
    // The pool's acquire times feed the metrics, whatever the log level.
    let acquire =
        metrics::AcquireTimes.with_filter(Targets::new().with_target(metrics::ACQUIRE_TARGET, tracing::Level::TRACE));
    // Spans reach the trace exporter at `info` whatever the log level; none without it.
    let spans = match traces {
        Some(provider) => traces::layer(provider).with_filter(LevelFilter::INFO).boxed(),
        None => tracing_subscriber::layer::Identity::new().with_filter(LevelFilter::OFF).boxed(),
    };
    tracing_subscriber::registry().with(logs).with(acquire).with(spans)
}

/// A SQL statement ran for `elapsed` (the database's callback, on the task that sent it).
pub fn statement(info: &sea_orm::metric::Info<'_>) {
    let _ = USAGE.try_with(|usage| {
        usage.statements.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(info.elapsed.as_micros()).unwrap_or(u64::MAX);
        usage.database_micros.fetch_add(micros, Ordering::Relaxed);
    });
    metrics::statement(info.elapsed, info.failed);
    traces::statement(info);
}

/// The data layer read `count` rows for the current request.
pub fn rows_read(count: usize) {
    let _ = USAGE.try_with(|usage| usage.rows.fetch_add(count as u64, Ordering::Relaxed));
}

/// The ledger debited `credits` for the current request.
pub fn credits_spent(credits: Decimal) {
    let _ = USAGE.try_with(|usage| {
        if let Ok(mut spent) = usage.credits.lock() {
            *spent += credits;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LogFormat;

    /// Without an exporter, the libraries' `trace` spans (one per statement) and the request's
    /// `info` span are not built below their level, yet warnings are logged and the pool's
    /// acquire events still reach the metrics.
    #[test]
    fn without_an_exporter_spans_below_the_log_level_are_not_built() {
        let dispatch = tracing::Dispatch::new(subscriber("warn", LogFormat::Text, false, None));
        tracing::dispatcher::with_default(&dispatch, || {
            assert!(tracing::trace_span!(target: "sea_orm::driver::sqlx_postgres", "query_all").is_disabled());
            assert!(tracing::info_span!("request").is_disabled());
            assert!(!tracing::warn_span!("warned").is_disabled());
            assert!(tracing::enabled!(target: "sqlx::pool::acquire", tracing::Level::TRACE));
            assert!(!tracing::enabled!(target: "sqlx::query", tracing::Level::TRACE));
        });
    }
}
