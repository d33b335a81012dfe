//! Delivery: when and how drafts reach the creator, and each day's delivery.
use async_graphql::{Context, Object};
use entity::table::check::json_ids;
use entity::{content_drafts, daily_deliveries, delivery_preferences, trend_insights};

use crate::content::drafts::ContentDraft;
use crate::content::trends::TrendInsight;
use crate::table::loaders;

/// How and when drafts are delivered (seed 5.1); one per user.
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "delivery_preferences", fetch, list, create, update, delete)]
pub struct DeliveryPreference {
    #[graphql(flatten)]
    pub row: delivery_preferences::Model,
}

/// Daily draft deliveries (seed 5.2); one per user and day.
#[derive(Clone, macros::Resource)]
#[resource(table = "daily_deliveries", fetch, list, create, update, delete, me, live)]
pub struct DailyDelivery(pub daily_deliveries::Model);

#[Object]
impl DailyDelivery {
    #[graphql(flatten)]
    async fn columns(&self) -> &daily_deliveries::Model {
        &self.0
    }

    /// The delivered drafts the caller may read, in delivery order.
    async fn content_drafts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ContentDraft>> {
        let ids = self.0.content_draft_ids.as_ref().and_then(|ids| json_ids("contentDraftIds", ids).ok());
        loaders::many::<content_drafts::Entity, ContentDraft>(ctx, ids.unwrap_or_default()).await
    }

    /// The delivered trends the caller may read, in delivery order.
    async fn trend_insights(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TrendInsight>> {
        let ids = self.0.trend_insight_ids.as_ref().and_then(|ids| json_ids("trendInsightIds", ids).ok());
        loaders::many::<trend_insights::Entity, TrendInsight>(ctx, ids.unwrap_or_default()).await
    }
}
