//! `creator_analytics` (seed 6.1): daily analytics of a creator's performance, per platform.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "creator_analytics")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub metric_date: Date,
    /// One of: `twitter`, `linkedin`, `instagram`, `overall`.
    pub platform: String,
    /// Defaults to 0.
    pub drafts_generated: Option<i32>,
    /// Defaults to 0.
    pub drafts_accepted: Option<i32>,
    /// Defaults to 0.
    pub drafts_rejected: Option<i32>,
    /// Defaults to 0.
    pub content_published: Option<i32>,
    #[sea_orm(column_type = "Decimal(Some((8, 2)))")]
    pub avg_review_time_minutes: Option<Decimal>,
    /// Defaults to 0.
    pub total_impressions: Option<i64>,
    /// Defaults to 0.
    pub total_engagements: Option<i64>,
    pub follower_count: Option<i32>,
    #[sea_orm(column_type = "Decimal(Some((5, 4)))")]
    pub engagement_rate: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub voice_confidence_avg: Option<Decimal>,
    /// Percentage of trends acted upon.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub trend_utilization_rate: Option<Decimal>,
    /// Pre-AI vs AI-assisted metrics. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub baseline_comparison: Option<Json>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
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
