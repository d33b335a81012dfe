//! Test harness: a fresh database per test (an SQLite file, or a PostgreSQL schema when
//! `TEST_DATABASE_URL` is set), the server on port 0, and small GraphQL helpers.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use creatorpulse::config::{Config, Secret};
use creatorpulse::db::{self, DatabaseKind, DbOptions};
use creatorpulse::state::AppState;
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr, Statement, Value};
use serde_json::{Value as Json, json};
use tokio::sync::oneshot;

/// A database of its own, removed when dropped.
pub struct TestDb {
    pub db: DatabaseConnection,
    pub options: DbOptions,
    /// The avatar store of the test's servers (a directory of its own, removed when dropped).
    pub avatar_dir: PathBuf,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Schema { admin_url: String, schema: String },
}

impl TestDb {
    /// A fresh, fully migrated database.
    pub async fn migrated() -> Self {
        let test = Self::empty().await;
        Migrator::up(&test.db, None).await.expect("migrations apply");
        test
    }

    /// A fresh, fully migrated schema of its own on the PostgreSQL server at `admin_url`,
    /// whose connections give up after `connect_timeout`.
    pub async fn migrated_on(admin_url: &str, connect_timeout: std::time::Duration) -> Self {
        let test = Self::open(Some(admin_url.to_owned()), connect_timeout).await;
        Migrator::up(&test.db, None).await.expect("migrations apply");
        test
    }

    /// A fresh database with no tables.
    pub async fn empty() -> Self {
        let url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty());
        Self::open(url, std::time::Duration::from_secs(10)).await
    }

    async fn open(postgres: Option<String>, connect_timeout: std::time::Duration) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let avatar_dir = std::env::temp_dir().join(format!("creatorpulse-avatars-{id}"));
        match postgres {
            Some(admin_url) => {
                let schema = format!("test_{id}");
                let admin = Database::connect(&admin_url).await.expect("TEST_DATABASE_URL reachable");
                admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
                admin.close().await.ok();
                let options = DbOptions {
                    url: admin_url.clone(),
                    max_connections: 30,
                    connect_timeout,
                    schema: Some(schema.clone()),
                };
                let db = db::connect(&options).await.expect("connect to test schema");
                Self { db, options, avatar_dir, cleanup: Cleanup::Schema { admin_url, schema } }
            }
            None => {
                let path = std::env::temp_dir().join(format!("creatorpulse-test-{id}.db"));
                let options = DbOptions {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    max_connections: 5,
                    connect_timeout,
                    schema: None,
                };
                let db = db::connect(&options).await.expect("open sqlite file");
                Self { db, options, avatar_dir, cleanup: Cleanup::File(path) }
            }
        }
    }

    pub fn kind(&self) -> DatabaseKind {
        DatabaseKind::of(&self.db)
    }

    pub fn is_postgres(&self) -> bool {
        self.kind() == DatabaseKind::Postgres
    }

    /// Inserts one row given as `(column, value)` pairs; returns the database's answer.
    pub async fn insert(&self, table: &str, row: &[(&str, Value)]) -> Result<(), DbErr> {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(table)).columns(row.iter().map(|(c, _)| Alias::new(*c)));
        insert
            .values(row.iter().map(|(_, v)| SimpleExpr::Value(v.clone())))
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        self.db.execute(&insert).await.map(|_| ())
    }

    /// Runs one SQL statement with `$1`-style parameters rewritten for the backend.
    pub async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<(), DbErr> {
        self.db.execute_raw(self.stmt(sql, values)).await.map(|_| ())
    }

    /// The first column of the first row of `sql` as an `i64` (counts).
    pub async fn count(&self, sql: &str, values: Vec<Value>) -> i64 {
        let row = self.db.query_one_raw(self.stmt(sql, values)).await.expect("query runs").expect("one row");
        row.try_get_by_index::<i64>(0).expect("an integer")
    }

    pub async fn rows(&self, sql: &str, values: Vec<Value>) -> Vec<sea_orm::QueryResult> {
        self.db.query_all_raw(self.stmt(sql, values)).await.expect("query runs")
    }

    pub fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        db::statement(&self.db, sql, values)
    }

    /// A new user row; returns its id.
    pub async fn user(&self) -> uuid::Uuid {
        let id = uuid::Uuid::new_v4();
        let email = format!("{}@example.com", id.simple());
        self.insert("users", &[("id", id.into()), ("email", email.into()), ("password_hash", "x".into())])
            .await
            .expect("insert user");
        id
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.avatar_dir);
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Schema { admin_url, schema } => {
                let (url, sql) = (admin_url.clone(), format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                // Drop runs outside any runtime guarantee, so the schema is dropped on a thread
                // with a runtime of its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    rt.block_on(async {
                        let admin = Database::connect(&url).await.ok()?;
                        admin.execute_unprepared(&sql).await.ok()?;
                        admin.close().await.ok()
                    })
                })
                .join();
            }
        }
    }
}

