//! `trend_content_mapping_archive`: the trend mappings of archived drafts, moved with their draft
//! by the retention job. Still readable by their owner, from the archived draft.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "trend_content_mapping_archive")]
#[graphql(name = "ArchivedTrendContentMappingColumns")]
#[table(name = "ArchivedTrendContentMapping", label = "archived trend content mapping", read_only)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    pub trend_id: Uuid,
    /// The archived draft (`content_drafts_archive.id`).
    pub content_draft_id: Uuid,
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub relevance_score: Option<Decimal>,
    pub created_at: Option<DateTimeUtc>,
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
    #[sea_orm(
        belongs_to = "super::trend_insights::Entity",
        from = "Column::TrendId",
        to = "super::trend_insights::Column::Id",
        on_delete = "Cascade"
    )]
    TrendInsights,
    #[sea_orm(
        belongs_to = "super::content_drafts_archive::Entity",
        from = "Column::ContentDraftId",
        to = "super::content_drafts_archive::Column::Id",
        on_delete = "Cascade"
    )]
    ContentDraftsArchive,
}

impl Related<super::content_drafts_archive::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ContentDraftsArchive.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
