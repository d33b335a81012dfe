//! `content_drafts`: AI-generated drafts in the creator's voice (seed 4.1).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "content_drafts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: String,
    /// One of: `single_tweet`, `thread`, `quote_tweet`, `linkedin_short`, `linkedin_long`, `linkedin_carousel`, `instagram_reel`, `instagram_carousel`.
    pub content_type: String,
    pub content: String,
    pub hook: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub hashtags: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub mentions: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub media_urls: Option<Json>,
    pub trend_source_id: Option<Uuid>,
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub voice_confidence_score: Option<Decimal>,
    #[sea_orm(column_type = "JsonBinary")]
    pub engagement_prediction: Option<Json>,
    /// One of: `pending`, `approved`, `rejected`, `published`, `archived`.
    pub status: Option<String>,
    pub feedback_score: Option<i32>,
    pub user_edits: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub published_url: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub actual_performance: Option<Json>,
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
    #[sea_orm(
        belongs_to = "super::trend_insights::Entity",
        from = "Column::TrendSourceId",
        to = "super::trend_insights::Column::Id"
    )]
    TrendInsights,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::trend_insights::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrendInsights.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
