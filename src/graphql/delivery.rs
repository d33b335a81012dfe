//! GraphQL for `delivery_preferences`, `daily_deliveries`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use entity::{content_drafts, daily_deliveries, delivery_preferences, trend_insights};
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page, PageArgs};
use super::drafts::ContentDraft;
use super::filter::{table_filter, table_order};
use super::loaders;
use super::trends::TrendInsight;
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

/// How and when drafts are delivered (seed 5.1); one per user.
#[derive(Clone)]
pub struct DeliveryPreference(pub delivery_preferences::Model);

impl From<delivery_preferences::Model> for DeliveryPreference {
    fn from(row: delivery_preferences::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl DeliveryPreference {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `delivery_time`.
    async fn delivery_time(&self) -> Option<NaiveTime> {
        self.0.delivery_time
    }

    /// `delivery_days`.
    async fn delivery_days(&self) -> Option<&Json> {
        self.0.delivery_days.as_ref()
    }

    /// `email_enabled`.
    async fn email_enabled(&self) -> Option<bool> {
        self.0.email_enabled
    }

    /// `whatsapp_enabled`.
    async fn whatsapp_enabled(&self) -> Option<bool> {
        self.0.whatsapp_enabled
    }

    /// `whatsapp_number`.
    async fn whatsapp_number(&self) -> Option<&str> {
        self.0.whatsapp_number.as_deref()
    }

    /// `push_notifications_enabled`.
    async fn push_notifications_enabled(&self) -> Option<bool> {
        self.0.push_notifications_enabled
    }

    /// `content_formats`.
    async fn content_formats(&self) -> Option<&Json> {
        self.0.content_formats.as_ref()
    }

    /// `platforms`.
    async fn platforms(&self) -> Option<&Json> {
        self.0.platforms.as_ref()
    }

    /// `trend_alerts_enabled`.
    async fn trend_alerts_enabled(&self) -> Option<bool> {
        self.0.trend_alerts_enabled
    }

    /// `max_drafts_per_delivery`.
    async fn max_drafts_per_delivery(&self) -> Option<i32> {
        self.0.max_drafts_per_delivery
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// When the row last changed (kept by the database).
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

table_filter! {
    /// Conditions on delivery preferences; fields combine with AND.
    DeliveryPreferenceFilter for delivery_preferences {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        delivery_time ("deliveryTime"): TimeFilter => DeliveryTime,
        delivery_days ("deliveryDays"): JsonFilter => DeliveryDays,
        email_enabled ("emailEnabled"): BooleanFilter => EmailEnabled,
        whatsapp_enabled ("whatsappEnabled"): BooleanFilter => WhatsappEnabled,
        whatsapp_number ("whatsappNumber"): StringFilter => WhatsappNumber,
        push_notifications_enabled ("pushNotificationsEnabled"): BooleanFilter => PushNotificationsEnabled,
        content_formats ("contentFormats"): JsonFilter => ContentFormats,
        platforms ("platforms"): JsonFilter => Platforms,
        trend_alerts_enabled ("trendAlertsEnabled"): BooleanFilter => TrendAlertsEnabled,
        max_drafts_per_delivery ("maxDraftsPerDelivery"): IntFilter => MaxDraftsPerDelivery,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        updated_at ("updatedAt"): DateTimeFilter => UpdatedAt,
    }
}

table_order! {
    /// One sort key of delivery preferences; ties are broken by id.
    DeliveryPreferenceOrder, DeliveryPreferenceOrderField for delivery_preferences {
        Id, UserId, DeliveryTime, EmailEnabled, WhatsappEnabled, WhatsappNumber, PushNotificationsEnabled, TrendAlertsEnabled, MaxDraftsPerDelivery, CreatedAt, UpdatedAt,
    }
}

#[derive(Default)]
pub struct DeliveryPreferenceQuery;

#[Object]
impl DeliveryPreferenceQuery {
    /// One delivery preference by id; `NOT_FOUND` unless the caller may read it.
    async fn delivery_preference(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<DeliveryPreference> {
        Ok(crud::get::<delivery_preferences::Entity>(ctx, id).await?.into())
    }

    /// The delivery preferences the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn delivery_preferences(
        &self,
        ctx: &Context<'_>,
        filter: Option<DeliveryPreferenceFilter>,
        order_by: Option<Vec<DeliveryPreferenceOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<DeliveryPreference>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<delivery_preferences::Entity, DeliveryPreference, _, _>(ctx, filter, order_by, args).await
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
    ) -> async_graphql::Result<DeliveryPreference> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<delivery_preferences::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<delivery_preferences::Entity>(ctx, row).await?.into())
    }

    /// Changes a delivery preference; `NOT_FOUND` unless the caller may change it.
    async fn update_delivery_preference(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateDeliveryPreferenceInput,
    ) -> async_graphql::Result<DeliveryPreference> {
        input.validate()?;
        Ok(crud::update::<delivery_preferences::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a delivery preference; `NOT_FOUND` unless the caller may delete it.
    async fn delete_delivery_preference(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<delivery_preferences::Entity>(ctx, id).await?)
    }
}

/// A new daily delivery.
#[derive(InputObject)]
pub struct CreateDailyDeliveryInput {
    /// The user the row belongs to (only the service role creates these rows, and must name the user).
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

/// Daily draft deliveries (seed 5.2); one per user and day.
#[derive(Clone)]
pub struct DailyDelivery(pub daily_deliveries::Model);

impl From<daily_deliveries::Model> for DailyDelivery {
    fn from(row: daily_deliveries::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl DailyDelivery {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `delivery_date`.
    async fn delivery_date(&self) -> NaiveDate {
        self.0.delivery_date
    }

    /// One of: `pending`, `delivered`, `failed`, `skipped`.
    async fn delivery_status(&self) -> Option<&str> {
        self.0.delivery_status.as_deref()
    }

    /// `content_draft_ids`.
    async fn content_draft_ids(&self) -> Option<&Json> {
        self.0.content_draft_ids.as_ref()
    }

    /// `trend_insight_ids`.
    async fn trend_insight_ids(&self) -> Option<&Json> {
        self.0.trend_insight_ids.as_ref()
    }

    /// One of: `email`, `whatsapp`, `push`.
    async fn delivery_channel(&self) -> Option<&str> {
        self.0.delivery_channel.as_deref()
    }

    /// `delivered_at`.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }

    /// `opened_at`.
    async fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.0.opened_at
    }

    /// `error_message`.
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// The delivered drafts the caller may read, in delivery order.
    async fn content_drafts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ContentDraft>> {
        let ids = self
            .0
            .content_draft_ids
            .as_ref()
            .and_then(|ids| check::json_ids("content_draft_ids", ids).ok())
            .unwrap_or_default();
        loaders::many::<content_drafts::Entity, ContentDraft>(ctx, ids).await
    }

    /// The delivered trends the caller may read, in delivery order.
    async fn trend_insights(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TrendInsight>> {
        let ids = self
            .0
            .trend_insight_ids
            .as_ref()
            .and_then(|ids| check::json_ids("trend_insight_ids", ids).ok())
            .unwrap_or_default();
        loaders::many::<trend_insights::Entity, TrendInsight>(ctx, ids).await
    }
}

table_filter! {
    /// Conditions on daily deliveries; fields combine with AND.
    DailyDeliveryFilter for daily_deliveries {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        delivery_date ("deliveryDate"): DateFilter => DeliveryDate,
        delivery_status ("deliveryStatus"): StringFilter => DeliveryStatus,
        content_draft_ids ("contentDraftIds"): JsonFilter => ContentDraftIds,
        trend_insight_ids ("trendInsightIds"): JsonFilter => TrendInsightIds,
        delivery_channel ("deliveryChannel"): StringFilter => DeliveryChannel,
        delivered_at ("deliveredAt"): DateTimeFilter => DeliveredAt,
        opened_at ("openedAt"): DateTimeFilter => OpenedAt,
        error_message ("errorMessage"): StringFilter => ErrorMessage,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
    }
}

table_order! {
    /// One sort key of daily deliveries; ties are broken by id.
    DailyDeliveryOrder, DailyDeliveryOrderField for daily_deliveries {
        Id, UserId, DeliveryDate, DeliveryStatus, DeliveryChannel, DeliveredAt, OpenedAt, ErrorMessage, CreatedAt,
    }
}

#[derive(Default)]
pub struct DailyDeliveryQuery;

#[Object]
impl DailyDeliveryQuery {
    /// One daily delivery by id; `NOT_FOUND` unless the caller may read it.
    async fn daily_delivery(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<DailyDelivery> {
        Ok(crud::get::<daily_deliveries::Entity>(ctx, id).await?.into())
    }

    /// The daily deliveries the caller may read, a page at a time.
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
        let args = PageArgs { first, after, last, before };
        crud::list::<daily_deliveries::Entity, DailyDelivery, _, _>(ctx, filter, order_by, args).await
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
    ) -> async_graphql::Result<DailyDelivery> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<daily_deliveries::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        if let Some(ids) = &input.content_draft_ids {
            crud::ensure_references::<content_drafts::Entity>(ctx, "contentDraftIds", ids, owner).await?;
        }
        if let Some(ids) = &input.trend_insight_ids {
            crud::ensure_references::<trend_insights::Entity>(ctx, "trendInsightIds", ids, owner).await?;
        }
        let row = input.into_row(owner)?;
        Ok(crud::create::<daily_deliveries::Entity>(ctx, row).await?.into())
    }

    /// Changes a daily delivery; `NOT_FOUND` unless the caller may change it.
    async fn update_daily_delivery(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateDailyDeliveryInput,
    ) -> async_graphql::Result<DailyDelivery> {
        input.validate()?;
        let owner = crud::owner_for_update::<daily_deliveries::Entity>(ctx, id, |row| row.user_id).await?;
        if let Some(ids) = input.content_draft_ids.value() {
            crud::ensure_references::<content_drafts::Entity>(ctx, "contentDraftIds", ids, owner).await?;
        }
        if let Some(ids) = input.trend_insight_ids.value() {
            crud::ensure_references::<trend_insights::Entity>(ctx, "trendInsightIds", ids, owner).await?;
        }
        Ok(crud::update::<daily_deliveries::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a daily delivery; `NOT_FOUND` unless the caller may delete it.
    async fn delete_daily_delivery(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<daily_deliveries::Entity>(ctx, id).await?)
    }
}
