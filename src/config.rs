//! Command line and configuration: every setting is a flag and an environment variable.
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// CreatorPulse API: the GraphQL server of the CreatorPulse data model.
#[derive(Debug, Parser)]
#[command(name = "creatorpulse", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve the API (the default).
    Serve,
    /// Apply or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Run queued jobs (generation, voice training) without serving the API, until stopped.
    Worker,
    /// Run scheduled jobs now.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Mint an access token for internal tools, signed with the configured secret.
    Token {
        /// The role the token carries.
        #[arg(long, value_enum, default_value_t = TokenRole::Authenticated)]
        role: TokenRole,
        /// The user the token speaks for (required for `authenticated`).
        #[arg(long)]
        sub: Option<uuid::Uuid>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum JobsAction {
    /// Run one job (or, without a name, every job) once.
    Run {
        /// The job to run.
        #[arg(value_enum)]
        job: Option<Job>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenRole {
    #[value(name = "authenticated")]
    Authenticated,
    #[value(name = "service_role")]
    ServiceRole,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back migrations (the last one by default).
    Down {
        /// How many migrations to roll back.
        #[arg(long, short = 'n', default_value_t = 1)]
        steps: u32,
    },
    /// Show which migrations are applied.
    Status,
    /// Drop every table and apply all migrations again.
    Fresh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Settings shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://file.db?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://creatorpulse.db?mode=rwc", global = true)]
    pub database_url: String,

    /// Maximum number of pooled database connections.
    #[arg(long, env = "DB_MAX_CONNECTIONS", default_value_t = 10, global = true)]
    pub db_max_connections: u32,

    /// Writers of one-row writes on PostgreSQL: each takes whatever writes wait and sends them
    /// as one statement (see `events::writes`); at most this many such statements run at once.
    #[arg(long, env = "DB_WRITERS", default_value_t = 2, global = true)]
    pub db_writers: usize,

    /// Seconds to wait for the database when connecting.
    #[arg(long, env = "DB_CONNECT_TIMEOUT", default_value_t = 5, global = true)]
    pub db_connect_timeout: u64,

    /// Seconds to keep trying when the database cannot be reached at start (each failure is
    /// logged, with waits growing to 10 s); 0 gives up at the first failure, with one line.
    #[arg(long, env = "DB_WAIT", default_value_t = 0, global = true)]
    pub db_wait: u64,

    /// Milliseconds without a request, after requests, before the executable's pages go back
    /// (`src/memory.rs`); the first request after such a spell maps the code it runs again
    /// (about 2 ms, BENCHMARKS.md). 0: only once, a second after starting.
    #[arg(long, env = "IDLE_RELEASE_MS", default_value_t = 500, global = true)]
    pub idle_release_ms: u64,

    /// Address the server listens on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,

    /// Log verbosity, as a tracing filter (e.g. `info`, `creatorpulse=debug`).
    #[arg(long, env = "LOG_LEVEL", default_value = "info,sea_orm_migration=warn,sqlx=warn", global = true)]
    pub log_level: String,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Serve GraphiQL at `GET /graphql` to browsers.
    #[arg(long, env = "GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub graphiql: bool,

    /// Answer introspection queries.
    #[arg(long, env = "INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub introspection: bool,

    /// HS256 secret of access tokens (at least 32 bytes; a Supabase project's JWT secret works).
    /// Without one, a random secret is used and tokens die with the process.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<Secret>,

    /// PEM public key (RS256 or ES256) that also verifies tokens issued elsewhere.
    #[arg(long, env = "JWT_PUBLIC_KEY", hide_env_values = true, global = true)]
    pub jwt_public_key: Option<Secret>,

    /// Issuers (`iss`) of user tokens signed with the same secret or public key whose sessions
    /// are their own (comma-separated), e.g. a Supabase project's
    /// `https://<project-ref>.supabase.co/auth/v1`. Their tokens are taken on both transports
    /// while the account exists; this server's own tokens carry no `iss`.
    #[arg(long, env = "JWT_EXTERNAL_ISSUERS", value_delimiter = ',', global = true)]
    pub jwt_external_issuers: Vec<String>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL", default_value_t = 3600, global = true)]
    pub access_token_ttl: u64,

    /// Lifetime of a session's refresh tokens, in seconds.
    #[arg(long, env = "REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600, global = true)]
    pub refresh_token_ttl: u64,

    /// Keys that encrypt platform tokens at rest: comma-separated `id:base64(32 bytes)`; the first
    /// encrypts, all decrypt (rotation). Without one, a random key is used per process.
    #[arg(long, env = "ENCRYPTION_KEYS", hide_env_values = true, global = true)]
    pub encryption_keys: Option<Secret>,

    /// Largest page (`first`/`last`) a list may be asked for; larger requests are refused.
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = 100, global = true)]
    pub max_page_size: usize,

    /// Deepest selection nesting a query may have.
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = 15, global = true)]
    pub max_query_depth: usize,

    /// Largest query complexity (every field counts 1; a list counts its page size times its
    /// selection).
    #[arg(long, env = "MAX_QUERY_COMPLEXITY", default_value_t = 250_000, global = true)]
    pub max_query_complexity: usize,

    /// Most aliases one document may use.
    #[arg(long, env = "MAX_QUERY_ALIASES", default_value_t = 100, global = true)]
    pub max_query_aliases: usize,

    /// Largest request body, in bytes.
    #[arg(long, env = "MAX_DOCUMENT_BYTES", default_value_t = 100_000, global = true)]
    pub max_document_bytes: usize,

    /// Seconds between scheduled job runs (archiving, purging, summaries, credit resets, trend
    /// ageing), queued on the job queue for the workers; 0 turns the schedule off.
    #[arg(long, env = "JOBS_INTERVAL", default_value_t = 3600, global = true)]
    pub jobs_interval: u64,

    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value_t = 30, global = true)]
    pub shutdown_timeout: u64,

    /// The PostgreSQL notification channel live events travel on; instances that share it see
    /// each other's events.
    #[arg(long, env = "EVENTS_CHANNEL", default_value = "creatorpulse_events", global = true)]
    pub events_channel: String,

    /// How many live events (of all users, not only the subscriber's) a subscriber may fall
    /// behind before it is told that it lagged.
    #[arg(long, env = "EVENT_BUFFER", default_value_t = 1024, global = true)]
    pub event_buffer: usize,

    /// Hours live events are kept in the outbox, for subscribers that resume after a reconnect
    /// (`after`); older ones are deleted by the `purge-events` job.
    #[arg(long, env = "EVENT_RETENTION_HOURS", default_value_t = 24, global = true)]
    pub event_retention_hours: u32,

    /// Seconds between keep-alive pings on a WebSocket; a client silent for two periods is
    /// disconnected.
    #[arg(long, env = "WS_KEEPALIVE", default_value_t = 15, global = true)]
    pub ws_keepalive: u64,

    /// Seconds a WebSocket client has to send `connection_init`.
    #[arg(long, env = "WS_INIT_TIMEOUT", default_value_t = 10, global = true)]
    pub ws_init_timeout: u64,

    /// Seconds a message to a WebSocket client may wait for it to read; a slower client is
    /// disconnected.
    #[arg(long, env = "WS_SEND_TIMEOUT", default_value_t = 10, global = true)]
    pub ws_send_timeout: u64,

    /// Most WebSocket connections one user may hold open at once.
    #[arg(long, env = "WS_MAX_CONNECTIONS_PER_USER", default_value_t = 10, global = true)]
    pub ws_max_connections_per_user: usize,

    /// Most subscriptions one user may run at once, over all their connections.
    #[arg(long, env = "WS_MAX_SUBSCRIPTIONS_PER_USER", default_value_t = 50, global = true)]
    pub ws_max_subscriptions_per_user: usize,

    /// Where uploaded avatars are stored: a directory (created when missing), or
    /// `s3://bucket[/prefix]` in a build with the `s3` feature (credentials, region and endpoint
    /// from the usual `AWS_*` variables).
    #[arg(long, env = "AVATAR_STORE", default_value = "avatars", global = true)]
    pub avatar_store: String,

    /// Largest avatar upload, in bytes.
    #[arg(long, env = "AVATAR_MAX_BYTES", default_value_t = 2 * 1024 * 1024, global = true)]
    pub avatar_max_bytes: usize,

    /// Minutes a signed avatar URL stays valid.
    #[arg(long, env = "AVATAR_URL_TTL_MINUTES", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=7 * 24 * 60), global = true)]
    pub avatar_url_ttl_minutes: u64,

    /// The origin clients reach this server at (e.g. `https://api.example.com`), put before
    /// avatar URLs; without it they are paths on this server (`/avatars/…`).
    #[arg(long, env = "AVATAR_BASE_URL", global = true)]
    pub avatar_base_url: Option<String>,

    /// Web origins (scheme://host[:port], comma-separated) whose pages may call the API and open
    /// its WebSocket. None by default: only same-origin pages (GraphiQL) and non-browser clients.
    /// For development, e.g. `CORS_ALLOWED_ORIGINS=http://localhost:5173`. Tokens travel in the
    /// `Authorization` header, never cookies, so credentialed CORS is not offered.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_allowed_origins: Vec<String>,

    /// Base URL of an OpenAI-compatible chat-completions API (`https://api.openai.com/v1`,
    /// `http://localhost:11434/v1` for Ollama, …). Without it, generation answers
    /// `AI_NOT_CONFIGURED`.
    #[arg(long, env = "AI_BASE_URL", global = true)]
    pub ai_base_url: Option<String>,

    /// The AI provider's API key, sent as a bearer token (none for local servers).
    #[arg(long, env = "AI_API_KEY", hide_env_values = true, global = true)]
    pub ai_api_key: Option<Secret>,

    /// The model asked for.
    #[arg(long, env = "AI_MODEL", default_value = "gpt-4o-mini", global = true)]
    pub ai_model: String,

    /// Seconds one call to the AI provider may take.
    #[arg(long, env = "AI_TIMEOUT", default_value_t = 60, global = true)]
    pub ai_timeout: u64,

    /// Jobs this process runs at once (generation, voice training); `0` runs none here (run
    /// `creatorpulse worker` elsewhere).
    #[arg(long, env = "WORKERS", default_value_t = 2, global = true)]
    pub workers: usize,

    /// Seconds one job may run before it ends as `timeout`.
    #[arg(long, env = "JOB_TIMEOUT", default_value_t = 180, global = true)]
    pub job_timeout: u64,

    /// Seconds a worker's claim on a job lasts without renewal: a worker that dies gives its
    /// job up this long after its last renewal.
    #[arg(long, env = "JOB_LEASE", default_value_t = 30, global = true)]
    pub job_lease: u64,

    /// Attempts a job gets (retryable failures and workers that died) before it is dead.
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = 3, global = true)]
    pub job_max_attempts: i32,

    /// Milliseconds an idle worker waits before looking for work again (work queued on this
    /// instance wakes it at once).
    #[arg(long, env = "JOB_POLL_MS", default_value_t = 1000, global = true)]
    pub job_poll_ms: u64,

    /// Seconds between looks for scheduled work (sources due for a crawl, deliveries due);
    /// every instance with workers looks, and each piece of work is queued once.
    #[arg(long, env = "SCHEDULE_TICK", default_value_t = 30, global = true)]
    pub schedule_tick: u64,

    /// Seconds one fetch of a source may take, connection included.
    #[arg(long, env = "CRAWL_TIMEOUT", default_value_t = 20, global = true)]
    pub crawl_timeout: u64,

    /// Largest feed read, in bytes; a larger answer fails the crawl.
    #[arg(long, env = "CRAWL_MAX_BYTES", default_value_t = 5 * 1024 * 1024, global = true)]
    pub crawl_max_bytes: usize,

    /// Fetch sources on loopback, private and link-local addresses too (a private network of
    /// feeds). Off: user-given URLs reach the public internet only.
    #[arg(long, env = "CRAWL_ALLOW_PRIVATE_HOSTS", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub crawl_allow_private_hosts: bool,

    /// Milliseconds between two requests of this instance to the same host.
    #[arg(long, env = "CRAWL_HOST_INTERVAL_MS", default_value_t = 1000, global = true)]
    pub crawl_host_interval_ms: u64,

    /// The SMTP server delivery emails go through: `smtps://user:pass@host:465` (TLS),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25` (plain, for a
    /// local relay). Without it, a delivery by email fails saying so.
    #[arg(long, env = "SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<Secret>,

    /// The sender of delivery emails.
    #[arg(long, env = "SMTP_FROM", default_value = "CreatorPulse <drafts@creatorpulse.invalid>", global = true)]
    pub smtp_from: String,

    /// Where push and WhatsApp deliveries are POSTed as JSON (a gateway of yours that sends
    /// them on). Without it, a delivery by push or WhatsApp fails saying so.
    #[arg(long, env = "DELIVERY_WEBHOOK_URL", global = true)]
    pub delivery_webhook_url: Option<String>,

    /// Key of the `X-CreatorPulse-Signature: sha256=<hex HMAC of the body>` header on delivery
    /// webhooks, for the receiver to check.
    #[arg(long, env = "DELIVERY_WEBHOOK_SECRET", hide_env_values = true, global = true)]
    pub delivery_webhook_secret: Option<Secret>,

    /// The origin people reach this server at (e.g. `https://api.example.com`), for the links in
    /// delivery emails (opened, unsubscribe). Defaults to `http://<BIND>`.
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Serve Prometheus metrics at `/metrics` on this address of their own (e.g.
    /// `127.0.0.1:9464`), without a token: keep it off the public network.
    #[arg(long, env = "METRICS_BIND", global = true)]
    pub metrics_bind: Option<SocketAddr>,

    /// Serve Prometheus metrics at `/metrics` on the API's address to scrapers presenting
    /// `Authorization: Bearer <this token>`. With neither this nor `METRICS_BIND`, no metrics
    /// are served.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true, global = true)]
    pub metrics_token: Option<Secret>,

    /// While traces are exported (`OTEL_EXPORTER_OTLP_ENDPOINT`), a field that takes at least
    /// this many milliseconds gets a span of its own.
    #[arg(long, env = "TRACE_SLOW_FIELD_MS", default_value_t = 10, global = true)]
    pub trace_slow_field_ms: u64,

    /// Emails that become admins when they sign up or sign in (comma-separated). It only
    /// bootstraps `user_roles`: removing an address later takes nothing away.
    #[arg(long, env = "ADMIN_EMAILS", value_delimiter = ',', global = true)]
    pub admin_emails: Vec<String>,

    /// The header that carries the client's address when a proxy stands in front (e.g.
    /// `X-Forwarded-For`, whose first entry is taken). Unset: the peer's address, and such
    /// headers are ignored.
    #[arg(long, env = "TRUSTED_CLIENT_ADDRESS_HEADER", global = true)]
    pub trusted_client_address_header: Option<String>,

    /// Sign-in attempts per account, as `count/period` (`s`, `m`, `h`); failures count more.
    #[arg(long, env = "RATE_SIGN_IN_ACCOUNT", default_value = "10/15m", global = true)]
    pub rate_sign_in_account: Rate,

    /// Sign-in attempts per client address; failures count more.
    #[arg(long, env = "RATE_SIGN_IN_ADDRESS", default_value = "100/15m", global = true)]
    pub rate_sign_in_address: Rate,

    /// What a failed sign-in costs, in attempts (a success costs one).
    #[arg(long, env = "SIGN_IN_FAILURE_COST", default_value_t = 3, global = true)]
    pub sign_in_failure_cost: u32,

    /// Sign-ups per client address.
    #[arg(long, env = "RATE_SIGN_UP", default_value = "20/1h", global = true)]
    pub rate_sign_up: Rate,

    /// Session refreshes per client address.
    #[arg(long, env = "RATE_REFRESH", default_value = "300/1h", global = true)]
    pub rate_refresh: Rate,

    /// Costly mutations (those that spend credits, export or delete an account) per user.
    #[arg(long, env = "RATE_COSTLY", default_value = "60/1m", global = true)]
    pub rate_costly: Rate,

    /// Requests per signed-in user, on each instance.
    #[arg(long, env = "RATE_REQUESTS", default_value = "1200/1m", global = true)]
    pub rate_requests: Rate,

    /// Stripe webhook endpoint secrets (`whsec_…`, comma-separated): a delivery signed with any
    /// of them is accepted, so a secret can be rotated. None: `/webhooks/stripe` answers 404.
    #[arg(long, env = "STRIPE_WEBHOOK_SECRETS", value_delimiter = ',', hide_env_values = true, global = true)]
    pub stripe_webhook_secrets: Vec<Secret>,

    /// Seconds a Stripe signature's timestamp may be off (replays older than this are refused).
    #[arg(long, env = "STRIPE_WEBHOOK_TOLERANCE", default_value_t = 300, global = true)]
    pub stripe_webhook_tolerance: u64,

    /// Webhook deliveries per client address.
    #[arg(long, env = "RATE_WEBHOOKS", default_value = "600/1m", global = true)]
    pub rate_webhooks: Rate,

    /// Client log reports per signed-in user.
    #[arg(long, env = "RATE_CLIENT_LOGS", default_value = "120/1m", global = true)]
    pub rate_client_logs: Rate,

    /// Client log reports per client address from callers who are not signed in.
    #[arg(long, env = "RATE_CLIENT_LOGS_ANONYMOUS", default_value = "20/1m", global = true)]
    pub rate_client_logs_anonymous: Rate,

    /// Largest client log message, in bytes (its context counts apart, up to four times this).
    #[arg(long, env = "MAX_CLIENT_LOG_BYTES", default_value_t = 8192, global = true)]
    pub max_client_log_bytes: usize,

    /// Days client logs are kept; older ones are deleted by the `purge-audit-logs` job.
    #[arg(long, env = "CLIENT_LOG_RETENTION_DAYS", default_value_t = 30, global = true)]
    pub client_log_retention_days: u32,

    /// Days audit log entries are kept; older ones are deleted by the `purge-audit-logs` job.
    #[arg(long, env = "AUDIT_RETENTION_DAYS", default_value_t = 365, global = true)]
    pub audit_retention_days: u32,
}

