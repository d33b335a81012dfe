//! Reads on PostgreSQL go through connections of their own (`creatorpulse::db::Reader`): one
//! round trip per statement, a read given up half way leaves nothing behind, and a connection
//! the database dropped costs no read. On SQLite reads go through the database's pool.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use creatorpulse::db::{self, DbOptions, Reader};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::TestDb;

/// A relay before PostgreSQL at `upstream` that counts the `Sync` messages its clients send
/// (each ends a round trip: the server answers it with `ReadyForQuery`).
async fn counting_relay(upstream: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let syncs = Arc::new(AtomicUsize::new(0));
    let counted = syncs.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&upstream).await else { continue };
            let (mut from_client, mut to_server) = (client.into_split(), server.into_split());
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut parser = Frontend::default();
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match from_client.0.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    counted.fetch_add(parser.syncs_in(&buf[..n]), Ordering::SeqCst);
                    if to_server.1.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut to_server.0, &mut from_client.1).await;
            });
        }
    });
    (addr, syncs)
}

/// The client's side of the protocol, split into messages: first untyped ones (a TLS request,
/// the startup message), then `type, length, body`.
#[derive(Default)]
struct Frontend {
    pending: Vec<u8>,
    started: bool,
}

impl Frontend {
    fn syncs_in(&mut self, bytes: &[u8]) -> usize {
        self.pending.extend_from_slice(bytes);
        let mut syncs = 0;
        loop {
            let header = if self.started { 5 } else { 4 };
            if self.pending.len() < header {
                return syncs;
            }
            let at = header - 4;
            let len = u32::from_be_bytes(self.pending[at..at + 4].try_into().expect("four bytes")) as usize;
            if self.pending.len() < at + len {
                return syncs;
            }
            if self.started {
                syncs += usize::from(self.pending[0] == b'S');
            } else {
                // A TLS or encryption request (8 bytes) comes before the startup message.
                let code = u32::from_be_bytes(self.pending[4..8].try_into().expect("four bytes"));
                self.started = !(len == 8 && (code == 80_877_103 || code == 80_877_104));
            }
            self.pending.drain(..at + len);
        }
    }
}

/// A fresh test database reached through a counting relay (PostgreSQL only): the database's
/// pool, a reader of at most `readers` connections, and the relay's count of `Sync` messages.
struct Relayed {
    _test: TestDb,
    db: sea_orm::DatabaseConnection,
    reader: Reader,
    syncs: Arc<AtomicUsize>,
}

async fn relayed(readers: u32) -> Option<Relayed> {
    let test = TestDb::migrated().await;
    if !test.is_postgres() {
        return None;
    }
    let url = &test.options.url;
    let host = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).expect("host:port in the URL");
    let (relay, syncs) = counting_relay(host.to_owned()).await;
    let relayed = url.replacen(host, &relay, 1);
    let relayed = format!("{relayed}{}sslmode=disable", if relayed.contains('?') { "&" } else { "?" });
    let options = DbOptions { url: relayed, max_connections: 2, ..test.options.clone() };
    let db = db::connect(&options).await.expect("connect through the relay");
    let reader = Reader::new(&db, readers, Duration::from_secs(5)).await.expect("reader");
    Some(Relayed { _test: test, db, reader, syncs })
}

fn select(sql: &str) -> Statement {
    Statement::from_string(DbBackend::Postgres, sql)
}

