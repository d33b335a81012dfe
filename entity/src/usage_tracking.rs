//! `usage_tracking` (seed 7.1): usage records for billing and analytics.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ActionType, Platform};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "usage_tracking")]
#[graphql(name = "UsageTrackingColumns")]
#[table(name = "UsageTracking", label = "usage record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub usage_date: Date,
    pub action_type: ActionType,
    pub platform: Option<Platform>,
    /// Defaults to 1.0.
    #[sea_orm(column_type = "Decimal(Some((8, 2)))")]
    pub credits_consumed: Option<Decimal>,
    /// Additional usage context. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub metadata: Option<Json>,
    pub created_at: Option<DateTimeUtc>,
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
