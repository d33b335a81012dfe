//! Delivery: when and how drafts reach the creator, and each day's delivery: made at the
//! creator's local time ([`schedule`]) and sent as a job ([`send`]).
pub mod schedule;
pub mod send;

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

/// A delivery was opened (the first time counts): `opened_at` is set unless it is set already.
/// `true` when this call set it.
pub async fn mark_opened(state: &crate::state::AppState, id: uuid::Uuid) -> crate::error::AppResult<bool> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let txn = crate::db::write_txn(&state.db).await?;
    let done = daily_deliveries::Entity::update_many()
        .col_expr(daily_deliveries::Column::OpenedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
        .filter(daily_deliveries::Column::Id.eq(id))
        .filter(daily_deliveries::Column::OpenedAt.is_null())
        .exec(&txn)
        .await?;
    let opened = done.rows_affected == 1;
    let ids = if opened { vec![id] } else { Vec::new() };
    let updated = crate::events::ChangeKind::Updated;
    crate::events::outbox::commit_rows::<daily_deliveries::Entity>(txn, state.events.as_ref(), updated, ids).await?;
    Ok(opened)
}

/// The signed "opened" link of a delivery email was followed (or its image loaded).
pub async fn opened_by_link(state: &crate::state::AppState, token: &str) -> crate::error::AppResult<()> {
    if let Some(id) = state.links.verify(send::OPENED, token) {
        mark_opened(state, id).await?;
    }
    Ok(())
}

/// The signed unsubscribe link of a delivery email was followed: no more email for its user.
pub async fn unsubscribe_by_link(state: &crate::state::AppState, token: &str) -> crate::error::AppResult<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if let Some(user) = state.links.verify(send::UNSUBSCRIBE, token) {
        delivery_preferences::Entity::update_many()
            .col_expr(delivery_preferences::Column::EmailEnabled, sea_orm::sea_query::Expr::value(false))
            .filter(delivery_preferences::Column::UserId.eq(user))
            .exec(&state.db)
            .await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct DeliveryOpenedMutation;

#[Object]
impl DeliveryOpenedMutation {
    /// Records that the caller opened their delivery (the first time counts; later calls leave
    /// `openedAt` as it is). Another user's delivery is `NOT_FOUND`.
    async fn mark_delivery_opened(&self, ctx: &Context<'_>, id: uuid::Uuid) -> async_graphql::Result<DailyDelivery> {
        let row = crate::table::fetch::<daily_deliveries::Entity>(ctx, id).await?;
        // Only its recipient opens it (an agency may read a client's deliveries, not open them).
        if let crate::auth::Viewer::User { id: me, .. } = crate::table::viewer(ctx)?
            && *me != row.user_id
        {
            return Err(crate::error::AppError::Forbidden.into());
        }
        mark_opened(crate::table::state(ctx)?, row.id).await?;
        Ok(crate::table::fetch::<daily_deliveries::Entity>(ctx, id).await?.into())
    }
}