#[tokio::test]
async fn a_read_costs_one_round_trip_and_its_connection_goes_back_unchecked() {
    let Some(Relayed { _test, db, reader, syncs }) = relayed(2).await else { return };
    // The first read prepares its statement (a round trip of its own).
    let sql = "SELECT count(*) FROM users";
    reader.query_all_raw(select(sql)).await.expect("read");
    let before = syncs.load(Ordering::SeqCst);
    for _ in 0..10 {
        let rows = reader.query_all_raw(select(sql)).await.expect("read");
        assert_eq!(rows.len(), 1);
    }
    // A connection handed back is not pinged, now or later (the driver's pool pings it from a
    // task of its own after the read).
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(syncs.load(Ordering::SeqCst) - before, 10, "one round trip per read");
    // The pool shows in the metrics beside the main one.
    let text = creatorpulse::telemetry::metrics::render(&db, &reader).expect("metrics");
    assert!(text.contains(r#"db_pool_connections{pool="reads",state="idle"}"#), "{text}");
    assert!(text.contains(r#"db_pool_connections{pool="main",state="idle"}"#), "{text}");
}

#[tokio::test]
async fn a_read_given_up_half_way_leaves_its_connection_closed_and_the_next_read_answers() {
    let Some(Relayed { _test, reader, .. }) = relayed(1).await else { return };
    let pid = |rows: Vec<sea_orm::QueryResult>| rows[0].try_get_by_index::<i32>(0).expect("a pid");
    let first = pid(reader.query_all_raw(select("SELECT pg_backend_pid()")).await.expect("read"));
    // Cancelled while the database is still answering: the one connection must not come back
    // with the answer unread.
    let slow = reader.query_all_raw(select("SELECT pg_sleep(2), 1"));
    assert!(tokio::time::timeout(Duration::from_millis(100), slow).await.is_err(), "still running");
    let rows = reader.query_all_raw(select("SELECT 41 + 1")).await.expect("the next read");
    assert_eq!(rows[0].try_get_by_index::<i32>(0).expect("a number"), 42);
    let after = pid(reader.query_all_raw(select("SELECT pg_backend_pid()")).await.expect("read"));
    assert_ne!(first, after, "the abandoned connection was closed, not reused");
}

#[tokio::test]
async fn a_connection_the_database_dropped_fails_no_read() {
    let Some(Relayed { _test, db, reader, .. }) = relayed(1).await else { return };
    let rows = reader.query_all_raw(select("SELECT pg_backend_pid()")).await.expect("read");
    let pid = rows[0].try_get_by_index::<i32>(0).expect("a pid");
    let ended = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend($1)",
            [pid.into()],
        ))
        .await
        .expect("terminate");
    assert_eq!(ended.len(), 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let rows = reader.query_all_raw(select("SELECT 7")).await.expect("read on a new connection");
    assert_eq!(rows[0].try_get_by_index::<i32>(0).expect("a number"), 7);
}

#[tokio::test]
async fn reads_on_sqlite_go_through_the_databases_pool() {
    let test = TestDb::migrated().await;
    let reader = Reader::new(&test.db, 2, Duration::from_secs(5)).await.expect("reader");
    let rows = reader
        .query_all_raw(Statement::from_string(test.db.get_database_backend(), "SELECT count(*) FROM users"))
        .await
        .expect("read");
    assert_eq!(rows.len(), 1);
    assert_eq!(format!("{reader:?}").contains("own_pool: true"), test.is_postgres());
}

#[tokio::test]
async fn a_write_costs_one_round_trip_and_never_runs_again_on_a_dropped_connection() {
    let Some(Relayed { _test, db, reader, syncs }) = relayed(1).await else { return };
    db.execute_unprepared("CREATE SEQUENCE written").await.expect("a sequence");
    let writes = reader.once();
    let next = || writes.query_all_raw(select("SELECT nextval('written')"));
    let value = |rows: Vec<sea_orm::QueryResult>| rows[0].try_get_by_index::<i64>(0).expect("a number");
    assert_eq!(value(next().await.expect("write")), 1);
    let before = syncs.load(Ordering::SeqCst);
    for n in 2..=11 {
        assert_eq!(value(next().await.expect("write")), n);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(syncs.load(Ordering::SeqCst) - before, 10, "one round trip per write");
    // The database ends the connection: the write on it fails, as it may have been written,
    // where a read would run again; the next write has a connection of its own.
    let pid = value(writes.query_all_raw(select("SELECT pg_backend_pid()::bigint")).await.expect("pid"));
    db.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_terminate_backend($1)",
        [(pid as i32).into()],
    ))
    .await
    .expect("terminate");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = next().await.expect_err("the write on the ended connection fails");
    assert_eq!(creatorpulse::error::AppError::from(refused).code(), "UNAVAILABLE");
    assert_eq!(value(next().await.expect("a write on a new connection")), 12);
}