/// A rate: at most `count` in `period`, spread evenly (a burst of `count` when idle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a rate such as `10/15m` (count/period in s, m or h)");
        let (count, period) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let (number, unit) = period.split_at(period.find(|c: char| !c.is_ascii_digit()).unwrap_or(period.len()));
        let number: u64 = if number.is_empty() { 1 } else { number.parse().map_err(|_| bad())? };
        let seconds = match unit {
            "s" => number,
            "m" => number * 60,
            "h" => number * 3600,
            _ => return Err(bad()),
        };
        if count == 0 || seconds == 0 {
            return Err(bad());
        }
        Ok(Self { count, period: Duration::from_secs(seconds) })
    }
}

/// A setting that must not appear in logs: `Debug` shows `***`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl Config {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.db_connect_timeout)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout)
    }

    /// Settings for tests and tools: the defaults with another database.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut config = Cli::parse_from(["creatorpulse"]).config;
        config.database_url = database_url.into();
        config
    }
}

/// The jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Job {
    /// Rejected drafts older than 90 days and published drafts older than a year move to the
    /// archive with their trend mappings, once their performance rows are summarised.
    ArchiveDrafts,
    /// AI processing logs older than 30 days are deleted.
    PurgeAiLogs,
    /// Performance rows older than six months become weekly and monthly summaries.
    AggregatePerformance,
    /// Subscriptions whose period ended get their monthly allowance, through the ledger.
    ResetCredits,
    /// Trends age: quiet ones decline, ones past `expiresAt` expire.
    AgeTrends,
    /// Live events older than `EVENT_RETENTION_HOURS` leave the outbox.
    PurgeEvents,
    /// Audit log entries older than `AUDIT_RETENTION_DAYS` and client logs older than
    /// `CLIENT_LOG_RETENTION_DAYS` are deleted, and rate-limit buckets idle for a day.
    PurgeAuditLogs,
}
