//! CreatorPulse API: the GraphQL server of the CreatorPulse data model.
pub mod app;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod usage;

use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::app::AppState;
use crate::config::{Cli, Command, Config, MigrateAction};
use crate::db::{DbOptions, redact_url};

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
    }
}

async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    db::connect(&DbOptions::from_config(config))
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact_url(&config.database_url)))
}

async fn serve(config: Config) -> anyhow::Result<()> {
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
    let state = AppState { db, config: config.into() };
    app::serve(listener, state, shutdown_signal()).await.context("server error")
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

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
