//! `voice_models` (seed 3.3): AI voice model versions and their performance; at most one active per user.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "voice_models")]
#[graphql(name = "VoiceModelColumns")]
#[table(name = "VoiceModel", label = "voice model")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[table(owner)]
    pub user_id: Uuid,
    #[table(not_blank)]
    pub model_version: String,
    /// Model hyperparameters and settings.
    #[sea_orm(column_type = "JsonBinary")]
    pub model_config: Json,
    #[table(min = 0)]
    pub training_data_count: i32,
    /// Model validation accuracy.
    #[sea_orm(column_type = "Decimal(Some((5, 4)))")]
    #[table(range(0, 1))]
    pub validation_score: Option<Decimal>,
    /// Defaults to `false`. Activating a model deactivates the user's other models (trigger).
    pub is_active: Option<bool>,
    pub training_started_at: Option<DateTimeUtc>,
    pub training_completed_at: Option<DateTimeUtc>,
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
