//! The connection the data layer reads through.
//!
//! On PostgreSQL reads keep connections of their own. The driver's pool tests every connection
//! handed back to it with a round trip (a `Sync`, answered by `ReadyForQuery`) and has no
//! setting to skip it, so each statement cost two round trips, and the database one more
//! message to answer. The pool here hands a connection back as it is: the driver drains
//! whatever an earlier statement left unread before it sends the next, and a connection whose
//! last read was given up half way (its request cancelled) is closed instead of handed out
//! again. A connection the database dropped fails its read, is closed the same way, and the
//! read runs again on another. A write that is one statement, in a transaction of its own
//! (a row written with its event), goes out the same way ([`Reader::once`]) but never runs
//! twice. Transactions go through the database's pool; on SQLite, in process, everything does.
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sea_orm::sqlx::{self, Connection as _};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;

/// How often a read runs again when its connection turns out to be closed.
const READ_RETRIES: usize = 2;

/// Opens PostgreSQL connections for reads and hands them out again without a round trip.
pub struct Connector {
    options: PgConnectOptions,
}

/// A connection of the reads' pool, and whether its last read settled: answered in full, or
/// refused by the server. One given up half way (its request cancelled mid-answer), or whose
/// connection was lost, is closed when the pool would hand it out again.
pub struct ReadConnection {
    raw: PgConnection,
    settled: bool,
}

impl managed::Manager for Connector {
    type Type = ReadConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<ReadConnection, sqlx::Error> {
        Ok(ReadConnection { raw: PgConnection::connect_with(&self.options).await?, settled: true })
    }

    async fn recycle(&self, conn: &mut ReadConnection, _: &Metrics) -> RecycleResult<sqlx::Error> {
        match conn.settled {
            true => Ok(()),
            false => Err(RecycleError::message("its last read did not settle")),
        }
    }
}

/// Reads (and writes in one statement, [`Reader::once`]): through a pool of their own on
/// PostgreSQL, through the database's pool elsewhere. `execute` goes through the database's
/// pool.
#[derive(Clone)]
pub struct Reader {
    db: DatabaseConnection,
    pg: Option<managed::Pool<Connector>>,
    /// Told of every statement this pool runs, as the database's own callback is; shared by
    /// every handle of the pool.
    on_statement: Arc<std::sync::RwLock<Callback>>,
    /// How often a statement runs again when its connection turns out to be closed.
    retries: usize,
}

type Callback = Arc<dyn Fn(&sea_orm::metric::Info<'_>) + Send + Sync>;

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("own_pool", &self.pg.is_some()).finish()
    }
}

impl Reader {
    /// Reads for `db`: on PostgreSQL up to `max_connections` connections of their own, opened
    /// like the database pool's (same settings, same `search_path`) within `connect_timeout`,
    /// and waited for as long.
    pub async fn new(db: &DatabaseConnection, max_connections: u32, connect_timeout: Duration) -> Result<Self, DbErr> {
        let mut reader = Self {
            db: db.clone(),
            pg: None,
            on_statement: Arc::new(std::sync::RwLock::new(Arc::new(crate::telemetry::statement))),
            retries: READ_RETRIES,
        };
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(reader);
        }
        let mut options = (*db.get_postgres_connection_pool().connect_options()).clone();
        // The pool sets a test's schema after connecting; here it is a setting of the session.
        let statement = Statement::from_string(DbBackend::Postgres, "SELECT current_setting('search_path')");
        if let Some(row) = db.query_one_raw(statement).await? {
            let path: String = row.try_get_by_index(0)?;
            options = options.options([("search_path", path)]);
        }
        reader.pg = managed::Pool::builder(Connector { options })
            .max_size(max_connections.max(1) as usize)
            .wait_timeout(Some(connect_timeout.max(Duration::from_secs(1))))
            .create_timeout(Some(connect_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map(Some)
            .map_err(|err| DbErr::Custom(err.to_string()))?;
        Ok(reader)
    }

    /// The same pool for statements that must not run twice: a write in a transaction of its
    /// own (`query_*` of an `INSERT`, `UPDATE` or `DELETE … RETURNING`). One whose connection
    /// is lost fails (`UNAVAILABLE`), since it may have been written. Unlike the database's
    /// pool, which pings a connection before handing it out, this one finds a connection the
    /// server closed while idle (a restart) only by using it: that costs one write per such
    /// connection.
    pub fn once(&self) -> Self {
        Self { retries: 0, ..self.clone() }
    }

    /// The connections of the reads' own pool and how many of them are idle (`None` when reads
    /// go through the database's pool).
    pub fn pool_sizes(&self) -> Option<(usize, usize)> {
        let status = self.pg.as_ref()?.status();
        Some((status.size, status.available))
    }

    /// Calls `callback` for every statement read through this pool, by any of its handles (see
    /// `DatabaseConnection::set_metric_callback`, which the database's pool keeps).
    pub fn set_metric_callback(&mut self, callback: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static) {
        *self.on_statement.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(callback);
    }

    /// The rows `statement` answers on PostgreSQL, through `pool`.
    async fn rows(&self, pool: &managed::Pool<Connector>, statement: &Statement) -> Result<Vec<PgRow>, DbErr> {
        let started = Instant::now();
        let mut attempt = 0;
        let result = loop {
            let waited = Instant::now();
            let mut conn = pool.get().await.map_err(|err| match err {
                managed::PoolError::Backend(err) => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err))),
                managed::PoolError::Timeout(_) => DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
                other => DbErr::Conn(RuntimeErr::Internal(other.to_string())),
            })?;
            crate::telemetry::metrics::pool_acquired(waited.elapsed().as_secs_f64());
            let values = statement.values.clone().unwrap_or(sea_orm::sea_query::Values(Vec::new()));
            let query = sqlx::query_with(sqlx::AssertSqlSafe(statement.sql.as_str()), SqlxValues(values));
            // Unsettled until the answer is in: a read dropped while it waits leaves it so.
            conn.settled = false;
            let outcome = query.fetch_all(&mut conn.raw).await;
            conn.settled = !matches!(&outcome, Err(err) if lost(err));
            match outcome {
                Ok(rows) => break Ok(rows),
                Err(err) if lost(&err) && attempt < self.retries => attempt += 1,
                Err(err) => break Err(DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))),
            }
        };
        let failed = result.is_err();
        let on_statement = self.on_statement.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        on_statement(&sea_orm::metric::Info { elapsed: started.elapsed(), statement, failed });
        result
    }
}

/// Whether `err` means the connection is gone rather than the statement refused: the socket
/// failed, or the server ended the session (SQLSTATE class 57, operator intervention, such as
/// a shutdown or `pg_terminate_backend`; class 08, connection exception).
fn lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(err) => err.code().is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.db.execute_raw(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.db.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.pg {
            Some(pool) => Ok(self.rows(pool, &statement).await?.into_iter().next().map(QueryResult::from)),
            None => self.db.query_one_raw(statement).await,
        }
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.pg {
            Some(pool) => Ok(self.rows(pool, &statement).await?.into_iter().map(QueryResult::from).collect()),
            None => self.db.query_all_raw(statement).await,
        }
    }
}
