//! The service itself: facts about the server, AI processing logs and health metrics.
use async_graphql::{Context, Object, SimpleObject};
use entity::{ai_processing_logs, system_health_metrics};

use crate::db::DatabaseKind;
use crate::table;

/// AI processing runs: what was asked, what came back, and what it cost (seed 9.1).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "ai_processing_logs", fetch, list, create, update, delete, live)]
pub struct AiProcessingLog {
    #[graphql(flatten)]
    pub row: ai_processing_logs::Model,
}

/// Operational metrics (seed 9.2).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "system_health_metrics", fetch, list, create, update, delete)]
pub struct SystemHealthMetric {
    #[graphql(flatten)]
    pub row: system_health_metrics::Model,
}

/// Facts about the running server.
#[derive(SimpleObject)]
pub struct ServerInfo {
    /// The server's version.
    pub version: &'static str,
    /// The database the server is connected to.
    pub database_kind: DatabaseKind,
}

#[derive(Default)]
pub struct ServerQuery;

#[Object]
impl ServerQuery {
    /// Facts about the running server (any signed-in caller).
    async fn server_info(&self, ctx: &Context<'_>) -> async_graphql::Result<ServerInfo> {
        table::viewer(ctx)?.require_signed_in()?;
        let state = table::state(ctx)?;
        Ok(ServerInfo { version: env!("CARGO_PKG_VERSION"), database_kind: DatabaseKind::of(&state.db) })
    }
}
