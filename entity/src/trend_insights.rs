//! `trend_insights` (seed 4.2): detected trends and emerging topics.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::TrendStatus;

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "trend_insights")]
#[graphql(name = "TrendInsightColumns")]
#[table(name = "TrendInsight", label = "trend insight")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    #[table(not_blank)]
    pub trend_topic: String,
    #[table(not_blank)]
    pub trend_description: String,
    /// 0.0 to 1.0 confidence in trend detection.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    #[table(range(0, 1))]
    pub confidence_score: Decimal,
    /// Trend velocity and growth rate.
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub momentum_score: Option<Decimal>,
    /// Number of sources mentioning this trend.
    #[table(min = 0)]
    pub source_count: i32,
    /// Predicted peak engagement time.
    pub peak_prediction: Option<DateTimeUtc>,
    /// JSON array. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array)]
    pub relevant_keywords: Option<Json>,
    /// Supporting sources and mentions. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array)]
    pub source_evidence: Option<Json>,
    /// Suggested content angles. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_array)]
    pub content_opportunities: Option<Json>,
    pub trend_category: Option<String>,
    /// Geographic trend distribution. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub geographic_data: Option<Json>,
    /// Defaults to `active`.
    pub status: Option<TrendStatus>,
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// What makes a crawled item one trend of its user's however often it is seen.
    #[graphql(skip)]
    #[table(read_only)]
    pub source_item_key: Option<String>,
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
    #[sea_orm(has_many = "super::content_drafts::Entity")]
    ContentDrafts,
    #[sea_orm(has_many = "super::trend_content_mapping::Entity")]
    TrendContentMapping,
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

impl Related<super::trend_content_mapping::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrendContentMapping.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
