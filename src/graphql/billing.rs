//! GraphQL for `usage_tracking`, `subscription_billing`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{subscription_billing, usage_tracking};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page, PageArgs};
use super::filter::{table_filter, table_order};
use crate::auth::policy;
use crate::error::AppResult;

/// The subscription tiers (`subscription_billing.tier`, shown on the profile).
pub const TIERS: &[&str] = &["free", "creator", "agency", "enterprise"];

/// A new usage tracking.
#[derive(InputObject)]
pub struct CreateUsageTrackingInput {
    /// The user the row belongs to (only the service role creates these rows, and must name the user).
    pub user_id: Option<Uuid>,
    /// `usage_date`.
    pub usage_date: NaiveDate,
    /// One of: `draft_generated`, `draft_accepted`, `draft_rejected`, `trend_analyzed`, `voice_training`.
    pub action_type: String,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: Option<String>,
    /// `credits_consumed`.
    pub credits_consumed: Option<Decimal>,
    /// `metadata`.
    pub metadata: Option<Json>,
}

/// Changes to a usage tracking: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateUsageTrackingInput {
    /// `usage_date`.
    pub usage_date: Option<NaiveDate>,
    /// One of: `draft_generated`, `draft_accepted`, `draft_rejected`, `trend_analyzed`, `voice_training`.
    pub action_type: Option<String>,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: MaybeUndefined<String>,
    /// `credits_consumed`.
    pub credits_consumed: MaybeUndefined<Decimal>,
    /// `metadata`.
    pub metadata: MaybeUndefined<Json>,
}

