//! `trend_insights` (seed 4.2): detected trends and emerging topics.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "trend_insights")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub trend_topic: String,
    pub trend_description: String,
    /// 0.0 to 1.0 confidence in trend detection.
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub confidence_score: Decimal,
    /// Trend velocity and growth rate.
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub momentum_score: Option<Decimal>,
    /// Number of sources mentioning this trend.
    pub source_count: i32,
    /// Predicted peak engagement time.
    pub peak_prediction: Option<DateTimeUtc>,
    /// JSON array. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    pub relevant_keywords: Option<Json>,
    /// Supporting sources and mentions. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    pub source_evidence: Option<Json>,
    /// Suggested content angles. Defaults to `[]`.
    #[sea_orm(column_type = "JsonBinary")]
    pub content_opportunities: Option<Json>,
    pub trend_category: Option<String>,
    /// Geographic trend distribution. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub geographic_data: Option<Json>,
    /// One of: `active`, `declining`, `expired`. Defaults to `active`.
    pub status: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
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
