//! `voice_training_data` (seed 3.2): samples of a creator's voice and their training use.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "voice_training_data")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub sample_content: String,
    /// One of: `twitter`, `linkedin`, `instagram`.
    pub platform: String,
    /// Original performance metrics. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub engagement_metrics: Option<Json>,
    /// Extracted linguistic features. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub content_features: Option<Json>,
    /// Defaults to `true`.
    pub is_training_sample: Option<bool>,
    /// Quality ranking of the sample.
    pub sample_rank: Option<i32>,
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
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
