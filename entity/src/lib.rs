//! SeaORM entities: one module per table of the CreatorPulse schema.
pub mod prelude;

pub mod agency_clients;
pub mod ai_processing_logs;
pub mod content_drafts;
pub mod content_drafts_archive;
pub mod content_performance;
pub mod content_performance_summaries;
pub mod content_sources;
pub mod creator_analytics;
pub mod creator_profiles;
pub mod credit_costs;
pub mod credit_transactions;
pub mod daily_deliveries;
pub mod delivery_preferences;
pub mod platform_connections;
pub mod refresh_tokens;
pub mod sessions;
pub mod subscription_billing;
pub mod system_health_metrics;
pub mod trend_content_mapping;
pub mod trend_content_mapping_archive;
pub mod trend_insights;
pub mod usage_tracking;
pub mod users;
pub mod voice_models;
pub mod voice_training_data;
