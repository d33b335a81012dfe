//! CreatorPulse API: the GraphQL server of the CreatorPulse data model.
#![recursion_limit = "256"]
pub mod accounts;
pub mod agencies;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod avatars;
pub mod billing;
pub mod config;
pub mod content;
pub mod crypto;
pub mod db;
pub mod delivery;
pub mod error;
pub mod events;
pub mod fetch;
pub mod generation;
pub mod graphql;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod memory;
pub mod outbound;
pub mod profiles;
pub mod queue;
pub mod schedule;
pub mod state;
pub mod system;
pub mod table;
pub mod telemetry;
pub mod voice;
pub mod workers;

use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::{Cli, Command, Config, JobsAction, MigrateAction, TokenRole};
use crate::db::{DbOptions, redact_url};
use crate::state::AppState;

/// Runs one CLI command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate { action } => migrate(&config, action).await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Worker => work(config).await,
        Command::Jobs { action: JobsAction::Run { job } } => {
            let db = connect(&config).await?;
            let events = events::connect(&db, &config).await.map_err(anyhow::Error::msg)?;
            let slot = format!("manual:{}", uuid::Uuid::new_v4());
            let settings = jobs::Settings::from_config(&config);
            let jobs: Vec<jobs::Job> = match job {
                Some(job) => vec![job],
                None => jobs::Job::ALL.to_vec(),
            };
            for job in jobs {
                match jobs::run_with(&db, events.as_ref(), job, &slot, chrono::Utc::now(), &settings)
                    .await
                    .with_context(|| format!("job {} failed", job.name()))?
                {
                    jobs::Outcome::Ran { rows } => println!("{}\t{rows} rows", job.name()),
                    jobs::Outcome::AlreadyClaimed => println!("{}\talready run", job.name()),
                }
            }
            Ok(())
        }
        Command::Token { role, sub, ttl } => {
            println!("{}", mint_token(&config, role, sub, ttl)?);
            Ok(())
        }
    }
}

async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let options = DbOptions::from_config(config);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(config.db_wait);
    let mut wait = std::time::Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        match db::connect(&options).await {
            Ok(db) => return Ok(db),
            Err(err) if std::time::Instant::now() + wait < deadline => {
                tracing::warn!(attempt, error = %err, retry_in_ms = wait.as_millis() as u64,
                    "the database is not reachable yet; retrying (DB_WAIT)");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(10));
                attempt += 1;
            }
            Err(err) => {
                return Err(anyhow::Error::from(err)).with_context(|| {
                    format!("cannot connect to the database at {}", redact_url(&config.database_url))
                });
            }
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let db = connect(&config).await?;
    Migrator::up(&db, None).await.context("cannot migrate the database")?;
    let listener = TcpListener::bind(config.bind).await.with_context(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener.local_addr().context("cannot read the listening address")?;
    tracing::info!(database = %redact_url(&config.database_url), "listening on http://{addr}");
    if config.graphiql {
        println!("CreatorPulse API on http://{addr}/graphql (GraphiQL: open it in a browser)");
    } else {
        println!("CreatorPulse API on http://{addr}/graphql");
    }
    let state = AppState::new(db, config).await.map_err(anyhow::Error::msg)?;
    if let Some(bind) = state.config.metrics_bind {
        let listener = TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind} for metrics"))?;
        let metrics = http::metrics_router(state.db.clone(), state.reads.clone());
        tracing::info!("metrics on http://{bind}/metrics");
        tokio::spawn(async move { axum::serve(listener, metrics).await });
    }
    let workers = workers::Running::start(&state, state.config.workers);
    // Startup's code (the schemas, the first connections, the background tasks' first steps)
    // has run a moment after the server listens; then its pages go back, and again after
    // each quiet spell.
    let idle_release_ms = state.config.idle_release_ms;
    let quiet = (idle_release_ms > 0).then(|| std::time::Duration::from_millis(idle_release_ms));
    tokio::spawn(memory::hand_back_when_quiet(quiet));
    let served = http::serve(listener, state, shutdown).await.context("server error");
    workers.stop().await;
    served
}

/// `creatorpulse worker`: runs queued jobs (at least one worker, `WORKERS` of them) until
/// SIGTERM or Ctrl-C; a job in progress then is claimed again by another worker.
async fn work(config: Config) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let db = connect(&config).await?;
    Migrator::up(&db, None).await.context("cannot migrate the database")?;
    let count = config.workers.max(1);
    let state = AppState::new(db, config).await.map_err(anyhow::Error::msg)?;
    println!("CreatorPulse worker: running {count} workers");
    let workers = workers::Running::start(&state, count);
    shutdown.await;
    workers.stop().await;
    Ok(())
}

async fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    let db = connect(config).await?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await,
        MigrateAction::Down { steps } => Migrator::down(&db, Some(steps)).await,
        MigrateAction::Fresh => Migrator::fresh(&db).await,
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!("{:?}\t{}", migration.status(), migration.name());
            }
            Ok(())
        }
    }
    .context("migration failed")
}

/// A token for internal tools, signed with the configured secret.
fn mint_token(config: &Config, role: TokenRole, sub: Option<uuid::Uuid>, ttl: u64) -> anyhow::Result<String> {
    let secret = config.jwt_secret.as_ref().context("set JWT_SECRET (or --jwt-secret) to mint tokens")?;
    let keys = auth::jwt::JwtKeys::new(secret.expose().as_bytes(), None).map_err(anyhow::Error::msg)?;
    let now = chrono::Utc::now().timestamp();
    let claims = match role {
        TokenRole::Authenticated => {
            let sub = sub.context("an authenticated token needs --sub <user id>")?;
            auth::jwt::Claims {
                sub: Some(sub.to_string()),
                role: "authenticated".into(),
                aud: Some(auth::jwt::AUDIENCE.into()),
                exp: now + ttl as i64,
                iat: now,
                email: None,
                session_id: None,
                iss: None,
            }
        }
        TokenRole::ServiceRole => auth::jwt::Claims {
            sub: sub.map(|s| s.to_string()),
            role: "service_role".into(),
            aud: Some(auth::jwt::AUDIENCE.into()),
            exp: now + ttl as i64,
            iat: now,
            email: None,
            session_id: None,
            iss: None,
        },
    };
    keys.sign(&claims).map_err(|_| anyhow::anyhow!("cannot sign the token"))
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when the
/// future is first polled, so a signal right after start-up is not lost.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = terminate.recv() => {},
                        _ = interrupt.recv() => {},
                    }
                }
                _ => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
