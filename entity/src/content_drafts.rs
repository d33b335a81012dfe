//! `content_drafts` (seed 3.1): AI-generated content drafts across all platforms.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ContentType, DraftStatus, Platform};

/// AI-generated drafts in the creator's voice (seed 4.1).
#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "content_drafts")]
#[graphql(name = "ContentDraftColumns")]
#[table(name = "ContentDraft", label = "content draft")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub platform: Platform,
    pub content_type: ContentType,
    #[table(not_blank)]
    pub content: String,
    pub hook: Option<String>,
    /// JSON array. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array)]
    pub hashtags: Option<Json>,
    /// JSON array. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array)]
    pub mentions: Option<Json>,
    /// JSON array. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array)]
    pub media_urls: Option<Json>,
    /// The trend this draft came from (`trend_insights.id`).
    #[table(references = "trend_insights")]
    pub trend_source_id: Option<Uuid>,
    /// 0.0 to 1.0 confidence in voice matching. Defaults to 0.0.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    #[table(range(0, 1))]
    pub voice_confidence_score: Option<Decimal>,
    /// Predicted likes, shares, comments. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub engagement_prediction: Option<Json>,
    /// Defaults to `pending`.
    pub status: Option<DraftStatus>,
    /// -1 (thumbs down), 0 (neutral) or 1 (thumbs up).
    #[table(range(-1, 1))]
    pub feedback_score: Option<i32>,
    /// User modifications to the original draft.
    pub user_edits: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub published_url: Option<String>,
    /// Actual engagement metrics after publishing. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
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
    #[sea_orm(has_many = "super::trend_content_mapping::Entity")]
    TrendContentMapping,
    #[sea_orm(has_many = "super::content_performance::Entity")]
    ContentPerformance,
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

impl Related<super::trend_content_mapping::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrendContentMapping.def()
    }
}

impl Related<super::content_performance::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ContentPerformance.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
