//! The CreatorPulse schema: seed 003's 17 tables plus `users` and `sessions`, on PostgreSQL
//! and SQLite. Type mappings live in [`schema`].
pub use sea_orm_migration::prelude::*;

pub mod schema;

mod m20261124_000001_create_users;
mod m20261124_000002_create_profile_tables;
mod m20261124_000003_create_trend_tables;
mod m20261124_000004_create_content_tables;
mod m20261124_000005_create_delivery_tables;
mod m20261124_000006_create_analytics_tables;
mod m20261124_000007_create_billing_tables;
mod m20261124_000008_create_agency_clients;
mod m20261124_000009_create_system_tables;
mod m20261124_000010_create_voice_model_activation;
mod m20261124_000011_create_calculate_daily_credits;
mod m20261125_000012_create_credit_ledger;
mod m20261125_000013_create_retention;
mod m20261125_000014_add_agency_consent;
mod m20261125_000015_create_event_payloads;
mod m20261125_000016_add_latest_drafts_index;
mod m20261203_000017_keep_archived_history;
mod m20261203_000018_add_credit_buckets;
mod m20261203_000019_bind_agency_consent;
mod m20261203_000020_create_roles_audit_and_limits;
mod m20261203_000021_create_payments;
mod m20261203_000022_add_avatars;
mod m20261203_000023_create_jobs_and_generations;
mod m20261204_000024_crawl_sources;
mod m20261204_000025_create_event_outbox;
mod m20261204_000026_relation_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_users::Migration),
            Box::new(m20261124_000002_create_profile_tables::Migration),
            Box::new(m20261124_000003_create_trend_tables::Migration),
            Box::new(m20261124_000004_create_content_tables::Migration),
            Box::new(m20261124_000005_create_delivery_tables::Migration),
            Box::new(m20261124_000006_create_analytics_tables::Migration),
            Box::new(m20261124_000007_create_billing_tables::Migration),
            Box::new(m20261124_000008_create_agency_clients::Migration),
            Box::new(m20261124_000009_create_system_tables::Migration),
            Box::new(m20261124_000010_create_voice_model_activation::Migration),
            Box::new(m20261124_000011_create_calculate_daily_credits::Migration),
            Box::new(m20261125_000012_create_credit_ledger::Migration),
            Box::new(m20261125_000013_create_retention::Migration),
            Box::new(m20261125_000014_add_agency_consent::Migration),
            Box::new(m20261125_000015_create_event_payloads::Migration),
            Box::new(m20261125_000016_add_latest_drafts_index::Migration),
            Box::new(m20261203_000017_keep_archived_history::Migration),
            Box::new(m20261203_000018_add_credit_buckets::Migration),
            Box::new(m20261203_000019_bind_agency_consent::Migration),
            Box::new(m20261203_000020_create_roles_audit_and_limits::Migration),
            Box::new(m20261203_000021_create_payments::Migration),
            Box::new(m20261203_000022_add_avatars::Migration),
            Box::new(m20261203_000023_create_jobs_and_generations::Migration),
            Box::new(m20261204_000024_crawl_sources::Migration),
            Box::new(m20261204_000025_create_event_outbox::Migration),
            Box::new(m20261204_000026_relation_indexes::Migration),
        ]
    }
}

/// Every table the migrations create, parents before children.
pub const TABLES: &[&str] = &[
    "users",
    "sessions",
    "refresh_tokens",
    "creator_profiles",
    "platform_connections",
    "content_sources",
    "trend_insights",
    "content_drafts",
    "voice_training_data",
    "voice_models",
    "trend_content_mapping",
    "delivery_preferences",
    "daily_deliveries",
    "creator_analytics",
    "content_performance",
    "usage_tracking",
    "subscription_billing",
    "agency_clients",
    "ai_processing_logs",
    "system_health_metrics",
    "credit_costs",
    "credit_transactions",
    "content_drafts_archive",
    "content_performance_summaries",
    "job_runs",
    "trend_content_mapping_archive",
    "user_roles",
    "audit_logs",
    "rate_limit_buckets",
    "webhook_events",
    "subscription_events",
    "client_logs",
    "jobs",
    "generations",
    "credit_reservations",
    "event_positions",
    "event_outbox",
];
