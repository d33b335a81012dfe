//! `creator_analytics` (seed 6.1): daily analytics of a creator's performance, per platform.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::AnalyticsPlatform;

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "creator_analytics")]
#[graphql(name = "CreatorAnalyticColumns")]
#[table(name = "CreatorAnalytic", label = "creator analytics")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub metric_date: Date,
    pub platform: AnalyticsPlatform,
    /// Defaults to 0.
    #[table(min = 0)]
    pub drafts_generated: Option<i32>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub drafts_accepted: Option<i32>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub drafts_rejected: Option<i32>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub content_published: Option<i32>,
    #[sea_orm(column_type = "Decimal(Some((8, 2)))")]
    pub avg_review_time_minutes: Option<Decimal>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub total_impressions: Option<i64>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub total_engagements: Option<i64>,
    #[table(min = 0)]
    pub follower_count: Option<i32>,
    #[sea_orm(column_type = "Decimal(Some((5, 4)))")]
    #[table(range(0, 1))]
    pub engagement_rate: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    #[table(range(0, 1))]
    pub voice_confidence_avg: Option<Decimal>,
    /// Percentage of trends acted upon.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    #[table(range(0, 1))]
    pub trend_utilization_rate: Option<Decimal>,
    /// Pre-AI vs AI-assisted metrics. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
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
