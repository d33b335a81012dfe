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
