//! `ai_processing_logs` (seed 9.1): AI processing requests and responses, for debugging and optimization.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ProcessingStatus, ProcessingType};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, async_graphql::SimpleObject, macros::Table,
)]
#[sea_orm(table_name = "ai_processing_logs")]
#[graphql(name = "AiProcessingLogColumns")]
#[table(name = "AiProcessingLog", label = "AI processing log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Optional; a user's logs are still deleted with the user.
    #[table(owner)]
    pub user_id: Option<Uuid>,
    pub processing_type: ProcessingType,
    #[sea_orm(column_type = "JsonBinary")]
    pub input_data: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub output_data: Option<Json>,
    pub model_version: Option<String>,
    #[table(min = 0)]
    pub processing_time_ms: Option<i32>,
    #[table(min = 0)]
    pub tokens_consumed: Option<i32>,
    /// Defaults to `pending`.
    pub status: Option<ProcessingStatus>,
    pub error_message: Option<String>,
    /// Full webhook response for debugging.
    #[sea_orm(column_type = "JsonBinary")]
    pub webhook_response: Option<Json>,
    pub created_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
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
