//! `subscription_events` (seed 004): the lifecycle of each subscription.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::SubscriptionEventKind;

/// One change in a subscription's life.
#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "subscription_events")]
#[graphql(name = "SubscriptionEventColumns")]
#[table(name = "SubscriptionEvent", label = "subscription event", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub kind: SubscriptionEventKind,
    pub tier_before: Option<String>,
    pub tier_after: Option<String>,
    pub status_before: Option<String>,
    pub status_after: Option<String>,
    /// The provider's event that caused it.
    pub provider_event_id: Option<String>,
    pub occurred_at: DateTimeUtc,
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

impl ActiveModelBehavior for ActiveModel {}
