//! `content_drafts_archive`: drafts moved out of `content_drafts` by the retention job (rejected
//! after 90 days, published after a year), with reduced indexing. Still readable by their owner,
//! with their trend mappings (`trend_content_mapping_archive`) and performance summaries.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ContentType, DraftStatus, Platform};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "content_drafts_archive")]
#[graphql(name = "ArchivedContentDraftColumns")]
#[table(name = "ArchivedContentDraft", label = "archived content draft", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub platform: Platform,
    pub content_type: ContentType,
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
    pub status: Option<DraftStatus>,
    pub feedback_score: Option<i32>,
    pub user_edits: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub published_url: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub actual_performance: Option<Json>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    pub archived_at: DateTimeUtc,
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
    #[sea_orm(has_many = "super::trend_content_mapping_archive::Entity")]
    TrendContentMappingArchive,
}

impl Related<super::trend_content_mapping_archive::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrendContentMappingArchive.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
