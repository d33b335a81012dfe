//! What the service runs on: AI processing logs and health metrics (service role).
use entity::{ai_processing_logs, system_health_metrics};

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
