//! GraphQL for `delivery_preferences`, `daily_deliveries`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use entity::{content_drafts, daily_deliveries, delivery_preferences, trend_insights};
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page};
use crate::auth::policy;
use crate::error::AppResult;

/// A new delivery preference.
#[derive(InputObject)]
pub struct CreateDeliveryPreferenceInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// `delivery_time`.
    pub delivery_time: Option<NaiveTime>,
    /// `delivery_days`.
    pub delivery_days: Option<Json>,
    /// `email_enabled`.
    pub email_enabled: Option<bool>,
    /// `whatsapp_enabled`.
    pub whatsapp_enabled: Option<bool>,
    /// `whatsapp_number`.
    pub whatsapp_number: Option<String>,
    /// `push_notifications_enabled`.
    pub push_notifications_enabled: Option<bool>,
    /// `content_formats`.
    pub content_formats: Option<Json>,
    /// `platforms`.
    pub platforms: Option<Json>,
    /// `trend_alerts_enabled`.
    pub trend_alerts_enabled: Option<bool>,
    /// `max_drafts_per_delivery`.
    pub max_drafts_per_delivery: Option<i32>,
}

/// Changes to a delivery preference: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateDeliveryPreferenceInput {
    /// `delivery_time`.
    pub delivery_time: MaybeUndefined<NaiveTime>,
    /// `delivery_days`.
    pub delivery_days: MaybeUndefined<Json>,
    /// `email_enabled`.
    pub email_enabled: MaybeUndefined<bool>,
    /// `whatsapp_enabled`.
    pub whatsapp_enabled: MaybeUndefined<bool>,
    /// `whatsapp_number`.
    pub whatsapp_number: MaybeUndefined<String>,
    /// `push_notifications_enabled`.
    pub push_notifications_enabled: MaybeUndefined<bool>,
    /// `content_formats`.
    pub content_formats: MaybeUndefined<Json>,
    /// `platforms`.
    pub platforms: MaybeUndefined<Json>,
    /// `trend_alerts_enabled`.
    pub trend_alerts_enabled: MaybeUndefined<bool>,
    /// `max_drafts_per_delivery`.
    pub max_drafts_per_delivery: MaybeUndefined<i32>,
}

impl CreateDeliveryPreferenceInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.delivery_days {
            check::json_array("deliveryDays", v)?;
        }
        if let Some(v) = &self.content_formats {
            check::json_array("contentFormats", v)?;
        }
        if let Some(v) = &self.platforms {
            check::json_array("platforms", v)?;
        }
        if let Some(v) = &self.max_drafts_per_delivery {
            check::range_i64("maxDraftsPerDelivery", *v, 1, 100)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<delivery_preferences::ActiveModel> {
        Ok(delivery_preferences::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            delivery_time: self.delivery_time.map_or(NotSet, |v| Set(Some(v))),
            delivery_days: self.delivery_days.map_or(NotSet, |v| Set(Some(v))),
            email_enabled: self.email_enabled.map_or(NotSet, |v| Set(Some(v))),
            whatsapp_enabled: self.whatsapp_enabled.map_or(NotSet, |v| Set(Some(v))),
            whatsapp_number: self.whatsapp_number.map_or(NotSet, |v| Set(Some(v))),
            push_notifications_enabled: self.push_notifications_enabled.map_or(NotSet, |v| Set(Some(v))),
            content_formats: self.content_formats.map_or(NotSet, |v| Set(Some(v))),
            platforms: self.platforms.map_or(NotSet, |v| Set(Some(v))),
            trend_alerts_enabled: self.trend_alerts_enabled.map_or(NotSet, |v| Set(Some(v))),
            max_drafts_per_delivery: self.max_drafts_per_delivery.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateDeliveryPreferenceInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = self.delivery_days.value() {
            check::json_array("deliveryDays", v)?;
        }
        if let Some(v) = self.content_formats.value() {
            check::json_array("contentFormats", v)?;
        }
        if let Some(v) = self.platforms.value() {
            check::json_array("platforms", v)?;
        }
        if let Some(v) = self.max_drafts_per_delivery.value() {
            check::range_i64("maxDraftsPerDelivery", *v, 1, 100)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut delivery_preferences::ActiveModel) -> AppResult<()> {
        crud::patch(&mut row.delivery_time, self.delivery_time);
        crud::patch(&mut row.delivery_days, self.delivery_days);
        crud::patch(&mut row.email_enabled, self.email_enabled);
        crud::patch(&mut row.whatsapp_enabled, self.whatsapp_enabled);
        crud::patch(&mut row.whatsapp_number, self.whatsapp_number);
        crud::patch(&mut row.push_notifications_enabled, self.push_notifications_enabled);
        crud::patch(&mut row.content_formats, self.content_formats);
        crud::patch(&mut row.platforms, self.platforms);
        crud::patch(&mut row.trend_alerts_enabled, self.trend_alerts_enabled);
        crud::patch(&mut row.max_drafts_per_delivery, self.max_drafts_per_delivery);
        Ok(())
    }
}

#[derive(Default)]
pub struct DeliveryPreferenceQuery;

#[Object]
impl DeliveryPreferenceQuery {
    /// One delivery preference by id; `NOT_FOUND` unless the caller may read it.
    async fn delivery_preference(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<delivery_preferences::Model> {
        Ok(crud::get::<delivery_preferences::Entity>(ctx, id).await?)
    }

    /// The delivery preferences the caller may read, a page at a time.
    async fn delivery_preferences(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<delivery_preferences::Model>> {
        crud::list::<delivery_preferences::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct DeliveryPreferenceMutation;

#[Object]
impl DeliveryPreferenceMutation {
    /// Creates a delivery preference.
    async fn create_delivery_preference(
        &self,
        ctx: &Context<'_>,
        input: CreateDeliveryPreferenceInput,
    ) -> async_graphql::Result<delivery_preferences::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<delivery_preferences::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<delivery_preferences::Entity>(ctx, row).await?)
    }

    /// Changes a delivery preference; `NOT_FOUND` unless the caller may change it.
    async fn update_delivery_preference(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateDeliveryPreferenceInput,
    ) -> async_graphql::Result<delivery_preferences::Model> {
        input.validate()?;
        Ok(crud::update::<delivery_preferences::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a delivery preference; `NOT_FOUND` unless the caller may delete it.
    async fn delete_delivery_preference(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<delivery_preferences::Entity>(ctx, id).await?)
    }
}

/// A new daily delivery.
#[derive(InputObject)]
pub struct CreateDailyDeliveryInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub user_id: Option<Uuid>,
    /// `delivery_date`.
    pub delivery_date: NaiveDate,
    /// One of: `pending`, `delivered`, `failed`, `skipped`.
    pub delivery_status: Option<String>,
    /// `content_draft_ids`.
    pub content_draft_ids: Option<Json>,
    /// `trend_insight_ids`.
    pub trend_insight_ids: Option<Json>,
    /// One of: `email`, `whatsapp`, `push`.
    pub delivery_channel: Option<String>,
    /// `delivered_at`.
    pub delivered_at: Option<DateTime<Utc>>,
    /// `opened_at`.
    pub opened_at: Option<DateTime<Utc>>,
    /// `error_message`.
    pub error_message: Option<String>,
}

/// Changes to a daily delivery: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateDailyDeliveryInput {
    /// `delivery_date`.
    pub delivery_date: Option<NaiveDate>,
    /// One of: `pending`, `delivered`, `failed`, `skipped`.
    pub delivery_status: MaybeUndefined<String>,
    /// `content_draft_ids`.
    pub content_draft_ids: MaybeUndefined<Json>,
    /// `trend_insight_ids`.
    pub trend_insight_ids: MaybeUndefined<Json>,
    /// One of: `email`, `whatsapp`, `push`.
    pub delivery_channel: MaybeUndefined<String>,
    /// `delivered_at`.
    pub delivered_at: MaybeUndefined<DateTime<Utc>>,
    /// `opened_at`.
    pub opened_at: MaybeUndefined<DateTime<Utc>>,
    /// `error_message`.
    pub error_message: MaybeUndefined<String>,
}

impl CreateDailyDeliveryInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.delivery_status {
            check::one_of("deliveryStatus", v, &["pending", "delivered", "failed", "skipped"])?;
        }
        if let Some(v) = &self.content_draft_ids {
            check::json_ids("contentDraftIds", v)?;
        }
        if let Some(v) = &self.trend_insight_ids {
            check::json_ids("trendInsightIds", v)?;
        }
        if let Some(v) = &self.delivery_channel {
            check::one_of("deliveryChannel", v, &["email", "whatsapp", "push"])?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<daily_deliveries::ActiveModel> {
        Ok(daily_deliveries::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            delivery_date: Set(self.delivery_date),
            delivery_status: self.delivery_status.map_or(NotSet, |v| Set(Some(v))),
            content_draft_ids: self.content_draft_ids.map_or(NotSet, |v| Set(Some(v))),
            trend_insight_ids: self.trend_insight_ids.map_or(NotSet, |v| Set(Some(v))),
            delivery_channel: self.delivery_channel.map_or(NotSet, |v| Set(Some(v))),
            delivered_at: self.delivered_at.map_or(NotSet, |v| Set(Some(v))),
            opened_at: self.opened_at.map_or(NotSet, |v| Set(Some(v))),
            error_message: self.error_message.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateDailyDeliveryInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = self.delivery_status.value() {
            check::one_of("deliveryStatus", v, &["pending", "delivered", "failed", "skipped"])?;
        }
        if let Some(v) = self.content_draft_ids.value() {
            check::json_ids("contentDraftIds", v)?;
        }
        if let Some(v) = self.trend_insight_ids.value() {
            check::json_ids("trendInsightIds", v)?;
        }
        if let Some(v) = self.delivery_channel.value() {
            check::one_of("deliveryChannel", v, &["email", "whatsapp", "push"])?;
        }
        Ok(())
    }

    fn apply(self, row: &mut daily_deliveries::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.delivery_date, self.delivery_date);
        crud::patch(&mut row.delivery_status, self.delivery_status);
        crud::patch(&mut row.content_draft_ids, self.content_draft_ids);
        crud::patch(&mut row.trend_insight_ids, self.trend_insight_ids);
        crud::patch(&mut row.delivery_channel, self.delivery_channel);
        crud::patch(&mut row.delivered_at, self.delivered_at);
        crud::patch(&mut row.opened_at, self.opened_at);
        crud::patch(&mut row.error_message, self.error_message);
        Ok(())
    }
}

#[derive(Default)]
pub struct DailyDeliveryQuery;

#[Object]
impl DailyDeliveryQuery {
    /// One daily delivery by id; `NOT_FOUND` unless the caller may read it.
    async fn daily_delivery(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<daily_deliveries::Model> {
        Ok(crud::get::<daily_deliveries::Entity>(ctx, id).await?)
    }

    /// The daily deliveries the caller may read, a page at a time.
    async fn daily_deliveries(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<daily_deliveries::Model>> {
        crud::list::<daily_deliveries::Entity>(ctx, after, first).await
    }
}

#[derive(Default)]
pub struct DailyDeliveryMutation;

#[Object]
impl DailyDeliveryMutation {
    /// Creates a daily delivery.
    async fn create_daily_delivery(
        &self,
        ctx: &Context<'_>,
        input: CreateDailyDeliveryInput,
    ) -> async_graphql::Result<daily_deliveries::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<daily_deliveries::Entity>(crud::viewer(ctx)?, input.user_id)?,
            "userId",
        )?;
        if let Some(ids) = &input.content_draft_ids {
            crud::ensure_references::<content_drafts::Entity>(ctx, "contentDraftIds", ids, owner).await?;
        }
        if let Some(ids) = &input.trend_insight_ids {
            crud::ensure_references::<trend_insights::Entity>(ctx, "trendInsightIds", ids, owner).await?;
        }
        let row = input.into_row(owner)?;
        Ok(crud::create::<daily_deliveries::Entity>(ctx, row).await?)
    }

    /// Changes a daily delivery; `NOT_FOUND` unless the caller may change it.
    async fn update_daily_delivery(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateDailyDeliveryInput,
    ) -> async_graphql::Result<daily_deliveries::Model> {
        input.validate()?;
        let owner = crud::owner_for_update::<daily_deliveries::Entity>(ctx, id, |row| row.user_id).await?;
        if let Some(ids) = input.content_draft_ids.value() {
            crud::ensure_references::<content_drafts::Entity>(ctx, "contentDraftIds", ids, owner).await?;
        }
        if let Some(ids) = input.trend_insight_ids.value() {
            crud::ensure_references::<trend_insights::Entity>(ctx, "trendInsightIds", ids, owner).await?;
        }
        Ok(crud::update::<daily_deliveries::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a daily delivery; `NOT_FOUND` unless the caller may delete it.
    async fn delete_daily_delivery(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<daily_deliveries::Entity>(ctx, id).await?)
    }
}
