//! Prometheus metrics, through the `metrics` facade and its Prometheus exporter: requests and
//! their latency by operation and outcome, errors by code, SQL statements, the connection pool,
//! WebSocket connections and subscriptions, live events, jobs and rate-limit refusals.
//!
//! The recorder is installed once per process ([`install`]); `/metrics` renders it
//! ([`render`]), sampling the pool's gauges at that moment.
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

/// Latency buckets, in seconds: from a cached document's sub-millisecond answer to a timeout.
const SECONDS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Statements per request.
const STATEMENTS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0];
/// Distinct operation names kept as labels; further names count as `other` (clients choose
/// names, and every label value is a series kept forever).
const MAX_OPERATION_NAMES: usize = 256;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static OPERATIONS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). `None` when
/// another recorder was installed first, in which case metrics go there.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full("graphql_request_statements".into()), STATEMENTS));
            let handle = match builder.map(PrometheusBuilder::install_recorder) {
                Ok(Ok(handle)) => handle,
                Ok(Err(err)) | Err(err) => {
                    tracing::warn!(error = %err, "metrics are not recorded");
                    return None;
                }
            };
            describe();
            Some(handle)
        })
        .clone()
}

fn describe() {
    describe_counter!("graphql_requests_total", "GraphQL requests by operation name and outcome");
    describe_histogram!("graphql_request_duration_seconds", "Time to answer a GraphQL request");
    describe_histogram!("graphql_request_statements", "SQL statements a GraphQL request sent");
    describe_counter!("graphql_errors_total", "Errors in GraphQL responses by code");
    describe_counter!("db_statements_total", "SQL statements sent, by outcome");
    describe_histogram!("db_statement_duration_seconds", "Time of one SQL statement");
    describe_gauge!(
        "db_pool_connections",
        "Connections by pool (main: writes and transactions; reads, on PostgreSQL) and state (in_use, idle)"
    );
    describe_histogram!("db_pool_acquire_seconds", "Time to acquire a connection from the pool");
    describe_gauge!("websocket_connections", "Open GraphQL WebSocket connections");
    describe_gauge!("websocket_subscriptions", "Running subscriptions");
    describe_counter!("events_published_total", "Live events published");
    describe_counter!("events_delivered_total", "Live events sent to a subscriber");
    describe_counter!("events_dropped_total", "Live events dropped before reaching the bus");
    describe_counter!("events_lagged_total", "Live events a slow subscriber missed");
    describe_counter!("job_runs_total", "Job runs by job and outcome");
    describe_histogram!("job_duration_seconds", "Time of one job run");
    describe_counter!("rate_limit_refusals_total", "Requests refused by a rate limit, by rule");
}

/// The Prometheus text of every metric, with the pools' gauges sampled now.
pub fn render(db: &DatabaseConnection, reads: &crate::db::Reader) -> Option<String> {
    let handle = install()?;
    let main = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some((pool.size() as usize, pool.num_idle()))
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some((pool.size() as usize, pool.num_idle()))
        }
        _ => None,
    };
    for (name, sizes) in [("main", main), ("reads", reads.pool_sizes())] {
        let Some((size, idle)) = sizes else { continue };
        gauge!("db_pool_connections", "pool" => name, "state" => "idle").set(idle as f64);
        gauge!("db_pool_connections", "pool" => name, "state" => "in_use").set(size.saturating_sub(idle) as f64);
    }
    handle.run_upkeep();
    Some(handle.render())
}

/// Drains histograms now and then, as the exporter asks of its owner (once per process;
/// rendering drains them too).
pub fn keep_up(every: Duration) {
    static STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if STARTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    if let Some(handle) = install() {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                handle.run_upkeep();
            }
        });
    }
}

/// The label of an operation name: names clients choose are kept while few and well formed.
fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name.filter(|n| !n.is_empty()) else { return "anonymous".into() };
    let well_formed = name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !well_formed {
        return "other".into();
    }
    let names = OPERATIONS.get_or_init(Default::default);
    let Ok(mut names) = names.lock() else { return "other".into() };
    if names.contains(name) || names.len() < MAX_OPERATION_NAMES && names.insert(name.to_owned()) {
        name.to_owned()
    } else {
        "other".into()
    }
}

/// A GraphQL request was answered.
pub fn request<'a>(operation: Option<&str>, codes: impl Iterator<Item = &'a str>, took: Duration, statements: u64) {
    let operation = operation_label(operation);
    let mut outcome = "ok";
    for code in codes {
        outcome = "error";
        counter!("graphql_errors_total", "code" => code.to_owned()).increment(1);
    }
    counter!("graphql_requests_total", "operation" => operation.clone(), "outcome" => outcome).increment(1);
    histogram!("graphql_request_duration_seconds", "operation" => operation, "outcome" => outcome)
        .record(took.as_secs_f64());
    histogram!("graphql_request_statements").record(statements as f64);
}

/// A request refused before it ran (a bad token, a rate limit): an error of `code`.
pub fn refused(code: &str) {
    counter!("graphql_errors_total", "code" => code.to_owned()).increment(1);
}

pub fn statement(took: Duration, failed: bool) {
    let outcome = if failed { "error" } else { "ok" };
    counter!("db_statements_total", "outcome" => outcome).increment(1);
    histogram!("db_statement_duration_seconds").record(took.as_secs_f64());
}

pub fn pool_acquired(took_secs: f64) {
    histogram!("db_pool_acquire_seconds").record(took_secs);
}

/// Counts an open WebSocket connection until dropped.
pub struct Open(&'static str);

impl Open {
    pub fn connection() -> Self {
        Self::new("websocket_connections")
    }

    pub fn subscription() -> Self {
        Self::new("websocket_subscriptions")
    }

    fn new(name: &'static str) -> Self {
        gauge!(name).increment(1.0);
        Self(name)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        gauge!(self.0).decrement(1.0);
    }
}

pub fn event_published() {
    events_published(1);
}

pub fn events_published(count: u64) {
    counter!("events_published_total").increment(count);
}

pub fn event_delivered() {
    counter!("events_delivered_total").increment(1);
}

pub fn events_dropped(count: u64) {
    counter!("events_dropped_total").increment(count);
}

pub fn events_lagged(missed: u64) {
    counter!("events_lagged_total").increment(missed);
}

pub fn job_ran(job: &'static str, ok: bool, took: Duration) {
    let outcome = if ok { "ok" } else { "error" };
    counter!("job_runs_total", "job" => job, "outcome" => outcome).increment(1);
    histogram!("job_duration_seconds", "job" => job).record(took.as_secs_f64());
}

pub fn rate_limited(rule: &'static str) {
    counter!("rate_limit_refusals_total", "rule" => rule).increment(1);
}

/// A `tracing` layer that turns the pool's acquire events (`sqlx::pool::acquire`, which the pool
/// emits when asked to, see [`crate::db::connect`]) into [`pool_acquired`] observations.
pub struct AcquireTimes;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for AcquireTimes {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != ACQUIRE_TARGET {
            return;
        }
        struct Secs(Option<f64>);
        impl tracing::field::Visit for Secs {
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "acquired_after_secs" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut secs = Secs(None);
        event.record(&mut secs);
        if let Some(secs) = secs.0 {
            pool_acquired(secs);
        }
    }
}

/// The target of the pool's acquire events.
pub const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";
