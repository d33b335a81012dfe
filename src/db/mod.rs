//! Database connection: one code path for PostgreSQL and SQLite.
mod reads;

pub use reads::Reader;
use std::time::Duration;

use async_graphql::Enum;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait, Value,
};

use crate::config::Config;

/// SQLite's `gen_random_uuid()`: a version-4 uuid as the 16-byte blob the driver reads.
pub const SQLITE_UUID_V4: &str = "unhex(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) \
     || substr('89AB', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))";

/// The kind of database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum DatabaseKind {
    Postgres,
    Sqlite,
}

impl DatabaseKind {
    pub fn of(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Self::Postgres,
            _ => Self::Sqlite,
        }
    }
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// PostgreSQL schema to work in (tests use one per test); `None` is the default path.
    pub schema: Option<String>,
}

impl DbOptions {
    pub fn from_config(config: &Config) -> Self {
        Self {
            url: config.database_url.clone(),
            max_connections: config.db_max_connections,
            connect_timeout: config.connect_timeout(),
            schema: None,
        }
    }
}

/// Opens a connection pool. SQLite runs in WAL mode with foreign keys on and waits for locks.
pub async fn connect(options: &DbOptions) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(options.url.clone());
    opts.max_connections(options.max_connections)
        .min_connections(0)
        .connect_timeout(options.connect_timeout)
        .acquire_timeout(options.connect_timeout.max(Duration::from_secs(1)))
        .sqlx_logging(false)
        // A checkout round trip per query costs more than the rare dead connection it finds.
        .test_before_acquire(false)
        // The pool reports each acquire's wait as a `tracing` event, which the metrics count.
        .map_sqlx_postgres_pool_opts(|o| o.acquire_time_level(log::LevelFilter::Trace))
        .map_sqlx_sqlite_pool_opts(|o| o.acquire_time_level(log::LevelFilter::Trace))
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    if let Some(schema) = &options.schema {
        opts.set_schema_search_path(schema.clone());
    }
    let mut db = Database::connect(opts).await?;
    // Every statement counts toward its request's cost, the metrics and, when on, the traces.
    db.set_metric_callback(crate::telemetry::statement);
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so that concurrent writers queue on the busy timeout instead of failing
/// when a read turns into a write; PostgreSQL begins as usual.
pub async fn write_txn(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A statement written with `$1`-style parameters, for `db`'s backend: SQLite gets `?` in their
/// place, so each parameter is used once, in order.
pub fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres { sql.to_owned() } else { question_marks(sql) };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `$1`-style parameters as SQLite's `?` (each used once, in order).
pub fn question_marks(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// `$first, $first+1, …`: `n` placeholders.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The URL with its password replaced, safe to print.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((auth, host)) => {
                let user = auth.split(':').next().unwrap_or_default();
                if auth.contains(':') {
                    format!("{scheme}://{user}:***@{host}")
                } else {
                    format!("{scheme}://{user}@{host}")
                }
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://a.db?mode=rwc"), "sqlite://a.db?mode=rwc");
    }
}
