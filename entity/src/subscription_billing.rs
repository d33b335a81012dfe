//! `subscription_billing` (seed 7.2): a user's subscription and billing information; one per user.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{BillingStatus, Tier};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "subscription_billing")]
#[graphql(name = "SubscriptionBillingColumns")]
#[table(name = "SubscriptionBilling", label = "subscription")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    #[table(owner)]
    pub user_id: Uuid,
    #[sea_orm(unique)]
    pub stripe_customer_id: Option<String>,
    #[sea_orm(unique)]
    pub stripe_subscription_id: Option<String>,
    pub subscription_status: BillingStatus,
    pub current_period_start: Option<DateTimeUtc>,
    pub current_period_end: Option<DateTimeUtc>,
    /// Defaults to 0.0.
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    #[table(read_only)]
    pub credit_balance: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub monthly_credit_limit: Option<Decimal>,
    /// Cost per credit over limit.
    #[sea_orm(column_type = "Decimal(Some((6, 4)))")]
    pub overage_rate: Option<Decimal>,
    /// Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub billing_metadata: Option<Json>,
    /// Billing state: the profile shows it.
    #[table(default)]
    pub tier: Tier,
    /// What is left of the period's allowance; reset each period, spent first.
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    #[table(read_only)]
    pub allowance_balance: Decimal,
    /// Purchased and granted credits: kept until spent.
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    #[table(read_only)]
    pub purchased_balance: Decimal,
    /// Every credit ever added (allowances, grants, purchases).
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    #[table(read_only)]
    pub lifetime_earned: Decimal,
    /// Every credit ever spent on usage.
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    #[table(read_only)]
    pub lifetime_spent: Decimal,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// The subscription ends at the end of its period (set by the payment provider).
    #[table(read_only)]
    pub cancel_at_period_end: bool,
    /// When the payment provider made the change last applied (Unix seconds): an older event
    /// changes nothing.
    #[table(read_only)]
    #[graphql(skip)]
    pub provider_updated_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Users,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