impl CreateUsageTrackingInput {
    fn validate(&self) -> AppResult<()> {
        check::one_of(
            "actionType",
            &self.action_type,
            &["draft_generated", "draft_accepted", "draft_rejected", "trend_analyzed", "voice_training"],
        )?;
        if let Some(v) = &self.platform {
            check::one_of("platform", v, &["twitter", "linkedin", "instagram"])?;
        }
        if let Some(v) = &self.credits_consumed {
            check::decimal("creditsConsumed", *v, 8, 2, None)?;
        }
        if let Some(v) = &self.metadata {
            check::json_object("metadata", v)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<usage_tracking::ActiveModel> {
        Ok(usage_tracking::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            usage_date: Set(self.usage_date),
            action_type: Set(self.action_type),
            platform: self.platform.map_or(NotSet, |v| Set(Some(v))),
            credits_consumed: self.credits_consumed.map_or(NotSet, |v| Set(Some(v))),
            metadata: self.metadata.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateUsageTrackingInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.action_type {
            check::one_of(
                "actionType",
                v,
                &["draft_generated", "draft_accepted", "draft_rejected", "trend_analyzed", "voice_training"],
            )?;
        }
        if let Some(v) = self.platform.value() {
            check::one_of("platform", v, &["twitter", "linkedin", "instagram"])?;
        }
        if let Some(v) = self.credits_consumed.value() {
            check::decimal("creditsConsumed", *v, 8, 2, None)?;
        }
        if let Some(v) = self.metadata.value() {
            check::json_object("metadata", v)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut usage_tracking::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.usage_date, self.usage_date);
        crud::set(&mut row.action_type, self.action_type);
        crud::patch(&mut row.platform, self.platform);
        crud::patch(&mut row.credits_consumed, self.credits_consumed);
        crud::patch(&mut row.metadata, self.metadata);
        Ok(())
    }
}

/// Credits consumed per action (seed 7.1).
#[derive(Clone)]
pub struct UsageTracking(pub usage_tracking::Model);

impl From<usage_tracking::Model> for UsageTracking {
    fn from(row: usage_tracking::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl UsageTracking {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `usage_date`.
    async fn usage_date(&self) -> NaiveDate {
        self.0.usage_date
    }

    /// One of: `draft_generated`, `draft_accepted`, `draft_rejected`, `trend_analyzed`, `voice_training`.
    async fn action_type(&self) -> &str {
        &self.0.action_type
    }

    /// One of: `twitter`, `linkedin`, `instagram`.
    async fn platform(&self) -> Option<&str> {
        self.0.platform.as_deref()
    }

    /// `credits_consumed`.
    async fn credits_consumed(&self) -> Option<Decimal> {
        self.0.credits_consumed
    }

    /// `metadata`.
    async fn metadata(&self) -> Option<&Json> {
        self.0.metadata.as_ref()
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }
}

table_filter! {
    /// Conditions on usage trackings; fields combine with AND.
    UsageTrackingFilter for usage_tracking {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        usage_date ("usageDate"): DateFilter => UsageDate,
        action_type ("actionType"): StringFilter => ActionType,
        platform ("platform"): StringFilter => Platform,
        credits_consumed ("creditsConsumed"): DecimalFilter => CreditsConsumed,
        metadata ("metadata"): JsonFilter => Metadata,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
    }
}

table_order! {
    /// One sort key of usage trackings; ties are broken by id.
    UsageTrackingOrder, UsageTrackingOrderField for usage_tracking {
        Id, UserId, UsageDate, ActionType, Platform, CreditsConsumed, CreatedAt,
    }
}

#[derive(Default)]
pub struct UsageTrackingQuery;

#[Object]
impl UsageTrackingQuery {
    /// One usage tracking by id; `NOT_FOUND` unless the caller may read it.
    async fn usage_tracking(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<UsageTracking> {
        Ok(crud::get::<usage_tracking::Entity>(ctx, id).await?.into())
    }

    /// The usage trackings the caller may read, a page at a time.
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
        let args = PageArgs { first, after, last, before };
        crud::list::<usage_tracking::Entity, UsageTracking, _, _>(ctx, filter, order_by, args).await
    }
}

#[derive(Default)]
pub struct UsageTrackingMutation;

#[Object]
impl UsageTrackingMutation {
    /// Creates a usage tracking.
    async fn create_usage_tracking(
        &self,
        ctx: &Context<'_>,
        input: CreateUsageTrackingInput,
    ) -> async_graphql::Result<UsageTracking> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<usage_tracking::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<usage_tracking::Entity>(ctx, row).await?.into())
    }

    /// Changes a usage tracking; `NOT_FOUND` unless the caller may change it.
    async fn update_usage_tracking(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateUsageTrackingInput,
    ) -> async_graphql::Result<UsageTracking> {
        input.validate()?;
        Ok(crud::update::<usage_tracking::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a usage tracking; `NOT_FOUND` unless the caller may delete it.
    async fn delete_usage_tracking(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<usage_tracking::Entity>(ctx, id).await?)
    }
}

/// A new subscription billing.
#[derive(InputObject)]
pub struct CreateSubscriptionBillingInput {
    /// The user the row belongs to (only the service role creates these rows, and must name the user).
    pub user_id: Option<Uuid>,
    /// `stripe_customer_id`.
    pub stripe_customer_id: Option<String>,
    /// `stripe_subscription_id`.
    pub stripe_subscription_id: Option<String>,
    /// One of: `active`, `past_due`, `canceled`, `unpaid`, `trialing`.
    pub subscription_status: String,
    /// One of: `free`, `creator`, `agency`, `enterprise` (`free` when absent).
    pub tier: Option<String>,
    /// `current_period_start`.
    pub current_period_start: Option<DateTime<Utc>>,
    /// `current_period_end`.
    pub current_period_end: Option<DateTime<Utc>>,
    /// `monthly_credit_limit`.
    pub monthly_credit_limit: Option<Decimal>,
    /// `overage_rate`.
    pub overage_rate: Option<Decimal>,
    /// `billing_metadata`.
    pub billing_metadata: Option<Json>,
}

/// Changes to a subscription billing: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateSubscriptionBillingInput {
    /// `stripe_customer_id`.
    pub stripe_customer_id: MaybeUndefined<String>,
    /// `stripe_subscription_id`.
    pub stripe_subscription_id: MaybeUndefined<String>,
    /// One of: `active`, `past_due`, `canceled`, `unpaid`, `trialing`.
    pub subscription_status: Option<String>,
    /// One of: `free`, `creator`, `agency`, `enterprise`.
    pub tier: Option<String>,
    /// `current_period_start`.
    pub current_period_start: MaybeUndefined<DateTime<Utc>>,
    /// `current_period_end`.
    pub current_period_end: MaybeUndefined<DateTime<Utc>>,
    /// `monthly_credit_limit`.
    pub monthly_credit_limit: MaybeUndefined<Decimal>,
    /// `overage_rate`.
    pub overage_rate: MaybeUndefined<Decimal>,
    /// `billing_metadata`.
    pub billing_metadata: MaybeUndefined<Json>,
}

impl CreateSubscriptionBillingInput {
    fn validate(&self) -> AppResult<()> {
        check::one_of(
            "subscriptionStatus",
            &self.subscription_status,
            &["active", "past_due", "canceled", "unpaid", "trialing"],
        )?;
        if let Some(v) = &self.tier {
            check::one_of("tier", v, TIERS)?;
        }
        if let Some(v) = &self.monthly_credit_limit {
            check::decimal("monthlyCreditLimit", *v, 10, 2, None)?;
        }
        if let Some(v) = &self.overage_rate {
            check::decimal("overageRate", *v, 6, 4, None)?;
        }
        if let Some(v) = &self.billing_metadata {
            check::json_object("billingMetadata", v)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<subscription_billing::ActiveModel> {
        Ok(subscription_billing::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            stripe_customer_id: self.stripe_customer_id.map_or(NotSet, |v| Set(Some(v))),
            stripe_subscription_id: self.stripe_subscription_id.map_or(NotSet, |v| Set(Some(v))),
            subscription_status: Set(self.subscription_status),
            tier: self.tier.map_or(NotSet, Set),
            current_period_start: self.current_period_start.map_or(NotSet, |v| Set(Some(v))),
            current_period_end: self.current_period_end.map_or(NotSet, |v| Set(Some(v))),
            monthly_credit_limit: self.monthly_credit_limit.map_or(NotSet, |v| Set(Some(v))),
            overage_rate: self.overage_rate.map_or(NotSet, |v| Set(Some(v))),
            billing_metadata: self.billing_metadata.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateSubscriptionBillingInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.subscription_status {
            check::one_of("subscriptionStatus", v, &["active", "past_due", "canceled", "unpaid", "trialing"])?;
        }
        if let Some(v) = &self.tier {
            check::one_of("tier", v, TIERS)?;
        }
        if let Some(v) = self.monthly_credit_limit.value() {
            check::decimal("monthlyCreditLimit", *v, 10, 2, None)?;
        }
        if let Some(v) = self.overage_rate.value() {
            check::decimal("overageRate", *v, 6, 4, None)?;
        }
        if let Some(v) = self.billing_metadata.value() {
            check::json_object("billingMetadata", v)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut subscription_billing::ActiveModel) -> AppResult<()> {
        crud::patch(&mut row.stripe_customer_id, self.stripe_customer_id);
        crud::patch(&mut row.stripe_subscription_id, self.stripe_subscription_id);
        crud::set(&mut row.subscription_status, self.subscription_status);
        crud::set(&mut row.tier, self.tier);
        crud::patch(&mut row.current_period_start, self.current_period_start);
        crud::patch(&mut row.current_period_end, self.current_period_end);
        crud::patch(&mut row.monthly_credit_limit, self.monthly_credit_limit);
        crud::patch(&mut row.overage_rate, self.overage_rate);
        crud::patch(&mut row.billing_metadata, self.billing_metadata);
        Ok(())
    }
}

/// Subscription, credit balance and allowance (seed 7.2); one per user.
#[derive(Clone)]
pub struct SubscriptionBilling(pub subscription_billing::Model);

impl From<subscription_billing::Model> for SubscriptionBilling {
    fn from(row: subscription_billing::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl SubscriptionBilling {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// `stripe_customer_id`.
    async fn stripe_customer_id(&self) -> Option<&str> {
        self.0.stripe_customer_id.as_deref()
    }

    /// `stripe_subscription_id`.
    async fn stripe_subscription_id(&self) -> Option<&str> {
        self.0.stripe_subscription_id.as_deref()
    }

    /// One of: `active`, `past_due`, `canceled`, `unpaid`, `trialing`.
    async fn subscription_status(&self) -> &str {
        &self.0.subscription_status
    }

    /// `current_period_start`.
    async fn current_period_start(&self) -> Option<DateTime<Utc>> {
        self.0.current_period_start
    }

    /// `current_period_end`.
    async fn current_period_end(&self) -> Option<DateTime<Utc>> {
        self.0.current_period_end
    }

    /// Credits available: the allowance left plus purchased credits.
    async fn credit_balance(&self) -> Option<Decimal> {
        self.0.credit_balance
    }

    /// One of: `free`, `creator`, `agency`, `enterprise`. Billing state, written by the billing
    /// side only; the profile's `subscriptionTier` follows it.
    async fn tier(&self) -> &str {
        &self.0.tier
    }

    /// What is left of this period's allowance: spent first, and replaced by the next period's
    /// allowance when the period ends (what is left expires).
    async fn allowance_balance(&self) -> Decimal {
        self.0.allowance_balance
    }

    /// Purchased and granted credits: spent after the allowance, kept until spent.
    async fn purchased_balance(&self) -> Decimal {
        self.0.purchased_balance
    }

    /// Every credit ever added: allowances, grants and purchases (the ledger's credits).
    async fn lifetime_earned(&self) -> Decimal {
        self.0.lifetime_earned
    }

    /// Every credit ever spent on usage (the ledger's usage debits).
    async fn lifetime_spent(&self) -> Decimal {
        self.0.lifetime_spent
    }

    /// `monthly_credit_limit`.
    async fn monthly_credit_limit(&self) -> Option<Decimal> {
        self.0.monthly_credit_limit
    }

    /// `overage_rate`.
    async fn overage_rate(&self) -> Option<Decimal> {
        self.0.overage_rate
    }

    /// `billing_metadata`.
    async fn billing_metadata(&self) -> Option<&Json> {
        self.0.billing_metadata.as_ref()
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
    /// Conditions on subscription billings; fields combine with AND.
    SubscriptionBillingFilter for subscription_billing {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        stripe_customer_id ("stripeCustomerId"): StringFilter => StripeCustomerId,
        stripe_subscription_id ("stripeSubscriptionId"): StringFilter => StripeSubscriptionId,
        subscription_status ("subscriptionStatus"): StringFilter => SubscriptionStatus,
        tier ("tier"): StringFilter => Tier,
        current_period_start ("currentPeriodStart"): DateTimeFilter => CurrentPeriodStart,
        current_period_end ("currentPeriodEnd"): DateTimeFilter => CurrentPeriodEnd,
        credit_balance ("creditBalance"): DecimalFilter => CreditBalance,
        monthly_credit_limit ("monthlyCreditLimit"): DecimalFilter => MonthlyCreditLimit,
        overage_rate ("overageRate"): DecimalFilter => OverageRate,
        billing_metadata ("billingMetadata"): JsonFilter => BillingMetadata,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        updated_at ("updatedAt"): DateTimeFilter => UpdatedAt,
    }
}

table_order! {
    /// One sort key of subscription billings; ties are broken by id.
    SubscriptionBillingOrder, SubscriptionBillingOrderField for subscription_billing {
        Id, UserId, StripeCustomerId, StripeSubscriptionId, SubscriptionStatus, CurrentPeriodStart, CurrentPeriodEnd, CreditBalance, MonthlyCreditLimit, OverageRate, CreatedAt, UpdatedAt,
    }
}

#[derive(Default)]
pub struct SubscriptionBillingQuery;

#[Object]
impl SubscriptionBillingQuery {
    /// One subscription billing by id; `NOT_FOUND` unless the caller may read it.
    async fn subscription_billing(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<SubscriptionBilling> {
        Ok(crud::get::<subscription_billing::Entity>(ctx, id).await?.into())
    }

    /// The subscription billings the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn subscription_billings(
        &self,
        ctx: &Context<'_>,
        filter: Option<SubscriptionBillingFilter>,
        order_by: Option<Vec<SubscriptionBillingOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<SubscriptionBilling>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<subscription_billing::Entity, SubscriptionBilling, _, _>(ctx, filter, order_by, args).await
    }
}

#[derive(Default)]
pub struct SubscriptionBillingMutation;

#[Object]
impl SubscriptionBillingMutation {
    /// Creates a subscription billing.
    async fn create_subscription_billing(
        &self,
        ctx: &Context<'_>,
        input: CreateSubscriptionBillingInput,
    ) -> async_graphql::Result<SubscriptionBilling> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<subscription_billing::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?,
            "userId",
        )?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<subscription_billing::Entity>(ctx, row).await?.into())
    }

    /// Changes a subscription billing; `NOT_FOUND` unless the caller may change it.
    async fn update_subscription_billing(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateSubscriptionBillingInput,
    ) -> async_graphql::Result<SubscriptionBilling> {
        input.validate()?;
        Ok(crud::update::<subscription_billing::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a subscription billing; `NOT_FOUND` unless the caller may delete it.
    async fn delete_subscription_billing(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<subscription_billing::Entity>(ctx, id).await?)
    }
}
