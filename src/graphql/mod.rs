//! The GraphQL schema: the roots merged from every domain's segments, and the one builder
//! used by the server and by the SDL export. `documents` and `gate` are what every request
//! passes before it runs, on either transport.
pub mod documents;
pub mod gate;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder, ValidationMode};

use crate::state::AppState;
use crate::{accounts, agencies, analytics, audit, billing, content, delivery, generation, profiles, system, voice};

/// The query root, merged from one segment per domain and table.
#[derive(MergedObject, Default)]
pub struct Query(
    system::ServerQuery,
    accounts::AccountQuery,
    billing::usage::DailyCreditsQuery,
    analytics::dashboards::DashboardQuery,
    billing::credits::CreditQuery,
    billing::credits::CreditTransactionQuery,
    accounts::privacy::PrivacyQuery,
    content::archive::ArchivedContentDraftQuery,
    content::archive::ContentPerformanceSummaryQuery,
    profiles::CreatorProfileQuery,
    profiles::PlatformConnectionQuery,
    content::trends::ContentSourceQuery,
    content::trends::TrendInsightQuery,
    content::trends::TrendContentMappingQuery,
    content::drafts::ContentDraftQuery,
    voice::VoiceTrainingSampleQuery,
    voice::VoiceModelQuery,
    delivery::DeliveryPreferenceQuery,
    delivery::DailyDeliveryQuery,
    analytics::CreatorAnalyticQuery,
    content::performance::ContentPerformanceQuery,
    billing::UsageTrackingQuery,
    billing::SubscriptionBillingQuery,
    agencies::AgencyClientQuery,
    system::AiProcessingLogQuery,
    system::SystemHealthMetricQuery,
    accounts::roles::UserRoleQuery,
    audit::AuditLogQuery,
    system::RateLimitQuery,
    system::ClientLogQuery,
    billing::lifecycle::SubscriptionEventQuery,
    billing::lifecycle::WebhookEventQuery,
    generation::GenerationQuery,
);

/// The mutation root, merged from one segment per domain and table.
#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountMutation,
    voice::VoiceModelActivation,
    billing::credits::CreditMutation,
    accounts::privacy::PrivacyMutation,
    agencies::consent::ConsentMutation,
    profiles::CreatorProfileMutation,
    profiles::avatars::AvatarMutation,
    profiles::PlatformConnectionMutation,
    content::trends::ContentSourceMutation,
    content::trends::TrendInsightMutation,
    content::trends::TrendContentMappingMutation,
    content::drafts::ContentDraftMutation,
    voice::VoiceTrainingSampleMutation,
    voice::VoiceModelMutation,
    delivery::DeliveryPreferenceMutation,
    delivery::DailyDeliveryMutation,
    analytics::CreatorAnalyticMutation,
    content::performance::ContentPerformanceMutation,
    billing::UsageTrackingMutation,
    billing::SubscriptionBillingMutation,
    agencies::AgencyClientWrites,
    agencies::AgencyClientMutation,
    system::AiProcessingLogMutation,
    system::SystemHealthMetricMutation,
    accounts::roles::RoleMutation,
    system::ClientLogMutation,
    billing::lifecycle::WebhookMutation,
    generation::GenerationMutation,
    voice::VoiceTrainingMutation,
    delivery::DeliveryOpenedMutation,
);

/// The subscription root: live changes of the rows the caller may read, one field per live
/// table.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    content::drafts::ContentDraftLive,
    content::trends::TrendInsightLive,
    delivery::DailyDeliveryLive,
    billing::UsageTrackingLive,
    billing::credits::CreditTransactionLive,
    billing::SubscriptionBillingLive,
    voice::VoiceModelLive,
    analytics::CreatorAnalyticLive,
    content::performance::ContentPerformanceLive,
    system::AiProcessingLogLive,
    billing::lifecycle::SubscriptionEventLive,
    generation::GenerationLive,
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
    if crate::telemetry::traces::enabled() {
        let threshold = std::time::Duration::from_millis(config.trace_slow_field_ms);
        builder = builder.extension(crate::telemetry::traces::SlowFields(threshold));
    }
    builder.data(state).data(relations()).finish()
}

/// The relations whose children a page fetches with its rows where the database allows.
fn relations() -> crate::table::nested::Relations {
    let relations = crate::table::nested::Relations::default();
    content::drafts::relations(content::trends::relations(relations))
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
