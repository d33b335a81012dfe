//! `trend_content_mapping` (seed 4.3): links trends to generated content, to track effectiveness.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "trend_content_mapping")]
#[graphql(name = "TrendContentMappingColumns")]
#[table(name = "TrendContentMapping", label = "trend content mapping")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    #[table(references = "trend_insights")]
    pub trend_id: Uuid,
    #[table(references = "content_drafts")]
    pub content_draft_id: Uuid,
    /// How well content matches trend.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    #[table(range(0, 1))]
    pub relevance_score: Option<Decimal>,
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
        belongs_to = "super::trend_insights::Entity",
        from = "Column::TrendId",
        to = "super::trend_insights::Column::Id",
        on_delete = "Cascade"
    )]
    TrendInsights,
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

impl Related<super::trend_insights::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrendInsights.def()
    }
}

impl Related<super::content_drafts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ContentDrafts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