/// The `extensions.code` of a response's first error, `<none>` without one.
pub fn code(body: &Json) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

/// The JWT secret of every test server.
pub const JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
/// A password strong enough for sign-up.
pub const PASSWORD: &str = "correct horse battery 9";

/// A signed-up user with real tokens.
pub struct TestUser {
    pub id: uuid::Uuid,
    pub token: String,
    pub refresh_token: String,
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs arbitrary claims with the test secret (HS256).
pub fn sign(claims: &Json) -> String {
    sign_with(JWT_SECRET.as_bytes(), claims)
}

/// Signs arbitrary claims with `secret` (HS256).
pub fn sign_with(secret: &[u8], claims: &Json) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), claims, &key).expect("sign")
}

/// An event listener cut off, and the bus's events since (see [`TestApp::cut_off_listener`]).
pub struct ListenerCut(tokio::sync::broadcast::Receiver<std::sync::Arc<creatorpulse::events::Event>>);

/// Settings of a test server over `test_db`.
pub fn test_config(test_db: &TestDb) -> Config {
    let mut config = Config::for_database(test_db.options.url.clone());
    config.jwt_secret = Some(Secret::new(JWT_SECRET));
    config.encryption_keys = Some(Secret::new("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
    config.avatar_store = test_db.avatar_dir.display().to_string();
    // Scheduled retention runs only where a test asks for it (`jobs_interval`).
    config.jobs_interval = 0;
    // Tests share one PostgreSQL database: each test's instances talk on a channel of their own.
    if let Some(schema) = &test_db.options.schema {
        config.events_channel = schema.clone();
    }
    config
}

/// Another instance of a test's server (see [`TestApp::spawn_peer`]).
pub struct Peer {
    pub addr: SocketAddr,
    pub state: AppState,
    own_receivers: usize,
    _shutdown: oneshot::Sender<()>,
}

impl Peer {
    /// Waits until `n` event receivers of clients listen on this instance.
    pub async fn wait_for_receivers(&self, n: usize) {
        wait_for_receivers(&self.state, self.own_receivers + n).await;
    }

    /// POSTs a GraphQL request to this instance, like [`TestApp::gql_as`].
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Json) -> Json {
        post_graphql(&reqwest::Client::new(), self.addr, token, query, variables).await
    }
}

/// POSTs a GraphQL request to the server at `addr` with an optional bearer token; the JSON body,
/// without the `extensions.cost` the service role and admins always get (it differs from one
/// request to the next; `tests/api/telemetry.rs` reads it).
async fn post_graphql(
    client: &reqwest::Client,
    addr: SocketAddr,
    token: Option<&str>,
    query: &str,
    variables: Json,
) -> Json {
    let mut request =
        client.post(format!("http://{addr}/graphql")).json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let mut body: Json = request.send().await.expect("request sent").json().await.expect("a JSON body");
    if let Some(extensions) = body.get_mut("extensions").and_then(Json::as_object_mut) {
        extensions.remove("cost");
        if extensions.is_empty() {
            body.as_object_mut().map(|b| b.remove("extensions"));
        }
    }
    body
}

struct Served {
    addr: SocketAddr,
    state: AppState,
    /// The event receivers the instance holds itself (the agency directory's), before any client.
    own_receivers: usize,
    shutdown: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves `db` with `config` on a free port until the returned sender fires or drops.
/// Serves `db`; with `record`, every statement sent (by the database's pool or the reads') is
/// recorded there too.
async fn serve(mut db: DatabaseConnection, config: Config, record: Option<Statements>) -> Served {
    if let Some(statements) = &record {
        db.set_metric_callback(statements.recorder());
    }
    let mut state = AppState::new(db, config).await.expect("valid settings");
    if let Some(statements) = &record {
        state.reads.set_metric_callback(statements.recorder());
    }
    let own_receivers = state.events.receivers();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(creatorpulse::http::serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Served { addr, state, own_receivers, shutdown: tx, server }
}

/// Waits (at most ten seconds) until `n` event receivers in all listen on `state`'s instance.
pub async fn wait_for_receivers(state: &AppState, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while state.events.receivers() < n {
        assert!(std::time::Instant::now() < deadline, "{n} event receivers never appeared");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// The SQL statements a server sent, in order.
#[derive(Clone, Default)]
pub struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    /// A statement callback that records each statement, then counts it as the server does.
    fn recorder(&self) -> impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static {
        let seen = self.clone();
        move |info| {
            seen.0.lock().expect("statements").push(info.statement.sql.clone());
            creatorpulse::telemetry::statement(info);
        }
    }

    /// The statements sent since the last call.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("statements"))
    }
}

/// The server running on port 0 over its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub test_db: TestDb,
    /// The running server's state (its event bus, for tests of live events).
    pub state: AppState,
    own_receivers: usize,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns the server after `configure` adjusts its settings.
    /// Spawns the server recording every SQL statement it sends.
    pub async fn spawn_recording_statements() -> (Self, Statements) {
        let statements = Statements::default();
        let app = Self::spawn_inner(|_| {}, Some(statements.clone())).await;
        (app, statements)
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_inner(configure, None).await
    }

    /// A server over `test_db` (see [`TestDb::migrated_on`]).
    pub async fn spawn_over(test_db: TestDb, configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_inner_over(test_db, configure, None).await
    }

    async fn spawn_inner(configure: impl FnOnce(&mut Config), record: Option<Statements>) -> Self {
        Self::spawn_inner_over(TestDb::migrated().await, configure, record).await
    }

    async fn spawn_inner_over(
        test_db: TestDb,
        configure: impl FnOnce(&mut Config),
        record: Option<Statements>,
    ) -> Self {
        // Server logs show with a failing test's output (`TEST_LOG=debug` for more).
        let level = std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt().with_env_filter(level).with_test_writer().try_init();
        let mut config = test_config(&test_db);
        config.db_connect_timeout = test_db.options.connect_timeout.as_secs();
        config.bind = "127.0.0.1:0".parse().expect("address");
        configure(&mut config);
        let Served { addr, state, own_receivers, shutdown, server } = serve(test_db.db.clone(), config, record).await;
        Self {
            addr,
            client: reqwest::Client::new(),
            test_db,
            state,
            own_receivers,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    /// A second server over the same database, with its own pool, on the same event channel:
    /// another instance behind the load balancer. It stops when dropped.
    pub async fn spawn_peer(&self) -> Peer {
        self.spawn_peer_with(|_| {}).await
    }

    /// [`TestApp::spawn_peer`] with settings of its own.
    pub async fn spawn_peer_with(&self, configure: impl FnOnce(&mut Config)) -> Peer {
        let db = db::connect(&self.test_db.options).await.expect("connect the peer");
        let mut config = test_config(&self.test_db);
        config.bind = "127.0.0.1:0".parse().expect("address");
        configure(&mut config);
        let Served { addr, state, own_receivers, shutdown, .. } = serve(db, config, None).await;
        Peer { addr, state, own_receivers, _shutdown: shutdown }
    }

    /// Waits until `n` event receivers listen on this instance (each connection holds one, each
    /// running subscription one more), so that a test publishes only once subscribers listen.
    pub async fn wait_for_receivers(&self, n: usize) {
        wait_for_receivers(&self.state, self.own_receivers + n).await;
    }

    /// Ends the event listener's database connection (PostgreSQL). Give what it returns to
    /// [`Self::wait_for_listener_after`].
    pub async fn cut_off_listener(&self) -> ListenerCut {
        // The bus says `Resync` once a new connection listens: heard from here on.
        let events = self.state.events.subscribe();
        let name = self.state.events.connection_name().expect("a PostgreSQL event bus").to_owned();
        let ended = self
            .test_db
            .count(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                vec![name.into()],
            )
            .await;
        assert_eq!(ended, 1, "the listener was connected and is cut off");
        ListenerCut(events)
    }

    /// Waits until the listener cut off by [`Self::cut_off_listener`] listens again, on a new
    /// connection: whatever commits from now on is heard.
    pub async fn wait_for_listener_after(&self, cut: ListenerCut) {
        let ListenerCut(mut events) = cut;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(event)) if matches!(*event, creatorpulse::events::Event::Resync) => return,
                Ok(Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => panic!("the bus closed"),
                Err(_) => panic!("the listener never listened again"),
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a GraphQL request as the anonymous caller and returns the JSON body.
    pub async fn gql(&self, query: &str, variables: Json) -> Json {
        self.gql_as(None, query, variables).await
    }

    /// POSTs a GraphQL request with an optional bearer token and returns the JSON body.
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Json) -> Json {
        post_graphql(&self.client, self.addr, token, query, variables).await
    }

    /// Signs up a new user through the API.
    pub async fn sign_up(&self, email: &str) -> TestUser {
        let body = self
            .gql(
                "mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken refreshToken user { id } } }",
                json!({ "e": email, "p": PASSWORD }),
            )
            .await;
        let session = &body["data"]["signUp"];
        assert!(session.is_object(), "sign-up failed: {body}");
        TestUser {
            id: session["user"]["id"].as_str().expect("user id").parse().expect("uuid"),
            token: session["accessToken"].as_str().expect("token").to_owned(),
            refresh_token: session["refreshToken"].as_str().expect("refresh token").to_owned(),
        }
    }

    /// A service-role token signed with the test secret.
    pub fn service_token(&self) -> String {
        sign(&json!({ "role": "service_role", "aud": "authenticated", "exp": now() + 600, "iat": now() }))
    }

    /// Stops the server and waits for it to finish in-flight requests.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server ran");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
