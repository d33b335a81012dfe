//! `trend_insights`: Trends detected for a creator (seed 3.2).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "trend_insights")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub trend_topic: String,
    pub trend_description: String,
    #[sea_orm(column_type = "Decimal(Some((3, 2)))")]
    pub confidence_score: Decimal,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub momentum_score: Option<Decimal>,
    pub source_count: i32,
    pub peak_prediction: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary")]
    pub relevant_keywords: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub source_evidence: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub content_opportunities: Option<Json>,
    pub trend_category: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub geographic_data: Option<Json>,
    /// One of: `active`, `declining`, `expired`.
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
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
