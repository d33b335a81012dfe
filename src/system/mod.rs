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

/// A client app's report: an error, a log line or feedback.
#[derive(Clone, SimpleObject, macros::Resource)]
#[resource(table = "client_logs", fetch, list)]
pub struct ClientLog {
    #[graphql(flatten)]
    pub row: entity::client_logs::Model,
}

#[derive(Default)]
pub struct ClientLogMutation;

#[Object]
impl ClientLogMutation {
    /// Reports an error, a log line or feedback from a client app, signed in or not (anonymous
    /// reports are limited harder, per address). The message is bounded by
    /// `MAX_CLIENT_LOG_BYTES`, the context (a JSON object) by four times that. Answers the
    /// report's id.
    async fn submit_client_log(
        &self,
        ctx: &Context<'_>,
        level: entity::enums::LogLevel,
        message: String,
        context: Option<serde_json::Value>,
        app_version: Option<String>,
        platform: Option<String>,
    ) -> async_graphql::Result<uuid::Uuid> {
        use crate::error::AppError;
        use crate::limits::Rule;
        let state = table::state(ctx)?;
        let viewer = table::viewer(ctx)?;
        let (_, meta) = crate::audit::origin(ctx);
        let user = viewer.user_id().ok();
        match user {
            Some(user) => state.limits.consume(Rule::ClientLog, &user.to_string(), 1).await?,
            None => {
                let address = meta.client_address.as_deref().unwrap_or("unknown");
                state.limits.consume(Rule::ClientLogAnonymous, address, 1).await?
            }
        }
        let max = state.config.max_client_log_bytes;
        entity::table::check::not_blank("message", &message).map_err(AppError::from)?;
        if message.len() > max {
            return Err(AppError::bad_input("message", format!("must be at most {max} bytes")).into());
        }
        if let Some(context) = &context {
            entity::table::check::json_object("context", context).map_err(AppError::from)?;
            if context.to_string().len() > max * 4 {
                return Err(AppError::bad_input("context", format!("must be at most {} bytes", max * 4)).into());
            }
        }
        for (field, value) in [("appVersion", &app_version), ("platform", &platform)] {
            if value.as_ref().is_some_and(|v| v.len() > 64) {
                return Err(AppError::bad_input(field, "must be at most 64 bytes").into());
            }
        }
        let row = entity::client_logs::ActiveModel {
            id: sea_orm::Set(uuid::Uuid::new_v4()),
            user_id: sea_orm::Set(user),
            level: sea_orm::Set(level),
            message: sea_orm::Set(message),
            context: sea_orm::Set(context),
            app_version: sea_orm::Set(app_version),
            platform: sea_orm::Set(platform),
            client_address: sea_orm::Set(meta.client_address.clone()),
            created_at: sea_orm::Set(chrono::Utc::now()),
        };
        let id = sea_orm::ActiveModelTrait::insert(row, &state.db).await.map_err(AppError::from)?.id;
        Ok(id)
    }
}
