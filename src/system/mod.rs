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

/// A rate-limit bucket that is holding requests back.
#[derive(SimpleObject)]
pub struct RateLimitBucket {
    /// The limit and its key, e.g. `sign_in_account:ann@example.com` or `sign_in_address:203.0.113.7`.
    pub key: String,
    /// When the bucket is empty again (its theoretical arrival time).
    pub until: chrono::DateTime<chrono::Utc>,
}

#[derive(Default)]
pub struct RateLimitQuery;

#[Object]
impl RateLimitQuery {
    /// The rate-limit buckets in use now, fullest first (admins and support).
    async fn rate_limit_buckets(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<RateLimitBucket>> {
        let viewer = table::viewer(ctx)?;
        viewer.require_signed_in()?;
        if !viewer.is_staff() && !viewer.is_service() {
            return Err(crate::error::AppError::Forbidden.into());
        }
        let first = table::page_size("first", first, table::state(ctx)?.config.max_page_size)?;
        let buckets = crate::limits::active_buckets(table::db(ctx)?, first).await?;
        Ok(buckets.into_iter().map(|(key, until)| RateLimitBucket { key, until }).collect())
    }
}
