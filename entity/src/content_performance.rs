//! `content_performance`: How published drafts performed (seed 6.2).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "content_performance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub content_draft_id: Uuid,
    pub platform_post_id: Option<String>,
    pub impressions: Option<i64>,
    pub likes: Option<i32>,
    pub shares: Option<i32>,
    pub comments: Option<i32>,
    pub clicks: Option<i32>,
    pub saves: Option<i32>,
    #[sea_orm(column_type = "Decimal(Some((5, 4)))")]
    pub engagement_rate: Option<Decimal>,
    pub reach: Option<i64>,
    pub video_views: Option<i64>,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub performance_score: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub vs_prediction_accuracy: Option<Decimal>,
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
