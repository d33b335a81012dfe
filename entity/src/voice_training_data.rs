//! `voice_training_data` (seed 3.2): samples of a creator's voice and their training use.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::Platform;

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "voice_training_data")]
#[graphql(name = "VoiceTrainingSampleColumns")]
#[table(name = "VoiceTrainingSample", label = "voice training sample")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    #[table(not_blank)]
    pub sample_content: String,
    pub platform: Platform,
    /// Original performance metrics. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub engagement_metrics: Option<Json>,
    /// Extracted linguistic features. Defaults to `{}`.
    #[sea_orm(column_type = "JsonBinary")]
    #[table(json_object)]
    pub content_features: Option<Json>,
    /// Defaults to `true`.
    pub is_training_sample: Option<bool>,
    /// Quality ranking of the sample.
    #[table(min = 0)]
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
