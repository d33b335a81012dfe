//! `me`: the caller's account and the entry to all of their data.
use async_graphql::{Context, Object};
use entity::{
    content_drafts, content_performance, content_sources, creator_analytics, creator_profiles, daily_deliveries,
    delivery_preferences, platform_connections, subscription_billing, trend_insights, usage_tracking, voice_models,
    voice_training_data,
};

use super::accounts::User;
use super::analytics::*;
use super::billing::*;
use super::crud::{self, Page, PageArgs};
use super::delivery::*;
use super::drafts::*;
use super::profiles::*;
use super::trends::*;
use super::voice::*;
use crate::auth::policy;
use crate::error::AppError;

/// The signed-in user and everything they own. Every list is theirs alone: an agency reaches
/// its clients' rows through the relationship (`agencyClient { clientDrafts }`) or the
/// top-level lists, never here.
pub struct Me(pub User);

#[Object]
impl Me {
    /// The caller's account.
    async fn user(&self) -> &User {
        &self.0
    }

    /// The caller's creator profile.
    async fn profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CreatorProfile>> {
        own_one::<creator_profiles::Entity, CreatorProfile>(ctx).await
    }

    /// The caller's delivery preferences.
    async fn delivery_preference(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DeliveryPreference>> {
        own_one::<delivery_preferences::Entity, DeliveryPreference>(ctx).await
    }

    /// The caller's subscription, credit balance and allowance.
    async fn subscription(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SubscriptionBilling>> {
        own_one::<subscription_billing::Entity, SubscriptionBilling>(ctx).await
    }

    /// The caller's platform connections.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn platform_connections(
        &self,
        ctx: &Context<'_>,
        filter: Option<PlatformConnectionFilter>,
        order_by: Option<Vec<PlatformConnectionOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<PlatformConnection>> {
        crud::list_own::<platform_connections::Entity, PlatformConnection, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's content sources.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn content_sources(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentSourceFilter>,
        order_by: Option<Vec<ContentSourceOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentSource>> {
        crud::list_own::<content_sources::Entity, ContentSource, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's trend insights.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn trend_insights(
        &self,
        ctx: &Context<'_>,
        filter: Option<TrendInsightFilter>,
        order_by: Option<Vec<TrendInsightOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<TrendInsight>> {
        crud::list_own::<trend_insights::Entity, TrendInsight, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's own content drafts (an agency's clients' drafts are not among them).
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn content_drafts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentDraftFilter>,
        order_by: Option<Vec<ContentDraftOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentDraft>> {
        crud::list_own::<content_drafts::Entity, ContentDraft, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's voice training samples.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn voice_training_samples(
        &self,
        ctx: &Context<'_>,
        filter: Option<VoiceTrainingSampleFilter>,
        order_by: Option<Vec<VoiceTrainingSampleOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<VoiceTrainingSample>> {
        crud::list_own::<voice_training_data::Entity, VoiceTrainingSample, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's voice models.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn voice_models(
        &self,
        ctx: &Context<'_>,
        filter: Option<VoiceModelFilter>,
        order_by: Option<Vec<VoiceModelOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<VoiceModel>> {
        crud::list_own::<voice_models::Entity, VoiceModel, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's daily deliveries.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn daily_deliveries(
        &self,
        ctx: &Context<'_>,
        filter: Option<DailyDeliveryFilter>,
        order_by: Option<Vec<DailyDeliveryOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<DailyDelivery>> {
        crud::list_own::<daily_deliveries::Entity, DailyDelivery, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's own creator analytics (an agency's clients' are not among them).
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn creator_analytics(
        &self,
        ctx: &Context<'_>,
        filter: Option<CreatorAnalyticFilter>,
        order_by: Option<Vec<CreatorAnalyticOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<CreatorAnalytic>> {
        crud::list_own::<creator_analytics::Entity, CreatorAnalytic, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's own content performances (an agency's clients' are not among them).
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn content_performances(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentPerformanceFilter>,
        order_by: Option<Vec<ContentPerformanceOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentPerformance>> {
        crud::list_own::<content_performance::Entity, ContentPerformance, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's usage trackings.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn usage_trackings(
        &self,
        ctx: &Context<'_>,
        filter: Option<UsageTrackingFilter>,
        order_by: Option<Vec<UsageTrackingOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<UsageTracking>> {
        crud::list_own::<usage_tracking::Entity, UsageTracking, _, _>(
            ctx,
            filter,
            order_by,
            PageArgs { first, after, last, before },
        )
        .await
    }

    /// The caller's credit ledger.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn credit_transactions(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::credits::CreditTransactionFilter>,
        order_by: Option<Vec<super::credits::CreditTransactionOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<super::credits::CreditTransaction>> {
        let args = PageArgs { first, after, last, before };
        crud::list_own::<entity::credit_transactions::Entity, super::credits::CreditTransaction, _, _>(
            ctx, filter, order_by, args,
        )
        .await
    }
}

/// The caller's one row of a one-per-user table.
async fn own_one<E, W>(ctx: &Context<'_>) -> async_graphql::Result<Option<W>>
where
    E: policy::Guarded,
    W: From<E::Model>,
{
    let row = policy::own::<E>(crud::viewer(ctx)?)?.one(crud::db(ctx)?).await.map_err(AppError::from)?;
    Ok(row.map(W::from))
}
