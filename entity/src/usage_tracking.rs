//! `usage_tracking` (seed 7.1): usage records for billing and analytics.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "usage_tracking")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub usage_date: Date,
    /// One of: `draft_generated`, `draft_accepted`, `draft_rejected`, `trend_analyzed`, `voice_training`.
    pub action_type: String,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: Option<String>,
    /// Defaults to 1.0.
    #[sea_orm(column_type = "Decimal(Some((8, 2)))")]
    pub credits_consumed: Option<Decimal>,
    /// Additional usage context. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
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
