//! `content_performance` (seed 6.2): performance of individual published content pieces.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "content_performance")]
#[graphql(name = "ContentPerformanceColumns")]
#[table(name = "ContentPerformance", label = "content performance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    #[table(references = "content_drafts")]
    pub content_draft_id: Uuid,
    /// Platform-specific post ID.
    pub platform_post_id: Option<String>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub impressions: Option<i64>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub likes: Option<i32>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub shares: Option<i32>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub comments: Option<i32>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub clicks: Option<i32>,
    /// Defaults to 0.
    #[table(min = 0)]
    pub saves: Option<i32>,
    #[sea_orm(column_type = "Decimal(Some((5, 4)))")]
    #[table(range(0, 1))]
    pub engagement_rate: Option<Decimal>,
    #[table(min = 0)]
    pub reach: Option<i64>,
    /// For video content.
    #[table(min = 0)]
    pub video_views: Option<i64>,
    /// Normalized performance score.
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub performance_score: Option<Decimal>,
    /// How accurate the prediction was.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    #[table(range(0, 1))]
    pub vs_prediction_accuracy: Option<Decimal>,
    /// Defaults to now().
    pub last_updated_at: Option<DateTimeUtc>,
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
    #[sea_orm(
        belongs_to = "super::content_drafts::Entity",
        from = "Column::ContentDraftId",
        to = "super::content_drafts::Column::Id",
        on_delete = "Cascade"
    )]
    ContentDrafts,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::content_drafts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ContentDrafts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
