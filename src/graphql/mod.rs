//! The GraphQL schema: one builder used by the server and by the SDL export.
pub mod accounts;
pub mod agencies;
pub mod analytics;
pub mod archive;
pub mod billing;
pub mod consent;
pub mod credits;
pub mod dashboards;
pub mod delivery;
pub mod documents;
pub mod drafts;
pub mod gate;
pub mod me;
pub mod privacy;
pub mod profiles;
pub mod rules;
pub mod system;
pub mod trends;
pub mod voice;

use async_graphql::{
    Context, MergedObject, MergedSubscription, Object, Schema, SchemaBuilder, SimpleObject, ValidationMode,
};

use crate::app::AppState;
use crate::db::DatabaseKind;
use crate::table;

/// The query root, merged from one segment per domain and table.
#[derive(MergedObject, Default)]
pub struct Query(
    ServerQuery,
    accounts::AccountQuery,
    rules::RulesQuery,
    dashboards::DashboardQuery,
    credits::CreditQuery,
    credits::CreditTransactionQuery,
    privacy::PrivacyQuery,
    archive::ArchivedContentDraftQuery,
    archive::ContentPerformanceSummaryQuery,
    profiles::CreatorProfileQuery,
    profiles::PlatformConnectionQuery,
    trends::ContentSourceQuery,
    trends::TrendInsightQuery,
    trends::TrendContentMappingQuery,
    drafts::ContentDraftQuery,
    voice::VoiceTrainingSampleQuery,
    voice::VoiceModelQuery,
    delivery::DeliveryPreferenceQuery,
    delivery::DailyDeliveryQuery,
    analytics::CreatorAnalyticQuery,
    analytics::ContentPerformanceQuery,
    billing::UsageTrackingQuery,
    billing::SubscriptionBillingQuery,
    agencies::AgencyClientQuery,
    system::AiProcessingLogQuery,
    system::SystemHealthMetricQuery,
);

/// The mutation root, merged from one segment per domain and table.
#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountMutation,
    rules::RulesMutation,
    credits::CreditMutation,
    privacy::PrivacyMutation,
    consent::ConsentMutation,
    profiles::CreatorProfileMutation,
    profiles::PlatformConnectionMutation,
    trends::ContentSourceMutation,
    trends::TrendInsightMutation,
    trends::TrendContentMappingMutation,
    drafts::ContentDraftMutation,
    voice::VoiceTrainingSampleMutation,
    voice::VoiceModelMutation,
    delivery::DeliveryPreferenceMutation,
    delivery::DailyDeliveryMutation,
    analytics::CreatorAnalyticMutation,
    analytics::ContentPerformanceMutation,
    billing::UsageTrackingMutation,
    billing::SubscriptionBillingMutation,
    agencies::AgencyClientWrites,
    agencies::AgencyClientMutation,
    system::AiProcessingLogMutation,
    system::SystemHealthMetricMutation,
);

/// The subscription root: live changes of the rows the caller may read, one field per live
/// table.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    drafts::ContentDraftLive,
    trends::TrendInsightLive,
    delivery::DailyDeliveryLive,
    billing::UsageTrackingLive,
    credits::CreditTransactionLive,
    billing::SubscriptionBillingLive,
    voice::VoiceModelLive,
    analytics::CreatorAnalyticLive,
    analytics::ContentPerformanceLive,
    system::AiProcessingLogLive,
);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema without runtime data: what `creatorpulse schema` prints.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
}

/// The served schema, with the server's state and configured protections.
pub fn build_schema(state: AppState) -> AppSchema {
    build_schema_with(state, ValidationMode::Strict)
}

/// The served schema for requests that already passed every validation rule once, byte for
/// byte (see [`documents::Documents::passed_validation`]): validation depends only on the
/// document, the operation name and the variables, so their outcome is known; only the limits
/// on depth and complexity are checked again.
pub fn build_validated_schema(state: AppState) -> AppSchema {
    build_schema_with(state, ValidationMode::Fast)
}

fn build_schema_with(state: AppState, mode: ValidationMode) -> AppSchema {
    let config = &state.config;
    let mut builder = schema_builder()
        .validation_mode(mode)
        .limit_depth(config.max_query_depth)
        .limit_complexity(config.max_query_complexity)
        .limit_recursive_depth(64);
    if !config.introspection {
        builder = builder.disable_introspection();
    }
    builder.data(state).finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
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
